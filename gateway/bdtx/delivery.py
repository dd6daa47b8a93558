"""Delivering outbox rows: the loop every connector shares (TEMIS http/xapi, LTI scores).

A connector is a *sender*: it gets one claimed row and either returns (the receiver
acknowledged it) or raises :class:`DeliveryError` (transient: retried with backoff and
jitter) or :class:`PermanentDeliveryError` (the receiver refused it for good: dead
letter at once). Anything else a sender raises counts as transient.

Rows are claimed with a lease in one short transaction, sent outside any transaction,
and each is marked in its own transaction right after it was sent. A worker killed
between sending and marking leaves the row in flight; when its lease runs out the row
is sent again, and the receiver deduplicates on the idempotency key. Sending stops
before the lease of the batch runs out, so a slow receiver never makes two workers send
the same row at the same time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from gateway.bdtx import outbox
from gateway.bdtx.outbox import Claimed, RetryPolicy

logger = logging.getLogger(__name__)

Sender = Callable[[Claimed], None]


class DeliveryError(Exception):
    """The delivery failed and may succeed later."""

    permanent = False


class PermanentDeliveryError(DeliveryError):
    """The receiver refused the delivery for good (e.g. 400, 409): no retry."""

    permanent = True


@dataclass
class DeliveryResult:
    """What one batch did."""

    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0


def deliver_batch(
    sessions: sessionmaker[Session],
    kind: str,
    send: Sender,
    policy: RetryPolicy,
    *,
    limit: int = 50,
    lease_seconds: float = 60.0,
) -> DeliveryResult:
    """Claim up to ``limit`` due rows of ``kind`` and send them one by one."""
    with sessions.begin() as session:
        claimed = outbox.claim(session, [kind], limit, lease_seconds)
    result = DeliveryResult(claimed=len(claimed))
    deadline = time.monotonic() + lease_seconds * 0.8
    for item in claimed:
        if time.monotonic() > deadline:
            break  # the rest goes back when the lease ends
        try:
            send(item)
        except Exception as exc:
            permanent = isinstance(exc, DeliveryError) and exc.permanent
            message = f"{type(exc).__name__}: {exc}"
            with sessions.begin() as session:
                status = outbox.mark_failed(session, item.id, message, policy, permanent)
            if status == outbox.DEAD:
                result.dead += 1
                logger.warning("delivery %s %s is a dead letter: %s", kind, item.key, message)
            else:
                result.failed += 1
                logger.info("delivery %s %s failed, will retry: %s", kind, item.key, message)
            continue
        with sessions.begin() as session:
            outbox.mark_delivered(session, item.id)
        result.delivered += 1
    return result
