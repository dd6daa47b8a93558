"""The durable outbox: every delivery the gateway owes (to TEMIS, to an LMS gradebook).

A row is written in the same transaction as its cause (a credit, a withdrawal, a score)
and delivered afterwards by a worker. Workers claim rows with a lease: a claimed row is
``in_flight`` until ``lease_until``; a worker that dies mid-delivery simply lets the lease
run out and another worker takes the row again. Receivers deduplicate by ``key`` (the
idempotency key), so "at least once" here is "exactly once" there.

On PostgreSQL, claims use ``FOR UPDATE SKIP LOCKED`` so that any number of ``gateway
worker`` processes share the work without blocking each other; SQLite has one writer.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from learning_store.models import Base, BigIntPK

PENDING = "pending"
IN_FLIGHT = "in_flight"
DELIVERED = "delivered"
DEAD = "dead"


class OutboxItem(Base):
    """One delivery owed to an external system."""

    __tablename__ = "bdtx_outbox"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    # What kind of delivery, e.g. "temis.http", "temis.xapi", "lti.score".
    kind: Mapped[str] = mapped_column(String(40))
    # Idempotency key, unique per kind; the receiver deduplicates on it.
    key: Mapped[str] = mapped_column(String(500))
    payload_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column()
    lease_until: Mapped[datetime | None] = mapped_column(nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Feed position or other source reference, for audits.
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    ledger_ref: Mapped[int | None] = mapped_column(BigInteger, nullable=True)

    __table_args__ = (
        UniqueConstraint("kind", "key", name="uq_bdtx_outbox_kind_key"),
        Index("ix_bdtx_outbox_due", "kind", "status", "next_attempt_at"),
    )


@dataclass(frozen=True)
class Claimed:
    """A claimed delivery: what to send and how many times it was tried before."""

    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, then a dead letter."""

    base_seconds: float = 2.0
    max_seconds: float = 600.0
    max_attempts: int = 12

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th failure (full jitter)."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** max(attempts - 1, 0))
        return random.uniform(0, ceiling)


def _now() -> datetime:
    # Naive UTC: SQLite keeps no time zone and both databases then compare alike.
    return datetime.now(UTC).replace(tzinfo=None)


def enqueue(
    session: Session,
    kind: str,
    key: str,
    payload: dict[str, Any],
    source: str | None = None,
    ledger_ref: int | None = None,
) -> bool:
    """Queue a delivery in the caller's transaction; False if (kind, key) is queued already.

    Same key, same delivery: a replayed cause never queues a second one.
    """
    exists = session.scalar(
        select(OutboxItem.id).where(OutboxItem.kind == kind, OutboxItem.key == key)
    )
    if exists is not None:
        return False
    now = _now()
    session.add(
        OutboxItem(
            kind=kind,
            key=key,
            payload_json=json.dumps(payload, ensure_ascii=False, sort_keys=True),
            status=PENDING,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            source=source,
            ledger_ref=ledger_ref,
        )
    )
    session.flush()
    return True


def enqueue_many(
    session: Session,
    items: Sequence[tuple[str, str, dict[str, Any], str | None, int | None]],
) -> int:
    """Queue many ``(kind, key, payload, source, ledger_ref)`` at once; returns how many.

    Same rule as :func:`enqueue` (a (kind, key) already queued is skipped), with one
    lookup and one insert for the whole batch.
    """
    if not items:
        return 0
    wanted = {(kind, key) for kind, key, *_ in items}
    existing: set[tuple[str, str]] = {
        (kind, key)
        for kind, key in session.execute(
            select(OutboxItem.kind, OutboxItem.key).where(
                OutboxItem.key.in_(sorted({key for _, key in wanted}))
            )
        )
    }
    now = _now()
    rows: list[dict[str, Any]] = []
    for kind, key, payload, source, ledger_ref in items:
        if (kind, key) in existing:
            continue
        existing.add((kind, key))
        rows.append(
            {
                "kind": kind,
                "key": key,
                "payload_json": json.dumps(payload, ensure_ascii=False, sort_keys=True),
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "source": source,
                "ledger_ref": ledger_ref,
            }
        )
    if rows:
        session.execute(insert(OutboxItem), rows)
    return len(rows)


def claim(
    session: Session, kinds: Sequence[str], limit: int, lease_seconds: float = 60.0
) -> list[Claimed]:
    """Take up to ``limit`` due deliveries (pending, or in flight with an expired lease)."""
    now = _now()
    due = ((OutboxItem.status == PENDING) & (OutboxItem.next_attempt_at <= now)) | (
        (OutboxItem.status == IN_FLIGHT) & (OutboxItem.lease_until < now)
    )
    query = (
        select(OutboxItem)
        .where(OutboxItem.kind.in_(kinds), due)
        .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    items = list(session.scalars(query))
    lease = now + timedelta(seconds=lease_seconds)
    for item in items:
        item.status = IN_FLIGHT
        item.lease_until = lease
    session.flush()
    return [
        Claimed(item.id, item.kind, item.key, json.loads(item.payload_json), item.attempts)
        for item in items
    ]


def mark_delivered(session: Session, item_id: int) -> None:
    """The receiver acknowledged the delivery."""
    item = session.get(OutboxItem, item_id)
    if item is None:
        return
    item.status = DELIVERED
    item.delivered_at = _now()
    item.lease_until = None
    item.attempts += 1
    item.last_error = None


def mark_failed(
    session: Session, item_id: int, error: str, policy: RetryPolicy, permanent: bool = False
) -> str:
    """Record a failed try; schedule the next one or dead-letter it. Returns the status."""
    item = session.get(OutboxItem, item_id)
    if item is None:
        return DEAD
    if item.status == DELIVERED:
        # Another worker (whose lease came after ours ran out) already delivered it.
        return DELIVERED
    item.attempts += 1
    item.last_error = error[:2000]
    item.lease_until = None
    if permanent or item.attempts >= policy.max_attempts:
        item.status = DEAD
    else:
        item.status = PENDING
        item.next_attempt_at = _now() + timedelta(seconds=policy.delay(item.attempts))
    return item.status


def retry_dead(session: Session, kind: str | None = None) -> int:
    """Put dead letters back in the queue (``gateway temis retry``); returns how many."""
    query = select(OutboxItem).where(OutboxItem.status == DEAD)
    if kind is not None:
        query = query.where(OutboxItem.kind == kind)
    items = list(session.scalars(query))
    now = _now()
    for item in items:
        item.status = PENDING
        item.attempts = 0
        item.next_attempt_at = now
    return len(items)


def status_counts(session: Session) -> dict[tuple[str, str], int]:
    """How many deliveries per (kind, status)."""
    rows = session.execute(
        select(OutboxItem.kind, OutboxItem.status, func.count()).group_by(
            OutboxItem.kind, OutboxItem.status
        )
    )
    return {(kind, status): count for kind, status, count in rows}
