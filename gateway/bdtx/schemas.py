"""Request and response models of ``/api/bdtx``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from gateway.bdtx.models import Person
from gateway.bdtx.summary import ModuleLine, PendingActor, PersonYear, SchoolYear


class PersonIn(BaseModel):
    """A person to create or update (by TEMIS id)."""

    model_config = ConfigDict(extra="forbid")

    temis_id: str
    name: str
    role: str = Field(description="GV or CBQL")
    level: str = Field(description="MN, PT or GDTX")
    school_code: str
    school_name: str = ""
    province: str = ""
    email: str | None = None


class IdentityIn(BaseModel):
    """An LMS identity to link: an xAPI account, or an e-mail address."""

    model_config = ConfigDict(extra="forbid")

    account_homepage: str | None = None
    account_name: str | None = None
    email: str | None = None
    move: bool = Field(default=False, description="take it from another person")


class PersonOut(BaseModel):
    """A person and the identities linked to them."""

    temis_id: str
    name: str
    role: str
    level: str
    school_code: str
    school_name: str
    province: str
    email: str | None
    identities: list[str] = []

    @classmethod
    def of(cls, person: Person, identities: list[str] | None = None) -> PersonOut:
        """From a stored person."""
        return cls(
            temis_id=person.temis_id,
            name=person.name,
            role=person.role,
            level=person.level,
            school_code=person.school_code,
            school_name=person.school_name,
            province=person.province,
            email=person.email,
            identities=identities or [],
        )


class ModuleLineOut(BaseModel):
    """One credited module."""

    module_code: str
    module_key: str
    title: str
    block: str
    periods: int
    score: float | None
    completed_at: str
    revision: int
    catalog_release: int
    delivery: str | None

    @classmethod
    def of(cls, line: ModuleLine) -> ModuleLineOut:
        """From a summary line."""
        return cls(
            module_code=line.module_code,
            module_key=line.module_key,
            title=line.title,
            block=line.block,
            periods=line.periods,
            score=line.score,
            completed_at=line.earned_at,
            revision=line.revision,
            catalog_release=line.catalog_release,
            delivery=line.delivery,
        )


class PersonYearOut(BaseModel):
    """A person's BDTX year: modules, periods against the requirement, status."""

    person: PersonOut
    school_year: str
    modules: list[ModuleLineOut]
    periods_earned: int
    required_periods: int
    ct03_periods: int
    ct03_required: int
    ct03_missing: int
    status: str = Field(description="Hoàn thành | Không hoàn thành (CT03 block)")
    year_closed: bool

    @classmethod
    def of(cls, year: PersonYear) -> PersonYearOut:
        """From a summary."""
        return cls(
            person=PersonOut.of(year.person),
            school_year=year.school_year,
            modules=[ModuleLineOut.of(line) for line in year.modules],
            periods_earned=year.periods_earned,
            required_periods=year.required_periods,
            ct03_periods=year.ct03_periods,
            ct03_required=year.ct03_required,
            ct03_missing=year.ct03_missing,
            status=year.status,
            year_closed=year.year_closed,
        )


class SchoolYearOut(BaseModel):
    """A school's people and their standing for a year."""

    school_code: str
    school_name: str
    school_year: str
    people: int
    done: int
    summaries: list[PersonYearOut]

    @classmethod
    def of(cls, school: SchoolYear) -> SchoolYearOut:
        """From a summary."""
        return cls(
            school_code=school.school_code,
            school_name=school.school_name,
            school_year=school.school_year,
            people=len(school.people),
            done=school.done,
            summaries=[PersonYearOut.of(p) for p in school.people],
        )


class PendingOut(BaseModel):
    """An unknown actor whose credits wait for a link."""

    actor: str
    name: str | None
    email: str | None
    modules: list[tuple[str, str, int]]

    @classmethod
    def of(cls, pending: PendingActor) -> PendingOut:
        """From the ledger's list."""
        return cls(
            actor=pending.actor_ifi, name=pending.name, email=pending.email, modules=pending.modules
        )


class LedgerStatusOut(BaseModel):
    """Where the ledger stands against the feed."""

    position: int
    feed_head: int
    lag: int
    credits: dict[str, int]
