"""LTI Dynamic Registration 1.0 (Moodle 3.10+, Canvas) and the Canvas developer-key JSON.

Dynamic registration (IMS LTI-DR 1.0 §3): the platform opens ``/lti/register`` with
``openid_configuration`` and ``registration_token``. The tool fetches the configuration,
checks that its ``issuer`` is the prefix of the configuration URL (same scheme and host,
§3.5.1), posts its own configuration to the ``registration_endpoint`` with the token,
stores the returned client id (and deployment id) and closes the dialog with the
``org.imsglobal.lti.close`` message. New registrations wait for an admin unless
``GATEWAY_LTI_AUTO_ACTIVATE`` is set.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.orm import Session

from gateway.lti.context import JWKS_PATH, LAUNCH_PATH, LOGIN_PATH, LtiContext
from gateway.lti.errors import LtiError, RegistrationError
from gateway.lti.models import ACTIVE, PENDING, LtiPlatform
from gateway.lti.platforms import add_deployment, add_platform, check_url, find_platform

SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
)
TOOL_CONFIG = "https://purl.imsglobal.org/spec/lti-tool-configuration"
PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration"
_CLAIMS = ["iss", "sub", "name", "given_name", "family_name", "email"]


def tool_configuration(context: LtiContext) -> dict[str, Any]:
    """The client metadata the tool registers with (LTI-DR §3.3, OIDC registration)."""
    launch = context.url(LAUNCH_PATH)
    return {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": context.url(LOGIN_PATH),
        "redirect_uris": [launch],
        "client_name": context.settings.title,
        "client_name#vi": context.settings.title,
        "jwks_uri": context.url(JWKS_PATH),
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": " ".join(SCOPES),
        TOOL_CONFIG: {
            "domain": context.domain,
            "description": context.settings.description,
            "target_link_uri": launch,
            "custom_parameters": {},
            "claims": _CLAIMS,
            "messages": [
                {
                    "type": "LtiDeepLinkingRequest",
                    "target_link_uri": launch,
                    "label": context.settings.title,
                    "label#vi": context.settings.title,
                },
                {"type": "LtiResourceLinkRequest", "target_link_uri": launch},
            ],
        },
    }


def _fetch_json(client: httpx.Client, url: str) -> dict[str, Any]:
    try:
        response = client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise RegistrationError(
            "Không đọc được cấu hình của LMS / the LMS configuration could not be read",
            detail=f"{type(exc).__name__} fetching openid_configuration",
        ) from exc
    if response.status_code != 200:
        raise RegistrationError(
            "Không đọc được cấu hình của LMS / the LMS configuration could not be read",
            detail=f"openid_configuration answered HTTP {response.status_code}",
        )
    try:
        value = response.json()
    except ValueError as exc:
        raise RegistrationError(
            "Cấu hình của LMS không phải JSON / the LMS configuration is not JSON"
        ) from exc
    if not isinstance(value, dict):
        raise RegistrationError("Cấu hình của LMS không hợp lệ / invalid LMS configuration")
    return value


def _check_issuer(configuration_url: str, issuer: Any) -> str:
    """LTI-DR §3.5.1: the issuer must prefix the openid-configuration URL (same origin)."""
    if not isinstance(issuer, str) or not issuer:
        raise RegistrationError("Cấu hình LMS thiếu issuer / the configuration has no issuer")
    own = urlsplit(configuration_url)
    iss = urlsplit(issuer)
    if (iss.scheme, iss.netloc) != (own.scheme, own.netloc) or not configuration_url.startswith(
        issuer.rstrip("/")
    ):
        raise RegistrationError(
            "Issuer của LMS không khớp địa chỉ cấu hình / the LMS issuer does not match its "
            "configuration URL",
            detail=f"issuer {issuer!r} vs {configuration_url!r}",
        )
    return issuer


def register(
    session: Session,
    context: LtiContext,
    openid_configuration: str,
    registration_token: str | None,
) -> LtiPlatform:
    """Run dynamic registration and store the platform (pending unless auto-activated)."""
    try:
        config_url = check_url(openid_configuration, "openid_configuration")
    except LtiError as exc:
        raise RegistrationError(exc.message) from exc
    with context.http() as client:
        config = _fetch_json(client, config_url)
        issuer = _check_issuer(config_url, config.get("issuer"))
        try:
            endpoint = check_url(str(config.get("registration_endpoint", "")), "registration")
            auth_login = check_url(str(config.get("authorization_endpoint", "")), "authorization")
            token_url = check_url(str(config.get("token_endpoint", "")), "token_endpoint")
            jwks_url = check_url(str(config.get("jwks_uri", "")), "jwks_uri")
        except LtiError as exc:
            raise RegistrationError(exc.message) from exc
        algs = config.get("id_token_signing_alg_values_supported") or ["RS256"]
        if "RS256" not in algs:
            raise RegistrationError("LMS không ký bằng RS256 / the LMS does not sign with RS256")
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        if registration_token:
            headers["Authorization"] = f"Bearer {registration_token}"
        try:
            answer = client.post(
                endpoint, content=json.dumps(tool_configuration(context)), headers=headers
            )
        except httpx.HTTPError as exc:
            raise RegistrationError(
                "LMS không nhận đăng ký / the LMS did not accept the registration",
                detail=f"{type(exc).__name__} posting the registration",
            ) from exc
    if answer.status_code not in (200, 201):
        raise RegistrationError(
            "LMS không nhận đăng ký / the LMS did not accept the registration",
            detail=f"registration endpoint answered HTTP {answer.status_code}",
        )
    try:
        result = answer.json()
    except ValueError as exc:
        raise RegistrationError("LMS trả lời không phải JSON / the LMS answer is not JSON") from exc
    client_id = result.get("client_id") if isinstance(result, dict) else None
    if not isinstance(client_id, str) or not client_id:
        raise RegistrationError("LMS không cấp client_id / the LMS gave no client_id")
    tool_config = result.get(TOOL_CONFIG) or {}
    deployment_id = tool_config.get("deployment_id") if isinstance(tool_config, dict) else None
    platform_config = config.get(PLATFORM_CONFIG) or {}
    product = str(platform_config.get("product_family_code", ""))[:100]
    existing = find_platform(session, issuer, client_id)
    if existing is not None:
        platform = existing
        platform.auth_login_url = auth_login
        platform.auth_token_url = token_url
        platform.key_set_url = jwks_url
        platform.registration_json = json.dumps(result)
    else:
        platform = add_platform(
            session,
            issuer=issuer,
            client_id=client_id,
            auth_login_url=auth_login,
            auth_token_url=token_url,
            key_set_url=jwks_url,
            name=str(platform_config.get("product_family_code") or urlsplit(issuer).netloc),
            auth_audience=config.get("authorization_server")
            if isinstance(config.get("authorization_server"), str)
            else None,
            status=ACTIVE if context.settings.auto_activate else PENDING,
            source="dynamic",
            product=product,
            registration_json=json.dumps(result),
        )
    if isinstance(deployment_id, str) and deployment_id:
        add_deployment(session, platform.id, deployment_id, status=ACTIVE)
    return platform


def canvas_configuration(context: LtiContext) -> dict[str, Any]:
    """The Canvas developer-key JSON (Admin → Developer Keys → LTI Key → "Enter URL")."""
    launch = context.url(LAUNCH_PATH)
    title = context.settings.title
    return {
        "title": title,
        "description": context.settings.description,
        "oidc_initiation_url": context.url(LOGIN_PATH),
        "target_link_uri": launch,
        "public_jwk_url": context.url(JWKS_PATH),
        "scopes": list(SCOPES),
        "extensions": [
            {
                "domain": context.domain,
                "tool_id": "temis-bdtx",
                "platform": "canvas.instructure.com",
                "privacy_level": "public",
                "settings": {
                    "text": title,
                    "placements": [
                        {
                            "placement": "link_selection",
                            "message_type": "LtiDeepLinkingRequest",
                            "target_link_uri": launch,
                            "text": title,
                        },
                        {
                            "placement": "assignment_selection",
                            "message_type": "LtiDeepLinkingRequest",
                            "target_link_uri": launch,
                            "text": title,
                        },
                        {
                            "placement": "course_navigation",
                            "message_type": "LtiResourceLinkRequest",
                            "target_link_uri": launch,
                            "text": title,
                            "default": "enabled",
                        },
                    ],
                },
            }
        ],
        "custom_fields": {},
    }
