"""The ledger: a consumer of the learning store's statement feed with a durable cursor.

One call of :func:`consume` reads a batch after the cursor, turns it into facts
(``bdtx_evidence``) and voids (``bdtx_void``), recomputes the credits of every learner and
module the batch touched, queues the deliveries their changes owe (the outbox) and moves
the cursor: all in the caller's transaction, so a crash anywhere leaves either all of it
or none (DESIGN.md, "Boundaries").

Credits are recomputed from every stored fact of the learner and module, never patched,
so the ledger is a function of the feed (and of people, mappings and rules): replaying
from zero (:func:`rebuild`) gives the same credits, and an in-place rebuild queues no
delivery unless a credit really changed.

Only one consumer works at a time: on PostgreSQL a transaction-scoped advisory lock
(another worker skips its turn), on SQLite the database's single writer.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from gateway.bdtx import deliveries, outbox
from gateway.bdtx.credits import Earned, FactRow, earn
from gateway.bdtx.mapping import Fact, Voiding, read_statement
from gateway.bdtx.models import (
    CREDITED,
    PENDING,
    WITHDRAWN,
    Credit,
    Cursor,
    Evidence,
    Identity,
    Launch,
    Person,
    Void,
)
from gateway.bdtx.modules import ModuleIndex
from gateway.bdtx.settings import BdtxSettings
from gateway.bdtx.years import YearBoundary, utc_text
from learning_store.queries import statements_after
from learning_store.timestamps import utc_now

LEDGER_CURSOR = "bdtx.ledger"
# Any fixed number: names the ledger's advisory lock on PostgreSQL.
LEDGER_LOCK_KEY = 0x7E5BD7C


@dataclass(frozen=True)
class Subject:
    """Whose credits: a person (all their identities) or an actor nobody is linked to."""

    key: str
    person_id: int | None
    ifis: tuple[str, ...]


@dataclass
class BatchResult:
    """What one call of :func:`consume` did."""

    read: int = 0
    facts: int = 0
    voids: int = 0
    changed: int = 0
    position: int = 0
    skipped: bool = False


def boundary_of(settings: BdtxSettings) -> YearBoundary:
    """The school-year boundary the settings describe."""
    return YearBoundary(settings.year_start_month, settings.year_start_day, settings.zone)


def lock_ledger(session: Session, wait: bool = True) -> bool:
    """Take the ledger's lock for this transaction; False if ``wait`` is off and it is busy.

    Everything that changes credits takes it (the consumer, linking identities, mappings),
    so no change reads identities or facts that another is rewriting.
    """
    if session.get_bind().dialect.name == "postgresql":
        if wait:
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LEDGER_LOCK_KEY})
            return True
        got = session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": LEDGER_LOCK_KEY})
        return bool(got)
    # SQLite: a write first takes the database's write lock before anything is read, so a
    # concurrent writer waits (busy_timeout) instead of failing on a stale snapshot.
    _cursor_row(session)
    return True


def _cursor_row(session: Session) -> Cursor:
    now = utc_text(utc_now())
    changed = session.execute(
        update(Cursor).where(Cursor.name == LEDGER_CURSOR).values(updated=now)
    )
    if getattr(changed, "rowcount", 0) == 0:
        session.add(Cursor(name=LEDGER_CURSOR, position=0, updated=now))
        session.flush()
    cursor = session.get(Cursor, LEDGER_CURSOR, populate_existing=True)
    assert cursor is not None
    return cursor


def position(session: Session) -> int:
    """The feed position the ledger has consumed up to."""
    return session.scalar(select(Cursor.position).where(Cursor.name == LEDGER_CURSOR)) or 0


def consume(session: Session, settings: BdtxSettings, limit: int | None = None) -> BatchResult:
    """Map one batch after the cursor, update credits, queue deliveries, move the cursor."""
    if not lock_ledger(session, wait=False):
        return BatchResult(skipped=True)
    cursor = _cursor_row(session)
    rows = statements_after(session, cursor.position, limit or settings.batch_size)
    result = BatchResult(read=len(rows), position=cursor.position)
    if not rows:
        return result
    index = ModuleIndex.load(session)
    touched, facts, voids = _ingest(session, index, settings, rows)
    result.facts, result.voids = facts, voids
    result.changed = recompute_pairs(session, settings, index, touched)
    cursor.position = rows[-1][0]
    result.position = cursor.position
    return result


def _ingest(
    session: Session, index: ModuleIndex, settings: BdtxSettings, rows: list[tuple[int, str]]
) -> tuple[set[tuple[str, str]], int, int]:
    """Store the facts and voids of ``rows``; return the (actor, module) pairs touched."""
    boundary = boundary_of(settings)
    parsed: list[tuple[int, Fact | Voiding]] = []
    for seq, raw in rows:
        item = read_statement(json.loads(raw), index.module_of)
        if item is not None:
            parsed.append((seq, item))
    fact_ids = [item.statement_id for _, item in parsed if isinstance(item, Fact)]
    targets = [item.target for _, item in parsed if isinstance(item, Voiding)]
    voided = set(
        session.scalars(select(Void.statement_id).where(Void.statement_id.in_(fact_ids + targets)))
    )
    known = set(
        session.scalars(select(Evidence.statement_id).where(Evidence.statement_id.in_(fact_ids)))
    )
    touched: set[tuple[str, str]] = set()
    new_facts: list[dict[str, Any]] = []
    new_voids: list[dict[str, Any]] = []
    for seq, item in parsed:
        if isinstance(item, Voiding):
            if item.target not in voided:
                voided.add(item.target)
                new_voids.append(
                    {"statement_id": item.target, "voiding_id": item.statement_id, "seq": seq}
                )
            continue
        if item.statement_id in known:
            continue
        version = index.version_at(item.module_key, item.stored)
        if version is None:
            continue  # the module was not in the catalog when this was stored
        known.add(item.statement_id)
        new_facts.append(
            {
                "seq": seq,
                "statement_id": item.statement_id,
                "actor_ifi": item.actor_ifi,
                "module_key": item.module_key,
                "version_id": version.id,
                "school_year": boundary.year_of(item.occurred),
                "completion": item.completion,
                "success": item.success,
                "satisfied": item.satisfied,
                "scaled": item.scaled,
                "occurred": utc_text(item.occurred),
                "stored": utc_text(item.stored),
                "registration": item.registration,
                "voided": item.statement_id in voided,
            }
        )
        touched.add((item.actor_ifi, item.module_key))
    if new_facts:
        session.execute(insert(Evidence), new_facts)
    if new_voids:
        session.execute(insert(Void), new_voids)
    if targets:
        hit = session.execute(
            select(Evidence.actor_ifi, Evidence.module_key).where(
                Evidence.statement_id.in_(targets), Evidence.voided.is_(False)
            )
        ).all()
        if hit:
            session.execute(
                update(Evidence).where(Evidence.statement_id.in_(targets)).values(voided=True)
            )
            touched.update((actor, module) for actor, module in hit)
    return touched, len(new_facts), len(new_voids)


def subjects_of(session: Session, ifis: Iterable[str]) -> dict[str, Subject]:
    """The subject each actor IFI belongs to now."""
    wanted = sorted(set(ifis))
    linked: dict[str, int] = {}
    for chunk in _chunks(wanted):
        for ifi, person_id in session.execute(
            select(Identity.ifi, Identity.person_id).where(
                Identity.ifi.in_(chunk), Identity.person_id.is_not(None)
            )
        ):
            if person_id is not None:
                linked[ifi] = person_id
    people = subjects_of_people(session, set(linked.values()))
    return {
        ifi: people[linked[ifi]] if ifi in linked else Subject(f"actor:{ifi}", None, (ifi,))
        for ifi in wanted
    }


def subjects_of_people(session: Session, person_ids: Iterable[int]) -> dict[int, Subject]:
    """Person subjects with every identity linked to them."""
    ids = sorted(set(person_ids))
    grouped: dict[int, list[str]] = defaultdict(list)
    for person_id, ifi in session.execute(
        select(Identity.person_id, Identity.ifi).where(Identity.person_id.in_(ids))
    ):
        if person_id is not None:
            grouped[person_id].append(ifi)
    return {pid: Subject(f"person:{pid}", pid, tuple(sorted(grouped[pid]))) for pid in ids}


def _subject_pairs(session: Session, pairs: Iterable[tuple[str, str]]) -> list[tuple[Subject, str]]:
    pairs = set(pairs)
    subjects = subjects_of(session, (ifi for ifi, _ in pairs))
    return sorted({(subjects[ifi], m) for ifi, m in pairs}, key=_order)


def _order(pair: tuple[Subject, str]) -> tuple[str, str]:
    return pair[0].key, pair[1]


def recompute_pairs(
    session: Session,
    settings: BdtxSettings,
    index: ModuleIndex,
    pairs: Iterable[tuple[str, str]],
) -> int:
    """Recompute the credits of the subjects behind (actor IFI, module) pairs."""
    return recompute_subjects(session, settings, index, _subject_pairs(session, pairs))


def recompute(
    session: Session, settings: BdtxSettings, index: ModuleIndex, subject: Subject, module_key: str
) -> int:
    """Bring the subject's credits for one module in line with its facts; returns changes."""
    return recompute_subjects(session, settings, index, [(subject, module_key)])


def recompute_subjects(
    session: Session,
    settings: BdtxSettings,
    index: ModuleIndex,
    work: Sequence[tuple[Subject, str]],
) -> int:
    """Recompute many (subject, module) pairs with one read of their facts and credits."""
    if not work:
        return 0
    batch = _Batch(session, settings, index, work)
    changes = sum(batch.recompute(subject, module) for subject, module in work)
    batch.finish()
    return changes


def _fact_row(e: Evidence) -> FactRow:
    return FactRow(
        seq=e.seq,
        statement_id=e.statement_id,
        actor_ifi=e.actor_ifi,
        version_id=e.version_id,
        school_year=e.school_year,
        completion=e.completion,
        success=e.success,
        satisfied=e.satisfied,
        scaled=e.scaled,
        occurred=e.occurred,
        stored=e.stored,
        registration=e.registration,
    )


class _Batch:
    """Facts, credits, people and launches of many (subject, module) pairs, read once;
    the deliveries they owe are queued together at the end."""

    def __init__(
        self,
        session: Session,
        settings: BdtxSettings,
        index: ModuleIndex,
        work: Sequence[tuple[Subject, str]],
    ) -> None:
        self.session = session
        self.settings = settings
        self.index = index
        self.outgoing: list[tuple[Credit, deliveries.Delivery]] = []
        ifis = sorted({ifi for subject, _ in work for ifi in subject.ifis})
        modules = sorted({module for _, module in work})
        self.facts: dict[tuple[str, str], list[FactRow]] = defaultdict(list)
        for chunk in _chunks(ifis):
            for e in session.scalars(
                select(Evidence).where(
                    Evidence.actor_ifi.in_(chunk),
                    Evidence.module_key.in_(modules),
                    Evidence.voided.is_(False),
                )
            ):
                self.facts[(e.actor_ifi, e.module_key)].append(_fact_row(e))
        keys = sorted({subject.key for subject, _ in work})
        self.credits: dict[tuple[str, str], dict[str, Credit]] = defaultdict(dict)
        for chunk in _chunks(keys):
            for credit in session.scalars(
                select(Credit).where(Credit.subject.in_(chunk), Credit.module_key.in_(modules))
            ):
                self.credits[(credit.subject, credit.module_key)][credit.school_year] = credit
        person_ids = sorted({s.person_id for s, _ in work if s.person_id is not None})
        self.people = {
            p.id: p for p in session.scalars(select(Person).where(Person.id.in_(person_ids)))
        }
        self.launches: list[Launch] = []
        if session.scalar(select(Launch.id).limit(1)) is not None:
            registrations = sorted(
                {f.registration for rows in self.facts.values() for f in rows if f.registration}
            )
            found: dict[int, Launch] = {}
            for chunk in _chunks(ifis):
                for launch in session.scalars(select(Launch).where(Launch.actor_ifi.in_(chunk))):
                    found[launch.id] = launch
            for chunk in _chunks(registrations):
                for launch in session.scalars(select(Launch).where(Launch.registration.in_(chunk))):
                    found[launch.id] = launch
            self.launches = sorted(found.values(), key=lambda x: (x.launched, x.id))

    def recompute(self, subject: Subject, module_key: str) -> int:
        """Bring one subject's credits for one module in line with its facts."""
        facts = [f for ifi in subject.ifis for f in self.facts.get((ifi, module_key), [])]
        rule, threshold = self.index.rule_of(module_key, self.settings.pass_threshold)
        earned = earn(facts, rule, threshold)
        existing = self.credits[(subject.key, module_key)]
        person = self.people.get(subject.person_id) if subject.person_id is not None else None
        changes = 0
        for year in sorted(set(earned) | set(existing)):
            credit = existing.get(year)
            found = earned.get(year)
            if found is None:
                if credit is not None and credit.status != WITHDRAWN:
                    credit.status = WITHDRAWN
                    credit.revision += 1
                    credit.updated = utc_text(utc_now())
                    changes += 1
                    self._queue(credit, person, withdrawn=True)
                continue
            launch = self._launch_for(module_key, found)
            version = self.index.by_version_id[found.version_id]
            values = {
                "status": CREDITED if person is not None else PENDING,
                "block": version.block,
                "periods": version.periods,
                "version_id": found.version_id,
                "scaled": found.scaled,
                "score": found.score,
                "earned_at": found.earned_at,
            }
            evidence_json = json.dumps(found.statement_ids)
            launch_json = json.dumps(launch, sort_keys=True) if launch is not None else None
            if credit is None:
                credit = Credit(
                    subject=subject.key,
                    person_id=subject.person_id,
                    actor_ifi=None if person is not None else subject.ifis[0],
                    module_key=module_key,
                    school_year=year,
                    revision=1,
                    evidence_json=evidence_json,
                    launch_json=launch_json,
                    updated=utc_text(utc_now()),
                    **values,
                )
                self.session.add(credit)
                existing[year] = credit
            else:
                before = {name: getattr(credit, name) for name in values}
                credit.evidence_json = evidence_json
                credit.launch_json = launch_json
                if before == values:
                    continue
                for name, value in values.items():
                    setattr(credit, name, value)
                credit.revision += 1
                credit.updated = utc_text(utc_now())
            changes += 1
            self._queue(credit, person, withdrawn=False)
        return changes

    def _queue(self, credit: Credit, person: Person | None, withdrawn: bool) -> None:
        for item in deliveries.owed(
            self.session, self.settings, self.index, credit, person, withdrawn=withdrawn
        ):
            self.outgoing.append((credit, item))

    def _launch_for(self, module_key: str, found: Earned) -> dict[str, Any] | None:
        """The launch the credit came from: by registration, else the learner's last one."""
        if not self.launches:
            return None
        registrations = {f.registration for f in found.facts if f.registration}
        chosen: Launch | None = None
        for launch in self.launches:
            if launch.registration is not None and launch.registration in registrations:
                chosen = launch
        if chosen is None:
            actors = {f.actor_ifi for f in found.facts}
            latest = max(f.stored for f in found.facts)
            for launch in self.launches:
                if (
                    launch.actor_ifi in actors
                    and launch.module_key == module_key
                    and launch.launched <= latest
                ):
                    chosen = launch
        if chosen is None:
            return None
        return {
            "issuer": chosen.issuer,
            "client_id": chosen.client_id,
            "deployment_id": chosen.deployment_id,
            "user_sub": chosen.user_sub,
            "context_id": chosen.context_id,
            "resource_link_id": chosen.resource_link_id,
            "lineitem": chosen.lineitem,
            "lineitems": chosen.lineitems,
            "score_maximum": chosen.score_maximum,
        }

    def finish(self) -> None:
        """Write the credits, then queue every delivery they owe in one insert."""
        self.session.flush()
        outbox.enqueue_many(
            self.session,
            [
                (item.kind, item.key, item.payload, "bdtx.ledger", credit.id)
                for credit, item in self.outgoing
            ],
        )


def _chunks(values: Sequence[str], size: int = 5000) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def relink(
    session: Session, settings: BdtxSettings, ifis: Iterable[str], previous: Iterable[int] = ()
) -> int:
    """After identities were (un)linked: move their credits to whoever they belong to now.

    ``previous`` names the people the identities belonged to before; their credits are
    recomputed without the moved facts, the new subjects' credits with them. Pending
    credits of an actor who now is a person were never delivered to TEMIS and are dropped.
    """
    ifis = sorted(set(ifis))
    if not ifis:
        return 0
    index = ModuleIndex.load(session)
    modules: dict[str, set[str]] = {ifi: set() for ifi in ifis}
    for chunk in _chunks(ifis):
        for ifi, module in session.execute(
            select(Evidence.actor_ifi, Evidence.module_key)
            .where(Evidence.actor_ifi.in_(chunk))
            .distinct()
        ):
            modules[ifi].add(module)
    every_module = sorted(set().union(*modules.values()))
    now_linked = [
        f"actor:{ifi}" for ifi, subject in subjects_of(session, ifis).items() if subject.person_id
    ]
    for chunk in _chunks(now_linked):
        session.execute(delete(Credit).where(Credit.subject.in_(chunk)))
    work = [
        (subject, module)
        for subject in subjects_of_people(session, previous).values()
        for module in every_module
    ]
    work += _subject_pairs(session, ((ifi, m) for ifi in ifis for m in modules[ifi]))
    return recompute_subjects(session, settings, index, sorted(set(work), key=_order))


def rebuild(session: Session, settings: BdtxSettings) -> BatchResult:
    """Replay the whole feed in this transaction and recompute every credit.

    Credit rows stay: a credit that comes out the same keeps its revision and queues
    nothing; one that no longer holds is withdrawn (and the withdrawal delivered).
    """
    lock_ledger(session)
    cursor = _cursor_row(session)
    session.execute(delete(Evidence))
    session.execute(delete(Void))
    index = ModuleIndex.load(session)
    result = BatchResult()
    at = 0
    touched: set[tuple[str, str]] = set()
    while True:
        rows = statements_after(session, at, settings.batch_size)
        if not rows:
            break
        pairs, facts, voids = _ingest(session, index, settings, rows)
        touched |= pairs
        result.read += len(rows)
        result.facts += facts
        result.voids += voids
        at = rows[-1][0]
    work = set(_subject_pairs(session, touched))
    done = {(subject.key, module) for subject, module in work}
    # Credits whose facts are all gone (voided, unmapped, removed from the catalog).
    rest = [
        (key, module)
        for key, module in session.execute(select(Credit.subject, Credit.module_key).distinct())
        if (key, module) not in done
    ]
    people = subjects_of_people(
        session, [int(key.split(":", 1)[1]) for key, _ in rest if key.startswith("person:")]
    )
    for key, module in rest:
        kind, _, value = key.partition(":")
        subject = people[int(value)] if kind == "person" else Subject(key, None, (value,))
        work.add((subject, module))
    result.changed = recompute_subjects(session, settings, index, sorted(work, key=_order))
    cursor.position = max(at, cursor.position)
    result.position = cursor.position
    return result
