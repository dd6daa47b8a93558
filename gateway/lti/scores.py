"""Grade passback: the consumer of the ledger's ``lti.score`` outbox deliveries.

The BDTX ledger queues an ``lti.score`` row (``gateway.bdtx.deliveries.lti_payload``) in
the transaction that writes a credit earned through an LTI launch. :func:`deliver_scores`
claims due rows, posts each as an AGS score to the platform, and marks it delivered, or
failed with backoff (dead after the retry policy's last attempt; refusals that cannot
succeed later, such as an unknown registration or HTTP 400/403/404, die at once).

Payload fields used: ``issuer``, ``client_id``, ``user_sub``, ``lineitem`` (or
``lineitems`` + ``resource_link_id``), ``score_given``, ``score_maximum``,
``activity_progress``, ``grading_progress``, ``timestamp``, ``comment``, ``module_key``,
``action`` ("upsert" or "withdraw": a withdrawal posts no ``scoreGiven``). A payload may
instead name ``launch_id``; the recorded launch then supplies the platform fields.

``gateway.worker`` runs it as the ``lti.score`` task (embedded in ``gateway serve`` or in
``gateway worker --only lti.score``)::

    from gateway.lti.scores import deliver_scores
    report = deliver_scores(database, batch_size, policy=retry_policy)

``deliver_scores`` is safe to run in several processes at once (claims use leases and
``SKIP LOCKED`` on PostgreSQL); the AGS score is idempotent for the platform (same user,
same line item, later timestamp wins).
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from gateway.bdtx.outbox import RetryPolicy, claim, mark_delivered, mark_failed
from gateway.db import Database
from gateway.lti.context import LtiContext
from gateway.lti.errors import LtiError, PlatformCallError
from gateway.lti.launches import launch_ags
from gateway.lti.models import ACTIVE
from gateway.lti.platforms import find_platform
from gateway.lti.services import PlatformServices
from gateway.lti.settings import get_lti_settings

log = logging.getLogger(__name__)

LTI_SCORE = "lti.score"


@dataclass(frozen=True)
class ScoreReport:
    """What one :func:`deliver_scores` run did."""

    delivered: int
    retried: int
    dead: int


class _Permanent(LtiError):
    """A delivery that can never succeed as it is."""


def deliver_scores(
    database: Database,
    limit: int = 50,
    *,
    context: LtiContext | None = None,
    policy: RetryPolicy | None = None,
    lease_seconds: float = 120.0,
) -> ScoreReport:
    """Deliver up to ``limit`` due ``lti.score`` rows; returns the counts."""
    if context is None:
        context = _default_context(database)
    policy = policy or RetryPolicy()
    claimed = database.transaction(claim, [LTI_SCORE], limit, lease_seconds)
    delivered = retried = dead = 0
    for item in claimed:
        try:
            with database.sessions() as session:
                _deliver(session, context, item.payload)
        except (PlatformCallError, _Permanent) as exc:
            permanent = isinstance(exc, _Permanent) or not getattr(exc, "retryable", True)
            status = database.transaction(
                mark_failed, item.id, f"{exc.message} [{exc.detail or ''}]", policy, permanent
            )
            if status == "dead":
                dead += 1
            else:
                retried += 1
            log.warning("lti.score %s failed (%s): %s", item.key, status, exc.detail)
            continue
        database.transaction(mark_delivered, item.id)
        delivered += 1
    return ScoreReport(delivered, retried, dead)


_CONTEXTS: weakref.WeakKeyDictionary[Database, LtiContext] = weakref.WeakKeyDictionary()


def _default_context(database: Database) -> LtiContext:
    """One context per database for the worker, so keys and tokens stay cached between runs."""
    context = _CONTEXTS.get(database)
    if context is None:
        from gateway.settings import get_settings

        settings = get_settings()
        context = LtiContext(
            database,
            get_lti_settings(),
            settings.public_url,
            settings.secret_key.get_secret_value(),
        )
        _CONTEXTS[database] = context
    return context


def _deliver(session: Session, context: LtiContext, payload: dict[str, Any]) -> None:
    fields = dict(payload)
    if fields.get("launch_id"):
        info = launch_ags(session, str(fields["launch_id"]))
        if info is None:
            raise _Permanent("unknown launch", detail=f"launch {fields['launch_id']!r}")
        fields.setdefault("issuer", info.issuer)
        fields.setdefault("client_id", info.client_id)
        fields.setdefault("user_sub", info.user_sub)
        fields.setdefault("lineitem", info.lineitem_url)
        fields.setdefault("lineitems", info.lineitems_url)
        fields.setdefault("resource_link_id", info.resource_link_id)
        fields.setdefault("module_key", info.module_code)
    platform = find_platform(
        session, str(fields.get("issuer", "")), str(fields.get("client_id", ""))
    )
    if platform is None or platform.status != ACTIVE:
        raise _Permanent("registration unknown or inactive", detail=str(fields.get("issuer")))
    user = fields.get("user_sub")
    if not user:
        raise _Permanent("no user", detail="payload without user_sub")
    with context.http() as client:
        services = PlatformServices(
            platform, context.keyring.signing_key(session), client, context.tokens
        )
        _post(services, fields, str(user))


def _post(services: PlatformServices, fields: dict[str, Any], user: str) -> None:
    lineitem = fields.get("lineitem")
    maximum = float(fields.get("score_maximum") or 100)
    if not lineitem:
        container = fields.get("lineitems")
        if not container:
            raise _Permanent("no line item", detail="payload without lineitem or lineitems")
        label = str(fields.get("module_key") or "TEMIS BDTX")
        lineitem = services.find_or_create_line_item(
            str(container),
            str(fields["resource_link_id"]) if fields.get("resource_link_id") else None,
            {"label": label, "scoreMaximum": maximum, "resourceId": label, "tag": "temis-bdtx"},
        )
    score: dict[str, Any] = {
        "userId": user,
        "activityProgress": fields.get("activity_progress") or "Completed",
        "gradingProgress": fields.get("grading_progress") or "FullyGraded",
        "timestamp": _timestamp(fields.get("timestamp")),
    }
    if fields.get("action") != "withdraw" and fields.get("score_given") is not None:
        score["scoreGiven"] = float(fields["score_given"])
        score["scoreMaximum"] = maximum
    if fields.get("comment"):
        score["comment"] = str(fields["comment"])[:1000]
    services.post_score(str(lineitem), score)


def _timestamp(value: Any) -> str:
    """ISO 8601 with a time zone (AGS §3.4.2 requires one)."""
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = datetime.now(UTC)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.isoformat(timespec="milliseconds")
    return datetime.now(UTC).isoformat(timespec="milliseconds")
