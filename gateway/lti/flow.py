"""The launch flow's use cases: OIDC login, launch, Platform Storage confirmation.

Each function is blocking (pylti1p3, SQLAlchemy, httpx) and runs in a worker thread.
Transactions are cut so that a refused launch records nothing of the launch itself, yet
its login stays consumed (a state is good for one try) and an unknown deployment of a
known registration is remembered as pending for the admin.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session
from starlette.responses import Response

from gateway.bdtx import launches as ledger_launches
from gateway.bdtx import people
from gateway.bdtx.errors import BdtxError
from gateway.lti.context import LAUNCH_PATH, LtiContext
from gateway.lti.errors import StateError
from gateway.lti.launch_data_storage.db import DatabaseLaunchDataStorage
from gateway.lti.launches import (
    AGS_CLAIM,
    TEMIS_ID_PARAM,
    custom_params,
    new_launch_id,
    record_launch,
)
from gateway.lti.logins import consume_login
from gateway.lti.message_launch import (
    DEEP_LINKING_REQUEST,
    FastAPIMessageLaunch,
    PendingDeploymentError,
)
from gateway.lti.models import PENDING
from gateway.lti.oidc_login import STORAGE_KEY_PREFIX, FastAPIOIDCLogin
from gateway.lti.platforms import add_deployment, find_deployment
from gateway.lti.request import FastAPIRequest
from gateway.lti.tool_config import DatabaseToolConf

log = logging.getLogger(__name__)

PENDING_PREFIX = "pending-"
PENDING_SECONDS = 120


@dataclass(frozen=True)
class LaunchOutcome:
    """What the launch route renders next."""

    kind: str  # "resource" | "deep_link" | "storage_check"
    launch_id: str
    storage_target: str | None = None
    storage_key: str | None = None
    storage_origin: str | None = None


def start_login(context: LtiContext, request: FastAPIRequest) -> Response:
    """OIDC step 1: store a login, redirect to the platform (with its state cookie)."""
    with context.database.sessions.begin() as session:
        login = FastAPIOIDCLogin(request, DatabaseToolConf(session), context, session)
        return login.respond(context.url(LAUNCH_PATH))


def launch(context: LtiContext, request: FastAPIRequest, now: float | None = None) -> LaunchOutcome:
    """OIDC step 3: validate the id_token; record the launch (or await Platform Storage)."""
    login = context.database.transaction(consume_login, request.get_param("state"))
    launch_id = new_launch_id()
    try:
        with context.database.sessions.begin() as session:
            storage = DatabaseLaunchDataStorage(session)
            message = FastAPIMessageLaunch(
                request,
                DatabaseToolConf(session),
                login=login,
                keysets=context.keysets,
                settings=context.settings,
                storage=storage,
                launch_id=launch_id,
                now=now,
            )
            message.set_launch_data_lifetime(context.settings.launch_token_seconds)
            message.validate()
            registration = message.registration
            assert registration is not None
            claims = message.claims()
            if message.needs_storage_check:
                storage.set_value(
                    PENDING_PREFIX + launch_id,
                    {
                        "state": login.state,
                        "platform_id": registration.platform_id,
                        "client_id": registration.get_client_id(),
                    },
                    PENDING_SECONDS,
                )
                auth = urlsplit(str(registration.get_auth_login_url()))
                return LaunchOutcome(
                    "storage_check",
                    launch_id,
                    storage_target=login.storage_target,
                    storage_key=STORAGE_KEY_PREFIX + login.state,
                    storage_origin=f"{auth.scheme}://{auth.netloc}",
                )
            return _complete(
                session,
                context,
                launch_id,
                registration.platform_id,
                str(registration.get_client_id()),
                claims,
            )
    except PendingDeploymentError as exc:
        context.database.transaction(_record_pending, exc.platform_id, exc.deployment_id)
        raise


def confirm(context: LtiContext, pending: str, state: str) -> LaunchOutcome:
    """Finish a launch whose state came back from Platform Storage (single use)."""
    taken = context.database.transaction(_take_pending, pending)
    if (
        taken is None
        or not state
        or not hmac.compare_digest(str(taken["state"]).encode(), state.encode())
    ):
        raise StateError(
            "Không xác minh được lượt mở; hãy mở lại từ LMS / the launch could not be "
            "verified; open it again from the LMS",
            detail="platform storage state missing or different",
        )
    with context.database.sessions.begin() as session:
        claims = DatabaseLaunchDataStorage(session).get_value(pending)
        if not isinstance(claims, dict):
            raise StateError(
                "Lượt mở đã hết hạn; hãy mở lại từ LMS / the launch expired; open it again "
                "from the LMS",
                detail="launch data gone",
            )
        return _complete(
            session, context, pending, int(taken["platform_id"]), str(taken["client_id"]), claims
        )


def _take_pending(session: Session, pending: str) -> dict[str, Any] | None:
    storage = DatabaseLaunchDataStorage(session)
    value = storage.get_value(PENDING_PREFIX + pending)
    storage.delete_value(PENDING_PREFIX + pending)
    return value if isinstance(value, dict) else None


def _record_pending(session: Session, platform_id: int, deployment_id: str) -> None:
    if find_deployment(session, platform_id, deployment_id) is None:
        add_deployment(session, platform_id, deployment_id, status=PENDING)
        log.warning("LTI deployment %r of registration #%s is pending", deployment_id, platform_id)


def _complete(
    session: Session,
    context: LtiContext,
    launch_id: str,
    platform_id: int,
    client_id: str,
    claims: dict[str, Any],
) -> LaunchOutcome:
    row = record_launch(
        session, launch_id=launch_id, platform_id=platform_id, client_id=client_id, claims=claims
    )
    if row.message_type == DEEP_LINKING_REQUEST:
        return LaunchOutcome("deep_link", launch_id)
    if row.user_sub:
        _tell_ledger(session, row.issuer, client_id, claims, row.module_code)
    return LaunchOutcome("resource", launch_id)


def _tell_ledger(
    session: Session, issuer: str, client_id: str, claims: dict[str, Any], module: str | None
) -> None:
    """Link the learner's LMS account to a person and remember the launch for passback.

    Both happen in the launch's transaction, inside a savepoint: a ledger refusal (an
    account linked to someone else, say) is logged and does not refuse the launch.
    """
    custom = custom_params(claims)
    ags = claims.get(AGS_CLAIM) if isinstance(claims.get(AGS_CLAIM), dict) else None
    context_claim = claims.get("https://purl.imsglobal.org/spec/lti/claim/context") or {}
    link = claims.get("https://purl.imsglobal.org/spec/lti/claim/resource_link") or {}
    sub = str(claims["sub"])
    try:
        with session.begin_nested():
            people.link_identity(
                session,
                issuer,
                sub,
                temis_id=custom.get(TEMIS_ID_PARAM) or None,
                name=claims.get("name") if isinstance(claims.get("name"), str) else None,
                email=claims.get("email") if isinstance(claims.get("email"), str) else None,
                source="lti",
            )
    except BdtxError as exc:
        log.warning("LTI launch: identity not linked: %s", exc)
    if module is None:
        return
    maximum = _float(custom.get("score_maximum"))
    try:
        with session.begin_nested():
            ledger_launches.record_launch(
                session,
                issuer=issuer,
                client_id=client_id,
                user_sub=sub,
                module_code=module,
                deployment_id=str(
                    claims.get("https://purl.imsglobal.org/spec/lti/claim/deployment_id", "")
                ),
                context_id=_text(context_claim, "id"),
                resource_link_id=_text(link, "id"),
                lineitem=_text(ags, "lineitem"),
                lineitems=_text(ags, "lineitems"),
                score_maximum=maximum,
            )
    except BdtxError as exc:
        log.warning("LTI launch: not recorded for the ledger: %s", exc)


def _text(claim: Any, key: str) -> str | None:
    value = claim.get(key) if isinstance(claim, dict) else None
    return value if isinstance(value, str) and value else None


def _float(value: str | None) -> float | None:
    try:
        number = float(value) if value else None
    except ValueError:
        return None
    return number if number is not None and number > 0 else None
