"""The outbox: idempotent enqueue, leases, backoff and dead letters on both databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.bdtx import outbox
from gateway.db import Database


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The migrated test database."""
    db = Database(database_url)
    yield db
    db.dispose()


def test_enqueue_is_idempotent_per_kind_and_key(database: Database) -> None:
    """A replayed cause never queues a second delivery."""
    assert database.transaction(outbox.enqueue, "temis.http", "k1", {"a": 1})
    assert not database.transaction(outbox.enqueue, "temis.http", "k1", {"a": 2})
    assert database.transaction(outbox.enqueue, "lti.score", "k1", {"a": 1})
    counts = database.transaction(outbox.status_counts)
    assert counts == {("temis.http", "pending"): 1, ("lti.score", "pending"): 1}


def test_claimed_items_are_not_claimed_again_until_the_lease_expires(database: Database) -> None:
    """A worker that dies mid-delivery loses its lease; another worker takes the row."""
    database.transaction(outbox.enqueue, "temis.http", "k1", {"n": 1})
    first = database.transaction(outbox.claim, ["temis.http"], 10, 60.0)
    assert [c.key for c in first] == ["k1"]
    assert database.transaction(outbox.claim, ["temis.http"], 10, 60.0) == []
    expired = database.transaction(outbox.claim, ["temis.http"], 10, -1.0)  # lease in the past
    assert expired == []  # the first lease (60 s) still holds
    database.transaction(outbox.mark_failed, first[0].id, "boom", outbox.RetryPolicy(0.0, 0.0))
    again = database.transaction(outbox.claim, ["temis.http"], 10, -1.0)
    assert [c.key for c in again] == ["k1"] and again[0].attempts == 1
    retaken = database.transaction(outbox.claim, ["temis.http"], 10, 60.0)
    assert [c.key for c in retaken] == ["k1"]


def test_failures_back_off_then_dead_letter_and_retry_revives(database: Database) -> None:
    """Exponential backoff, a dead letter after max attempts, ``retry`` brings it back."""
    policy = outbox.RetryPolicy(base_seconds=0.0, max_seconds=0.0, max_attempts=2)
    database.transaction(outbox.enqueue, "temis.http", "k1", {})
    item = database.transaction(outbox.claim, ["temis.http"], 1)[0]
    assert database.transaction(outbox.mark_failed, item.id, "503", policy) == "pending"
    item = database.transaction(outbox.claim, ["temis.http"], 1)[0]
    assert database.transaction(outbox.mark_failed, item.id, "503", policy) == "dead"
    assert database.transaction(outbox.claim, ["temis.http"], 1) == []
    assert database.transaction(outbox.retry_dead, "temis.http") == 1
    item = database.transaction(outbox.claim, ["temis.http"], 1)[0]
    database.transaction(outbox.mark_delivered, item.id)
    assert database.transaction(outbox.status_counts) == {("temis.http", "delivered"): 1}


def test_backoff_grows_and_is_capped() -> None:
    """Full jitter stays under base * 2^(n-1), capped at max_seconds."""
    policy = outbox.RetryPolicy(base_seconds=1.0, max_seconds=30.0)
    for attempts, ceiling in ((1, 1.0), (3, 4.0), (10, 30.0)):
        delays = [policy.delay(attempts) for _ in range(200)]
        assert max(delays) <= ceiling
        assert min(delays) >= 0.0
