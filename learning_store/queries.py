"""Statement queries (xAPI 1.0.3 Communication 2.1.3): filters, pages and ``more`` links.

Every filter is answered from an indexed column: the statement row for actor, verb,
object, registration and stored time, the side tables for related agents and activities.
A page is cut by feed position (``seq``), and the ``more`` token remembers the highest
position that existed when the first page was read, so later arrivals never shift pages.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, func, literal_column, select, union
from sqlalchemy.orm import Session, aliased

from learning_store.database import is_sqlite
from learning_store.errors import BadRequestError, NotFoundError
from learning_store.models import Statement, StatementActivity, StatementAgent
from learning_store.timestamps import to_stored_form

StatementFormat = Literal["exact", "ids", "canonical"]
# How deep the StatementRef rule follows chains of references (Data 2.5 "recursively").
MAX_REFERENCE_DEPTH = 10


@dataclass(frozen=True)
class StatementFilter:
    """The filters of one query, in the store's terms (keys already canonical)."""

    agent_ifi: str | None = None
    verb_id: str | None = None
    activity_id: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: str | None = None  # stored form
    until: str | None = None  # stored form
    limit: int = 0
    ascending: bool = False
    client_id: int | None = None  # statements/read/mine
    # Paging state carried in ``more`` tokens.
    after_seq: int | None = None
    top_seq: int | None = None

    def has_reference_filters(self) -> bool:
        """True when the StatementRef rule can change the result (non-time filters)."""
        return any((self.agent_ifi, self.verb_id, self.activity_id, self.registration))


@dataclass(frozen=True)
class StatementPage:
    """One page of results and the token for the next page, if any."""

    statements: list[str]  # exact JSON texts, in result order
    more: str | None
    latest_stored: str | None = None  # newest ``stored`` on the page (stored form)


def stored_bound(moment: datetime) -> str:
    """A parsed ``since``/``until`` in the stored column's fixed-width form."""
    return to_stored_form(moment)


def _matches(table: Any, flt: StatementFilter) -> list[ColumnElement[bool]]:
    """Conditions of the non-time filters on a statement table (or alias)."""
    conditions: list[ColumnElement[bool]] = []
    if flt.agent_ifi is not None:
        agent_rows = select(StatementAgent.seq).where(StatementAgent.ifi == flt.agent_ifi)
        if not flt.related_agents:
            agent_rows = agent_rows.where(StatementAgent.direct.is_(True))
        conditions.append(table.seq.in_(agent_rows))
    if flt.verb_id is not None:
        conditions.append(table.verb_id == flt.verb_id)
    if flt.activity_id is not None:
        if flt.related_activities:
            conditions.append(
                table.seq.in_(
                    select(StatementActivity.seq).where(
                        StatementActivity.activity_id == flt.activity_id
                    )
                )
            )
        else:
            conditions.append(
                and_(table.object_type == "Activity", table.object_key == flt.activity_id)
            )
    if flt.registration is not None:
        conditions.append(table.registration == flt.registration)
    return conditions


def _bounds(table: Any, flt: StatementFilter) -> list[ColumnElement[bool]]:
    """Time and paging conditions, which apply to the returned statement itself."""
    conditions: list[ColumnElement[bool]] = [table.voided.is_(False)]
    if flt.since is not None:
        conditions.append(table.stored > flt.since)
    if flt.until is not None:
        conditions.append(table.stored <= flt.until)
    if flt.top_seq is not None:
        conditions.append(table.seq <= flt.top_seq)
    if flt.after_seq is not None:
        conditions.append(table.seq > flt.after_seq if flt.ascending else table.seq < flt.after_seq)
    if flt.client_id is not None:
        conditions.append(table.client_id == flt.client_id)
    return conditions


# Built once: an ``aliased()`` builds proxies of every column of the table, which cost
# more than the rest of the query construction when made anew for every request.
_REF_ORIGIN = aliased(Statement, name="ref_origin")
_REF_HOP = aliased(Statement, name="ref_hop")
_REF_TARGET = aliased(Statement, name="ref_target")


def _referencing_seqs(flt: StatementFilter) -> Select[Any]:
    """Statements whose StatementRef chain reaches a statement matching the filters.

    Data 2.5 "Filter Conditions for StatementRefs": a statement targeting another meets
    the non-time filters when its target does, recursively. Only StatementRef statements
    (voidings, mostly: few) are walked, so the cost does not grow with the table.
    """
    origin = _REF_ORIGIN
    chain = (
        select(
            origin.seq.label("origin"),
            origin.object_key.label("target"),
            literal_column("1").label("depth"),
        )
        # A literal, not a bound parameter, so both databases can use the partial index
        # ix_xapi_statement_refs (a planner cannot prove ``object_type = ?`` implies it).
        .where(origin.object_type == literal_column("'StatementRef'"), *_bounds(origin, flt))
        .cte("ref_chain", recursive=True)
    )
    hop = _REF_HOP
    chain = chain.union_all(
        select(chain.c.origin, hop.object_key, chain.c.depth + 1).where(
            hop.statement_id == chain.c.target,
            hop.object_type == "StatementRef",
            chain.c.depth < MAX_REFERENCE_DEPTH,
        )
    )
    target = _REF_TARGET
    return select(chain.c.origin).where(
        target.statement_id == chain.c.target, *_matches(target, flt)
    )


def query_statements(session: Session, flt: StatementFilter, page_size: int) -> StatementPage:
    """One page of statements matching ``flt``; ``page_size`` caps ``limit``."""
    if flt.top_seq is None:
        flt = replace(flt, top_seq=session.scalar(select(func.max(Statement.seq))) or 0)
    limit = min(flt.limit, page_size) if flt.limit > 0 else page_size
    order = Statement.seq.asc() if flt.ascending else Statement.seq.desc()

    direct = select(Statement.seq).where(*_matches(Statement, flt), *_bounds(Statement, flt))
    page_order = order
    if flt.agent_ifi is not None and is_sqlite(session.get_bind()):  # type: ignore[arg-type]
        # SQLite otherwise walks the verb's (or the whole feed's) index entries testing
        # each against the agent's list; walking the agent's own (ifi, seq) entries in
        # feed order stops after one page. (PostgreSQL plans the IN form better for
        # long pages, so it keeps it.)
        agent = StatementAgent
        by_agent = [agent.ifi == flt.agent_ifi]
        if not flt.related_agents:
            by_agent.append(agent.direct.is_(True))
        if flt.top_seq is not None:
            by_agent.append(agent.seq <= flt.top_seq)
        direct = (
            select(Statement.seq)
            .join(agent, agent.seq == Statement.seq)
            .where(
                *by_agent,
                *_matches(Statement, replace(flt, agent_ifi=None)),
                *_bounds(Statement, flt),
            )
        )
        page_order = agent.seq.asc() if flt.ascending else agent.seq.desc()
    if flt.has_reference_filters():
        # SQLite refuses LIMIT inside a UNION member unless it is wrapped in a subquery.
        first_page = direct.order_by(page_order).limit(limit + 1).subquery()
        candidates = union(select(first_page.c.seq), _referencing_seqs(flt)).subquery()
        seq_source: Any = select(candidates.c[0])
        query = select(Statement.seq, Statement.stored, Statement.full_json).where(
            Statement.seq.in_(seq_source)
        )
    else:
        query = select(Statement.seq, Statement.stored, Statement.full_json).where(
            *_matches(Statement, flt), *_bounds(Statement, flt)
        )
    rows = session.execute(query.order_by(order).limit(limit + 1)).all()

    more = None
    if len(rows) > limit:
        rows = rows[:limit]
        more = encode_more(replace(flt, after_seq=rows[-1].seq))
    latest = max((row.stored for row in rows), default=None)
    return StatementPage([row.full_json for row in rows], more, latest)


def get_statement(session: Session, statement_id: str, voided: bool) -> str:
    """The exact JSON of one statement; voided ones only by ``voidedStatementId``."""
    row = session.execute(
        select(Statement.full_json, Statement.voided).where(
            Statement.statement_id == statement_id.lower()
        )
    ).one_or_none()
    if row is None or row.voided != voided:
        kind = "voided statement" if voided else "statement"
        raise NotFoundError(f"no {kind} with id {statement_id}")
    return str(row.full_json)


def encode_more(flt: StatementFilter) -> str:
    """An opaque, URL-safe token for the next page."""
    data = {k: v for k, v in asdict(flt).items() if v not in (None, False, 0)}
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_more(token: str) -> StatementFilter:
    """The filter a ``more`` token stands for; a bad token is a 400."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        return StatementFilter(**data)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise BadRequestError("more: not a valid continuation token") from exc


def latest_stored(session: Session) -> str | None:
    """The stored time of the newest statement (for X-Experience-API-Consistent-Through)."""
    return session.scalar(select(func.max(Statement.stored)))


def statements_after(session: Session, position: int, limit: int) -> list[tuple[int, str]]:
    """The feed: ``(seq, exact JSON)`` of statements after ``position``, oldest first.

    Consumers (the BDTX ledger) keep ``position`` in their own table and advance it in the
    same transaction as their effects. Voided statements stay in the feed: the consumer
    sees the voiding statement that follows them.
    """
    rows = session.execute(
        select(Statement.seq, Statement.full_json)
        .where(Statement.seq > position)
        .order_by(Statement.seq)
        .limit(limit)
    ).all()
    return [(row.seq, row.full_json) for row in rows]
