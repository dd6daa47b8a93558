"""Per-person and per-school yearly summaries (what school and Sở staff look at).

Each person owes 120 periods a year in three blocks; catalog modules are the 40-period
CT03 block (BDTX.md, "The regulation"). The gateway sees only what connected LMSs
report, so the status it gives is about the CT03 block: **Hoàn thành** when the credited
CT03 periods reach the block (40) and every credited module scored at least 5/10
(a credit under the xAPI rule always has; a cmi5 credit without a score counts as met),
else **Không hoàn thành**. ``year_closed`` says whether the school year is over, i.e.
whether the status is final or a standing so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.bdtx.deliveries import idempotency_key
from gateway.bdtx.errors import NotFoundError
from gateway.bdtx.models import CREDITED, PENDING, Credit, Identity, Person
from gateway.bdtx.outbox import OutboxItem
from gateway.bdtx.settings import TEMIS_HTTP, BdtxSettings
from gateway.bdtx.years import YearBoundary, canonical_year
from gateway.catalog.codes import parse_module_code
from gateway.catalog.models import CatalogModuleVersion, CatalogRelease
from learning_store.timestamps import utc_now

DONE = "Hoàn thành"
NOT_DONE = "Không hoàn thành"
PASS_SCORE = 5.0


@dataclass(frozen=True)
class ModuleLine:
    """One credited module of a person's year."""

    module_key: str
    module_code: str
    title: str
    block: str
    periods: int
    score: float | None
    earned_at: str
    revision: int
    catalog_release: int
    delivery: str | None  # outbox status of this revision's TEMIS delivery, if any


@dataclass(frozen=True)
class PersonYear:
    """A person's BDTX year as the gateway knows it."""

    person: Person
    school_year: str
    modules: list[ModuleLine]
    periods_earned: int
    ct03_periods: int
    required_periods: int
    ct03_required: int
    status: str
    year_closed: bool

    @property
    def ct03_missing(self) -> int:
        """Periods still missing in the CT03 block."""
        return max(self.ct03_required - self.ct03_periods, 0)


@dataclass(frozen=True)
class SchoolYear:
    """Every person of a school with their year."""

    school_code: str
    school_name: str
    school_year: str
    people: list[PersonYear] = field(default_factory=list)

    @property
    def done(self) -> int:
        """How many reached Hoàn thành."""
        return sum(1 for p in self.people if p.status == DONE)


def current_year(settings: BdtxSettings, now: datetime | None = None) -> str:
    """The school year today is in."""
    return _boundary(settings).year_of(now or utc_now())


def _boundary(settings: BdtxSettings) -> YearBoundary:
    return YearBoundary(settings.year_start_month, settings.year_start_day, settings.zone)


def person_year(
    session: Session, settings: BdtxSettings, person: Person, school_year: str
) -> PersonYear:
    """The person's credited modules and standing for one school year."""
    year = canonical_year(school_year)
    credits = list(
        session.scalars(
            select(Credit)
            .where(
                Credit.person_id == person.id,
                Credit.school_year == year,
                Credit.status == CREDITED,
            )
            .order_by(Credit.earned_at, Credit.module_key)
        )
    )
    versions = {
        v.id: (v, number)
        for v, number in session.execute(
            select(CatalogModuleVersion, CatalogRelease.number)
            .join(CatalogRelease, CatalogRelease.id == CatalogModuleVersion.release_id)
            .where(CatalogModuleVersion.id.in_([c.version_id for c in credits]))
        )
    }
    keys = {
        idempotency_key(person.temis_id, c.module_key, year, settings.source, c.revision): c.id
        for c in credits
    }
    delivered = dict(
        session.execute(
            select(OutboxItem.key, OutboxItem.status).where(
                OutboxItem.kind == TEMIS_HTTP, OutboxItem.key.in_(list(keys))
            )
        ).all()
    )
    by_credit = {credit_id: delivered.get(key) for key, credit_id in keys.items()}
    lines = []
    for credit in credits:
        version, release_number = versions[credit.version_id]
        lines.append(
            ModuleLine(
                module_key=credit.module_key,
                module_code=parse_module_code(credit.module_key).display,
                title=version.title,
                block=credit.block,
                periods=credit.periods,
                score=credit.score,
                earned_at=credit.earned_at,
                revision=credit.revision,
                catalog_release=release_number,
                delivery=by_credit.get(credit.id),
            )
        )
    ct03 = sum(line.periods for line in lines if line.block == "CT03")
    scores_ok = all(line.score is None or line.score >= PASS_SCORE for line in lines)
    status = DONE if ct03 >= settings.ct03_periods and scores_ok else NOT_DONE
    _, end = _boundary(settings).bounds(year)
    return PersonYear(
        person=person,
        school_year=year,
        modules=lines,
        periods_earned=sum(line.periods for line in lines),
        ct03_periods=ct03,
        required_periods=settings.required_periods,
        ct03_required=settings.ct03_periods,
        status=status,
        year_closed=utc_now() >= end,
    )


def school_year(
    session: Session, settings: BdtxSettings, school_code: str, school_year: str
) -> SchoolYear:
    """Every person of the school with their standing for the year."""
    people = list(
        session.scalars(
            select(Person).where(Person.school_code == school_code).order_by(Person.name)
        )
    )
    if not people:
        raise NotFoundError(f"Không có trường / no people with school code {school_code!r}")
    names = [p.school_name for p in people if p.school_name]
    return SchoolYear(
        school_code=school_code,
        school_name=names[0] if names else "",
        school_year=canonical_year(school_year),
        people=[person_year(session, settings, p, school_year) for p in people],
    )


@dataclass(frozen=True)
class PendingActor:
    """An actor with credits waiting for a link to a person."""

    actor_ifi: str
    name: str | None
    email: str | None
    modules: list[tuple[str, str, int]]  # (module code, school year, periods)


def pending_actors(session: Session) -> list[PendingActor]:
    """Unknown actors with pending credits, for admins to link."""
    rows = session.execute(
        select(Credit.actor_ifi, Credit.module_key, Credit.school_year, Credit.periods)
        .where(Credit.status == PENDING)
        .order_by(Credit.actor_ifi, Credit.school_year, Credit.module_key)
    ).all()
    grouped: dict[str, list[tuple[str, str, int]]] = {}
    for ifi, key, year, periods in rows:
        if ifi is not None:
            grouped.setdefault(ifi, []).append((parse_module_code(key).display, year, periods))
    known = {
        identity.ifi: identity
        for identity in session.scalars(select(Identity).where(Identity.ifi.in_(list(grouped))))
    }
    return [
        PendingActor(
            actor_ifi=ifi,
            name=known[ifi].name if ifi in known else None,
            email=known[ifi].email if ifi in known else None,
            modules=modules,
        )
        for ifi, modules in grouped.items()
    ]
