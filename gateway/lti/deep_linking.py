"""Deep Linking 2.0: the picker's module list and the signed response.

The response message is built by pylti1p3 (``DeepLink``, ``DeepLinkResource``,
``LineItem``) and signed here with the tool's active key (joserfc, RS256, with ``kid``):
pylti1p3 would sign without a ``kid`` since it derives none from a PEM.

Each chosen module becomes an ``ltiResourceLink`` to the tool's launch URL with the module
code as the ``module_code`` custom parameter and a line item (label, ``scoreMaximum``,
``resourceId`` = code, ``tag``) so the LMS creates its gradebook column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem
from sqlalchemy.orm import Session

from gateway.catalog import service as catalog
from gateway.catalog.codes import parse_module_code
from gateway.catalog.errors import CatalogError
from gateway.catalog.models import CatalogModule
from gateway.catalog.terms import Audience, Level, parse_audience, parse_level
from gateway.lti.context import LAUNCH_PATH, LtiContext
from gateway.lti.errors import DeepLinkError
from gateway.lti.launches import DL_CLAIM, MODULE_PARAM, claims_of, custom_params
from gateway.lti.models import LtiLaunch, LtiPlatform
from gateway.lti.tool_config import ToolRegistration

SCORE_MAXIMUM = 100
LINE_ITEM_TAG = "temis-bdtx"


@dataclass(frozen=True)
class PickerFilters:
    """Filters the launch implies (custom parameters ``level`` and ``audience``)."""

    level: Level | None
    audience: Audience | None

    def labels(self) -> list[str]:
        """Human labels of the active filters."""
        out = []
        if self.level is not None:
            out.append(f"cấp học / level {self.level.value}")
        if self.audience is not None:
            out.append(f"đối tượng / audience {self.audience.value}")
        return out


def picker_filters(launch: LtiLaunch) -> PickerFilters:
    """Level and audience named by the launch's custom parameters (bad values ignored)."""
    custom = custom_params(claims_of(launch))
    level: Level | None = None
    audience: Audience | None = None
    try:
        raw = custom.get("level") or custom.get("temis_level")
        level = parse_level(raw) if raw else None
    except CatalogError:
        level = None
    try:
        raw = custom.get("audience") or custom.get("temis_audience")
        audience = parse_audience(raw) if raw else None
    except CatalogError:
        audience = None
    return PickerFilters(level, audience)


def settings_of(launch: LtiLaunch) -> dict[str, Any]:
    """The launch's deep_linking_settings claim."""
    value = claims_of(launch).get(DL_CLAIM)
    if not isinstance(value, dict) or not isinstance(value.get("deep_link_return_url"), str):
        raise DeepLinkError("Lượt mở không phải chọn nội dung / this launch is not a deep link")
    return value


def picker_modules(session: Session, launch: LtiLaunch, query: str) -> list[CatalogModule]:
    """Active modules matching the launch's filters and the (diacritics-free) query."""
    filters = picker_filters(launch)
    return catalog.list_modules(
        session, level=filters.level, audience=filters.audience, query=query or None
    )


def response_jwt(
    session: Session, context: LtiContext, launch: LtiLaunch, module_keys: list[str]
) -> tuple[str, str]:
    """The return URL and the signed LtiDeepLinkingResponse for the chosen modules."""
    dl_settings = settings_of(launch)
    if not module_keys:
        raise DeepLinkError("Hãy chọn một mô đun / choose a module")
    multiple = dl_settings.get("accept_multiple") in (True, "true")
    if len(module_keys) > 1 and not multiple:
        raise DeepLinkError("LMS chỉ nhận một mô đun / the LMS accepts one module only")
    accept = dl_settings.get("accept_types") or []
    if "ltiResourceLink" not in accept:
        raise DeepLinkError("LMS không nhận liên kết LTI / the LMS accepts no LTI links")
    resources = []
    for raw in module_keys:
        try:
            module = catalog.get_module(session, parse_module_code(raw))
        except CatalogError as exc:
            raise DeepLinkError(exc.message) from exc
        if not module.active:
            raise DeepLinkError(
                f"Mô đun {module.code.display} đã bị gỡ / module {module.code.display} was removed"
            )
        resources.append(_resource(context, module))
    platform = session.get(LtiPlatform, launch.platform_id)
    if platform is None:
        raise DeepLinkError("Đăng ký LMS đã bị xoá / the LMS registration was removed")
    signing = context.keyring.signing_key(session)
    deep_link = DeepLink(ToolRegistration(platform, signing), launch.deployment_id, dl_settings)  # type: ignore[arg-type]
    message = deep_link.get_message_jwt(resources)
    if message.get("https://purl.imsglobal.org/spec/lti-dl/claim/data") is None:
        message.pop("https://purl.imsglobal.org/spec/lti-dl/claim/data", None)
    message["azp"] = platform.client_id
    token = jwt.encode({"alg": "RS256", "kid": signing.kid, "typ": "JWT"}, message, signing.key)
    return str(dl_settings["deep_link_return_url"]), token


def _resource(context: LtiContext, module: CatalogModule) -> DeepLinkResource:
    code = module.code
    line_item = (
        LineItem()
        .set_label(f"{code.display} · {module.title}"[:250])
        .set_score_maximum(SCORE_MAXIMUM)
        .set_resource_id(code.key)
        .set_tag(LINE_ITEM_TAG)
    )
    return (
        DeepLinkResource()
        .set_url(context.url(LAUNCH_PATH))
        .set_title(f"{code.display} · {module.title}"[:250])
        .set_custom_params({MODULE_PARAM: code.key, "score_maximum": str(SCORE_MAXIMUM)})
        .set_lineitem(line_item)
    )
