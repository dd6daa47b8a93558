"""moveOn, ``satisfied`` and ``abandoned``: the LMS's own verdicts (cmi5 9.3.6, 9.3.9, 10.2.5).

An AU meets its moveOn criterion from what its registration has recorded (completed,
passed; ``NotApplicable`` always). A block is satisfied when every child is, the course
when every top-level child is. Each block and the course get at most one ``satisfied``
per registration ("SHOULD NOT issue multiple"), carrying the session id of the launch
that triggered it, or a new one outside a launch (9.3.9).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from gateway.catalog.cmi5.statements import (
    activity,
    cmi5_context,
    iso_duration,
    lms_activity_id,
    lms_statement,
    store_lms_statements,
)
from gateway.catalog.cmi5.structure import AssignableUnit, Block, Course, Node
from gateway.catalog.cmi5.vocabulary import ABANDONED, SATISFIED, TYPE_BLOCK, TYPE_COURSE
from gateway.catalog.content_models import (
    Cmi5Progress,
    Cmi5Registration,
    Cmi5Session,
    ContentPackage,
)
from learning_store.models import Client
from learning_store.timestamps import to_stored_form, utc_now

ACTIVE_STATES = ("launched", "initialized")
_STORED = "%Y-%m-%dT%H:%M:%S.%fZ"


def parse_stored(value: str) -> datetime:
    """A time written by ``to_stored_form`` back as an aware datetime."""
    from datetime import UTC

    return datetime.strptime(value, _STORED).replace(tzinfo=UTC)


def course_of(session: Session, registration: Cmi5Registration) -> Course:
    """The course structure the registration was made for."""
    package = session.get(ContentPackage, registration.package_id)
    assert package is not None
    return Course.from_json(package.structure_json)


def progress_rows(session: Session, registration_id: int) -> dict[str, Cmi5Progress]:
    """What each AU, block and the course of a registration has reached, by publisher id."""
    rows = session.scalars(
        select(Cmi5Progress).where(Cmi5Progress.registration_id == registration_id)
    )
    return {row.node_id: row for row in rows}


def progress_row(session: Session, registration_id: int, node_id: str, kind: str) -> Cmi5Progress:
    """The progress row of one node, created when missing."""
    row = session.scalar(
        select(Cmi5Progress).where(
            Cmi5Progress.registration_id == registration_id, Cmi5Progress.node_id == node_id
        )
    )
    if row is None:
        row = Cmi5Progress(
            registration_id=registration_id,
            node_id=node_id,
            kind=kind,
            completed=False,
            passed=False,
            satisfied=False,
            updated=to_stored_form(utc_now()),
        )
        session.add(row)
        session.flush()
    return row


def move_on_met(au: AssignableUnit, progress: Cmi5Progress | None) -> bool:
    """cmi5 10.2.5 / 13.1.4: whether the AU's moveOn criterion holds."""
    completed = bool(progress and progress.completed)
    passed = bool(progress and progress.passed)
    return {
        "NotApplicable": True,
        "Completed": completed,
        "Passed": passed,
        "CompletedAndPassed": completed and passed,
        "CompletedOrPassed": completed or passed,
    }[au.move_on]


def _met(node: Node, rows: dict[str, Cmi5Progress]) -> bool:
    if isinstance(node, AssignableUnit):
        return move_on_met(node, rows.get(node.id))
    return all(_met(child, rows) for child in node.children)


def _blocks_children_first(nodes: tuple[Node, ...]) -> Iterator[Block]:
    for node in nodes:
        if isinstance(node, Block):
            yield from _blocks_children_first(node.children)
            yield node


def evaluate_move_on(
    session: Session, registration: Cmi5Registration, session_id: str | None, public_url: str
) -> list[str]:
    """Issue ``satisfied`` for every block and the course newly satisfied; their ids.

    ``session_id`` None means "outside an AU launch": a new session id is generated.
    """
    course = course_of(session, registration)
    rows = progress_rows(session, registration.id)
    actor = json.loads(registration.actor_json)
    sid = session_id or str(uuid.uuid4())
    statements = []
    targets: list[tuple[Block | Course, str, str]] = [
        (block, lms_activity_id(registration.course_activity_id, "block", block.id), TYPE_BLOCK)
        for block in _blocks_children_first(course.children)
    ]
    targets.append((course, registration.course_activity_id, TYPE_COURSE))
    now = utc_now()
    for node, activity_id, activity_type in targets:
        done = rows.get(node.id)
        if done is not None and done.satisfied:
            continue
        if not all(_met(child, rows) for child in node.children):
            continue
        kind = "block" if isinstance(node, Block) else "course"
        row = done or progress_row(session, registration.id, node.id, kind)
        row.satisfied = True
        row.updated = to_stored_form(now)
        rows[node.id] = row
        statements.append(
            lms_statement(
                actor,
                SATISFIED,
                activity(activity_id, activity_type, node.title),
                cmi5_context(registration.registration, sid, [node.id]),
                timestamp=now,
            )
        )
    return store_lms_statements(session, statements, public_url)


def abandon_session(
    session: Session, row: Cmi5Session, public_url: str, now: datetime | None = None
) -> str:
    """Record ``abandoned`` for a session that never terminated (9.3.6); its id.

    The duration runs from ``launched`` to the last statement the AU made (9.5.4.2).
    The session's credentials stop working at once.
    """
    now = now or utc_now()
    registration = session.get(Cmi5Registration, row.registration_id)
    assert registration is not None
    started = parse_stored(row.launched)
    last = parse_stored(row.last_statement) if row.last_statement else started
    statement = lms_statement(
        json.loads(registration.actor_json),
        ABANDONED,
        activity(row.au_activity_id, None, {}),
        cmi5_context(
            registration.registration,
            row.session_id,
            [row.au_publisher_id, registration.course_activity_id],
        ),
        result={"duration": iso_duration((last - started).total_seconds())},
        timestamp=now,
    )
    row.state = "abandoned"
    row.ended = to_stored_form(now)
    if row.client_id is not None:
        session.execute(update(Client).where(Client.id == row.client_id).values(active=False))
    return store_lms_statements(session, [statement], public_url)[0]


def abandon_stale_sessions(
    session: Session,
    *,
    public_url: str,
    idle: timedelta,
    now: datetime | None = None,
    limit: int = 500,
) -> int:
    """Abandon sessions with no statement for ``idle``; how many. For a periodic worker.

    Safe to run from several workers at once on PostgreSQL (rows are claimed with
    ``SKIP LOCKED``); the caller commits.
    """
    now = now or utc_now()
    cutoff = to_stored_form(now - idle)
    last_seen = func.coalesce(Cmi5Session.last_statement, Cmi5Session.launched)
    query = (
        select(Cmi5Session)
        .where(Cmi5Session.state.in_(ACTIVE_STATES), last_seen < cutoff)
        .order_by(Cmi5Session.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.scalars(query))
    for row in rows:
        abandon_session(session, row, public_url, now)
    return len(rows)


def abandon_active_sessions(
    session: Session, registration_id: int, au_publisher_id: str, public_url: str
) -> int:
    """cmi5 9.3.6: a new launch of an AU abandons that AU's still-active sessions."""
    rows = list(
        session.scalars(
            select(Cmi5Session)
            .where(
                Cmi5Session.registration_id == registration_id,
                Cmi5Session.au_publisher_id == au_publisher_id,
                Cmi5Session.state.in_(ACTIVE_STATES),
            )
            .with_for_update()
        )
    )
    for row in rows:
        abandon_session(session, row, public_url)
    return len(rows)
