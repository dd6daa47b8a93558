"""Opening a catalog module for the learner of a resource-link launch.

The module's cmi5 course (``gateway.catalog.cmi5``) is launched for the learner's LTI
account ``{homePage: issuer, name: sub}``; the xAPI registration it creates is remembered
with the launch for the ledger, so the credit it earns finds its way back to this
course's gradebook.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from gateway.bdtx import launches as ledger_launches
from gateway.bdtx.errors import BdtxError
from gateway.catalog.cmi5.launch import start_launch
from gateway.catalog.content_settings import get_content_settings
from gateway.catalog.errors import CatalogError
from gateway.lti.context import LtiContext
from gateway.lti.errors import LtiError
from gateway.lti.launches import AGS_CLAIM, claims_of, custom_params, learner_actor
from gateway.lti.models import LtiLaunch

log = logging.getLogger(__name__)


def open_module(session: Session, context: LtiContext, launch: LtiLaunch) -> str:
    """Start the module's cmi5 launch for the learner; returns the URL to send them to."""
    actor = learner_actor(launch)
    if actor is None or launch.module_code is None:
        raise LtiError("Lượt mở không có người học hoặc mô đun / no learner or module")
    try:
        info = start_launch(
            session,
            launch.module_code,
            actor,
            None,
            context.public_url,
            settings=get_content_settings(),
        )
    except CatalogError as exc:
        raise LtiError(exc.message, detail="cmi5 launch refused") from exc
    claims = claims_of(launch)
    raw = claims.get(AGS_CLAIM)
    ags: dict[str, object] = raw if isinstance(raw, dict) else {}
    maximum = custom_params(claims).get("score_maximum")
    try:
        with session.begin_nested():
            ledger_launches.record_launch(
                session,
                issuer=launch.issuer,
                client_id=launch.client_id,
                user_sub=str(launch.user_sub),
                module_code=launch.module_code,
                deployment_id=launch.deployment_id,
                registration=info.registration,
                context_id=launch.context_id,
                resource_link_id=launch.resource_link_id,
                lineitem=_text(ags.get("lineitem")),
                lineitems=_text(ags.get("lineitems")),
                score_maximum=float(maximum) if maximum and maximum.isdigit() else None,
            )
    except BdtxError as exc:
        log.warning("LTI open: registration not recorded for the ledger: %s", exc)
    return info.url


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
