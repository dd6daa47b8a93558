"""Recorded launches and what other packages may ask of them.

A launch that identifies a learner is recorded with the platform, deployment, course,
resource link, the learner's ``sub`` (and name/email when the platform shares them), the
AGS and NRPS endpoints and the custom parameters (``module_code``, ``temis_id``).

The ledger refers to launches by ``launch_id``: :func:`launch_ags` answers where a score
for that launch goes, :func:`learner_actor` the xAPI actor of its learner.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.catalog.codes import parse_module_code
from gateway.catalog.errors import CatalogError
from gateway.lti.models import LtiDeployment, LtiLaunch
from gateway.lti.timeutil import utcnow

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
MODULE_PARAM = "module_code"
TEMIS_ID_PARAM = "temis_id"

INSTRUCTOR_ROLES = (
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor",
    "Instructor",
    "ContentDeveloper",
    "Administrator",
)


@dataclass(frozen=True)
class AgsInfo:
    """Where grades of a launch go (LTI AGS 2.0 endpoint claim)."""

    launch_id: str
    platform_id: int
    issuer: str
    client_id: str
    deployment_id: str
    user_sub: str | None
    context_id: str | None
    resource_link_id: str | None
    module_code: str | None
    scopes: tuple[str, ...]
    lineitems_url: str | None
    lineitem_url: str | None


def new_launch_id() -> str:
    """A public, unguessable launch id."""
    return secrets.token_urlsafe(24)


def _str(value: Any, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def custom_params(claims: dict[str, Any]) -> dict[str, str]:
    """The custom claim with string values only."""
    custom = claims.get(CLAIM + "custom")
    if not isinstance(custom, dict):
        return {}
    return {str(k): str(v) for k, v in custom.items() if isinstance(v, str | int | float)}


def module_key(custom: dict[str, str]) -> str | None:
    """The canonical catalog key of the ``module_code`` custom parameter, if it parses."""
    raw = custom.get(MODULE_PARAM)
    if not raw:
        return None
    try:
        return parse_module_code(raw).key
    except CatalogError:
        return None


def record_launch(
    session: Session, *, launch_id: str, platform_id: int, client_id: str, claims: dict[str, Any]
) -> LtiLaunch:
    """Store a validated launch (and touch its deployment)."""
    custom = custom_params(claims)
    context = claims.get(CLAIM + "context") or {}
    link = claims.get(CLAIM + "resource_link") or {}
    ags = claims.get(AGS_CLAIM)
    nrps = claims.get(NRPS_CLAIM) or {}
    roles = claims.get(CLAIM + "roles") or []
    deployment_id = str(claims.get(CLAIM + "deployment_id", ""))
    name = claims.get("name") or " ".join(
        part for part in (claims.get("given_name"), claims.get("family_name")) if part
    )
    now = utcnow()
    launch = LtiLaunch(
        launch_id=launch_id,
        platform_id=platform_id,
        issuer=str(claims["iss"]),
        client_id=client_id,
        deployment_id=deployment_id,
        message_type=str(claims.get(CLAIM + "message_type", "")),
        user_sub=_str(claims.get("sub"), 255),
        user_name=_str(name, 300),
        user_email=_str(claims.get("email"), 320),
        roles_json=json.dumps([r for r in roles if isinstance(r, str)]),
        context_id=_str(context.get("id") if isinstance(context, dict) else None, 255),
        context_title=_str(context.get("title") if isinstance(context, dict) else None, 500),
        resource_link_id=_str(link.get("id") if isinstance(link, dict) else None, 255),
        resource_link_title=_str(link.get("title") if isinstance(link, dict) else None, 500),
        module_code=module_key(custom),
        temis_id=_str(custom.get(TEMIS_ID_PARAM), 100),
        custom_json=json.dumps(custom, ensure_ascii=False),
        ags_json=json.dumps(ags) if isinstance(ags, dict) else None,
        nrps_url=_str(
            nrps.get("context_memberships_url") if isinstance(nrps, dict) else None, 2048
        ),
        claims_json=json.dumps(claims, ensure_ascii=False),
        created_at=now,
    )
    session.add(launch)
    deployment = session.scalar(
        select(LtiDeployment).where(
            LtiDeployment.platform_id == platform_id, LtiDeployment.deployment_id == deployment_id
        )
    )
    if deployment is not None:
        deployment.last_launch_at = now
    session.flush()
    return launch


def get_launch(session: Session, launch_id: str) -> LtiLaunch | None:
    """The launch with this public id."""
    return session.scalar(select(LtiLaunch).where(LtiLaunch.launch_id == launch_id))


def launch_ags(session: Session, launch_id: str) -> AgsInfo | None:
    """Where a score for this launch goes; None if the launch is unknown.

    ``lineitem_url`` is None when the platform gave only the line-items container (the
    score consumer then finds or creates the line item of the resource link).
    """
    launch = get_launch(session, launch_id)
    if launch is None:
        return None
    ags: dict[str, Any] = json.loads(launch.ags_json) if launch.ags_json else {}
    scope = ags.get("scope")
    return AgsInfo(
        launch_id=launch.launch_id,
        platform_id=launch.platform_id,
        issuer=launch.issuer,
        client_id=launch.client_id,
        deployment_id=launch.deployment_id,
        user_sub=launch.user_sub,
        context_id=launch.context_id,
        resource_link_id=launch.resource_link_id,
        module_code=launch.module_code,
        scopes=tuple(s for s in scope if isinstance(s, str)) if isinstance(scope, list) else (),
        lineitems_url=ags.get("lineitems") if isinstance(ags.get("lineitems"), str) else None,
        lineitem_url=ags.get("lineitem") if isinstance(ags.get("lineitem"), str) else None,
    )


def learner_actor(launch: LtiLaunch) -> dict[str, Any] | None:
    """The xAPI actor of the launch's learner: ``{account: {homePage: iss, name: sub}}``."""
    if not launch.user_sub:
        return None
    actor: dict[str, Any] = {
        "objectType": "Agent",
        "account": {"homePage": launch.issuer, "name": launch.user_sub},
    }
    if launch.user_name:
        actor["name"] = launch.user_name
    return actor


def roles_of(launch: LtiLaunch) -> list[str]:
    """The launch's LIS role URIs."""
    roles: list[str] = json.loads(launch.roles_json)
    return roles


def is_instructor(launch: LtiLaunch) -> bool:
    """Whether the launch's roles allow choosing content (deep linking, rosters)."""
    return any(role in INSTRUCTOR_ROLES for role in roles_of(launch))


def claims_of(launch: LtiLaunch) -> dict[str, Any]:
    """Every claim of the launch's id_token."""
    claims: dict[str, Any] = json.loads(launch.claims_json)
    return claims
