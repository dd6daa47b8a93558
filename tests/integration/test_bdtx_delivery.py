"""The delivery loop every connector shares, on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.bdtx import outbox
from gateway.bdtx.delivery import DeliveryError, PermanentDeliveryError, deliver_batch
from gateway.bdtx.outbox import Claimed, RetryPolicy
from gateway.db import Database

NO_WAIT = RetryPolicy(base_seconds=0.0, max_seconds=0.0, max_attempts=3)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The migrated test database with three queued deliveries a, b, c."""
    db = Database(database_url)
    for key in ("a", "b", "c"):
        db.transaction(outbox.enqueue, "temis.http", key, {"key": key})
    yield db
    db.dispose()


def _statuses(database: Database) -> dict[str, str]:
    def read(session: Session) -> dict[str, str]:
        rows = session.execute(select(outbox.OutboxItem.key, outbox.OutboxItem.status))
        return {key: status for key, status in rows}

    return database.transaction(read)


def test_acknowledged_retried_and_refused_deliveries(database: Database) -> None:
    """Sent -> delivered; transient failure -> retried later; permanent -> dead letter."""

    def send(item: Claimed) -> None:
        if item.key == "b":
            raise DeliveryError("HTTP 503")
        if item.key == "c":
            raise PermanentDeliveryError("HTTP 409")

    result = deliver_batch(database.sessions, "temis.http", send, NO_WAIT, limit=10)
    assert (result.claimed, result.delivered, result.failed, result.dead) == (3, 1, 1, 1)
    assert _statuses(database) == {"a": "delivered", "b": "pending", "c": "dead"}


def test_a_crashing_sender_counts_as_transient_until_the_last_attempt(database: Database) -> None:
    """Any exception is retried; after max_attempts the row is a dead letter."""

    def send(item: Claimed) -> None:
        raise ConnectionResetError("peer reset")

    for _ in range(3):
        deliver_batch(database.sessions, "temis.http", send, NO_WAIT, limit=10)
    assert set(_statuses(database).values()) == {"dead"}


def test_a_late_failure_never_undoes_a_delivery(database: Database) -> None:
    """A worker whose lease ran out cannot turn another worker's delivery back into pending."""
    [item] = database.transaction(outbox.claim, ["temis.http"], 1)
    database.transaction(outbox.mark_delivered, item.id)
    assert database.transaction(outbox.mark_failed, item.id, "late", NO_WAIT) == "delivered"
    assert _statuses(database)["a"] == "delivered"


def test_sending_stops_before_the_lease_runs_out(database: Database) -> None:
    """Rows a slow batch cannot send within its lease go back when the lease ends."""
    sent: list[str] = []

    def slow(item: Claimed) -> None:
        sent.append(item.key)
        time.sleep(0.3)

    result = deliver_batch(
        database.sessions, "temis.http", slow, NO_WAIT, limit=10, lease_seconds=0.5
    )
    assert result.claimed == 3 and result.delivered == len(sent) < 3
    assert sorted(_statuses(database).values()).count("in_flight") == 3 - len(sent)
