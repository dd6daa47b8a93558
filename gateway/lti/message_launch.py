"""pylti1p3 ``MessageLaunch`` for FastAPI (mirrors ``contrib/flask/message_launch.py``).

The validation chain is pylti1p3's, with the weak steps replaced (see each method):

========================  ===================================================================
step                      here
========================  ===================================================================
state                     the login was consumed server-side (single use, 5 minutes); the
                          browser proves it started it (partitioned cookie, or Platform
                          Storage checked by :mod:`gateway.lti.flow`)
JWT format                JOSE header must say RS256 and carry a ``kid``
registration              active registration for ``iss`` + client id (``azp`` or ``aud``)
signature and claims      :func:`gateway.lti.tokens.verify_id_token` (aud, azp, exp, iat,
                          key refetch on unknown ``kid``)
nonce                     equals the consumed login's nonce (so it is good once)
deployment                active; unknown ones are recorded as pending by the caller
message                   pylti1p3's validators plus ``target_link_uri`` for resource links
========================  ===================================================================

pylti1p3 orders the nonce check before the signature; here the signature comes first,
so an unsigned token learns nothing about stored nonces.
"""

from __future__ import annotations

import hmac
from typing import Any

from pylti1p3.exception import LtiException
from pylti1p3.message_launch import MessageLaunch

from gateway.lti.cookie import FastAPICookieService
from gateway.lti.errors import (
    DeploymentError,
    LaunchError,
    MessageError,
    StateError,
    TokenError,
    UnknownPlatformError,
)
from gateway.lti.keysets import PlatformKeySets
from gateway.lti.launch_data_storage.db import DatabaseLaunchDataStorage
from gateway.lti.logins import Login
from gateway.lti.models import ACTIVE, LtiPlatform
from gateway.lti.platforms import deployment_owned_elsewhere, find_deployment, find_platform
from gateway.lti.request import FastAPIRequest
from gateway.lti.session import FastAPISessionService
from gateway.lti.settings import LtiSettings
from gateway.lti.tokens import ALGORITHM, audiences, peek, verify_id_token
from gateway.lti.tool_config import DatabaseToolConf, ToolRegistration

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
MESSAGE_TYPE = CLAIM + "message_type"
DEPLOYMENT_ID = CLAIM + "deployment_id"
TARGET_LINK_URI = CLAIM + "target_link_uri"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
SUPPORTED_MESSAGES = (RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST)


class PendingDeploymentError(DeploymentError):
    """An unknown deployment of a known registration: the caller records it as pending."""

    def __init__(self, platform_id: int, deployment_id: str) -> None:
        super().__init__(
            "Bản cài đặt công cụ này trong LMS đang chờ quản trị viên TEMIS duyệt / this "
            "installation of the tool is waiting for the gateway administrator's approval",
            detail=f"deployment {deployment_id!r} unknown for registration #{platform_id}",
        )
        self.platform_id = platform_id
        self.deployment_id = deployment_id


class FastAPIMessageLaunch(
    MessageLaunch[FastAPIRequest, DatabaseToolConf, FastAPISessionService, FastAPICookieService]
):
    """One launch request, validated beyond pylti1p3 (see the module docstring)."""

    def __init__(
        self,
        request: FastAPIRequest,
        tool_config: DatabaseToolConf,
        *,
        login: Login,
        keysets: PlatformKeySets,
        settings: LtiSettings,
        storage: DatabaseLaunchDataStorage,
        launch_id: str,
        now: float | None = None,
    ) -> None:
        session_service = FastAPISessionService(request, storage, login)
        cookie_service = FastAPICookieService(request)
        super().__init__(request, tool_config, session_service, cookie_service, storage)
        self.set_launch_id(launch_id)
        self._login = login
        self._keysets = keysets
        self._settings = settings
        self._now = now
        self._storage = storage
        self.registration: ToolRegistration | None = None
        # True when no cookie proved the browser: Platform Storage must confirm the state.
        self.needs_storage_check = False

    def _get_request_param(self, key: str) -> str:
        return self._request.get_param(key)

    def validate(self) -> FastAPIMessageLaunch:
        """Run every check; pylti1p3 exceptions become :class:`LaunchError`."""
        if self._restored:
            raise LaunchError("Can't validate restored launch")
        self._validated = True
        try:
            self.validate_state()
            self.validate_jwt_format()
            self.validate_registration()
            self.validate_jwt_signature()
            self.validate_nonce()
            self.validate_deployment()
            self.validate_message()
            self.save_launch_data()
        except LtiException as exc:
            self._validated = False
            raise MessageError(
                "Lượt mở thiếu thông tin bắt buộc / the launch lacks required information",
                detail=str(exc),
            ) from exc
        except Exception:
            self._validated = False
            raise
        return self

    def validate_state(self) -> FastAPIMessageLaunch:
        """The request's state is the consumed login's, and this browser started it."""
        state = self._get_request_param("state")
        if not state or not hmac.compare_digest(state.encode(), self._login.state.encode()):
            raise StateError("state mismatch", detail="state is not the consumed login's")
        cookie = self._cookie_service.get_cookie(self._login.state)
        if cookie is not None:
            if not hmac.compare_digest(cookie.encode(), self._login.state.encode()):
                raise StateError(
                    "Phiên đăng nhập không khớp / the login does not match this browser",
                    detail="state cookie differs",
                )
            return self
        if self._login.storage_target:
            self.needs_storage_check = True
            return self
        raise StateError(
            "Trình duyệt chặn cookie của công cụ; hãy mở hoạt động trong cửa sổ mới / the "
            "browser blocks the tool's cookies; open the activity in a new window",
            detail="no state cookie and no platform storage",
        )

    def validate_jwt_format(self) -> FastAPIMessageLaunch:
        """Three base64url JSON parts, RS256, a ``kid``."""
        token = self._get_request_param("id_token")
        if not token:
            raise TokenError("Thiếu id_token / id_token missing")
        unverified = peek(token)
        if unverified.header.get("alg") != ALGORITHM:
            raise TokenError(
                "Thuật toán ký không được chấp nhận / signing algorithm refused",
                detail=f"alg {unverified.header.get('alg')!r}",
            )
        self._jwt = {"header": unverified.header, "body": unverified.claims}  # type: ignore[typeddict-item]
        return self

    def _client_id(self) -> str:
        """The client id the token is for: its only audience, or ``azp`` among several."""
        body: dict[str, Any] = dict(self._jwt.get("body", {}))
        azp = body.get("azp")
        aud = audiences(body)
        if len(aud) == 1:
            return aud[0]
        if isinstance(azp, str) and azp in aud:
            return azp
        raise TokenError(
            "Mã thông báo của lượt mở không hợp lệ / the launch token (id_token) is invalid",
            detail="cannot tell the client id (several audiences and no matching azp)",
        )

    def validate_registration(self) -> FastAPIMessageLaunch:
        """An active registration for the issuer and client id."""
        body: dict[str, Any] = dict(self._jwt.get("body", {}))
        iss = body.get("iss")
        if not isinstance(iss, str) or not iss:
            raise TokenError("Thiếu iss / iss missing")
        client_id = self._client_id()
        registration = self._tool_config.find_registration_by_params(iss, client_id)
        if not isinstance(registration, ToolRegistration):
            known = find_platform(self._tool_config.session, iss, client_id)
            raise UnknownPlatformError(
                "LMS này chưa được đăng ký hoặc chưa được kích hoạt / this LMS is not "
                "registered or not yet activated",
                detail=(
                    f"registration of {client_id!r} is {known.status}"
                    if known
                    else "unknown issuer or client id"
                ),
            )
        if registration.platform_id != self._login.platform_id:
            raise StateError(
                "Phiên đăng nhập thuộc LMS khác / the login was started for another LMS",
                detail="login and token name different registrations",
            )
        self._registration = registration
        self.registration = registration
        return self

    def validate_jwt_signature(self) -> FastAPIMessageLaunch:
        """Signature and claims, see :func:`gateway.lti.tokens.verify_id_token`."""
        registration = self.registration
        assert registration is not None
        claims = verify_id_token(
            self._get_request_param("id_token"),
            issuer=str(registration.get_issuer()),
            client_id=str(registration.get_client_id()),
            key_set_url=str(registration.get_key_set_url()),
            keysets=self._keysets,
            settings=self._settings,
            now=self._now,
        )
        self._jwt["body"] = claims  # type: ignore[typeddict-item]
        return self

    def validate_nonce(self) -> FastAPIMessageLaunch:
        """The nonce is the one stored for this (now consumed) login."""
        nonce = str(self._jwt.get("body", {}).get("nonce", ""))
        if not self._session_service.check_nonce(nonce):
            raise TokenError(
                "Mã thông báo đã dùng hoặc không thuộc phiên này / the token was used before "
                "or belongs to another login",
                detail="nonce does not match the consumed login",
            )
        return self

    def validate_deployment(self) -> FastAPIMessageLaunch:
        """The deployment is active; unknown ones raise :class:`PendingDeploymentError`."""
        registration = self.registration
        assert registration is not None
        body: dict[str, Any] = dict(self._jwt.get("body", {}))
        deployment_id = body.get(DEPLOYMENT_ID)
        if not isinstance(deployment_id, str) or not deployment_id:
            raise MessageError("Thiếu deployment_id / deployment_id missing")
        found = self._tool_config.find_deployment_by_params(
            str(registration.get_issuer()), deployment_id, str(registration.get_client_id())
        )
        if found is not None:
            return self
        session = self._tool_config.session
        row = find_deployment(session, registration.platform_id, deployment_id)
        if row is not None and row.status != ACTIVE:
            raise DeploymentError(
                "Bản cài đặt công cụ này đang chờ duyệt hoặc đã bị tắt / this installation "
                "of the tool is waiting for approval or disabled",
                detail=f"deployment {deployment_id!r} is {row.status}",
            )
        platform = session.get(LtiPlatform, registration.platform_id)
        assert platform is not None
        if deployment_owned_elsewhere(session, platform, deployment_id):
            raise DeploymentError(
                "Bản cài đặt không thuộc đăng ký này / the installation belongs to another "
                "registration",
                detail=f"deployment {deployment_id!r} belongs to another registration",
            )
        raise PendingDeploymentError(registration.platform_id, deployment_id)

    def validate_message(self) -> FastAPIMessageLaunch:
        """pylti1p3's per-message validators, a supported type, ``target_link_uri``."""
        body: dict[str, Any] = dict(self._jwt.get("body", {}))
        message_type = body.get(MESSAGE_TYPE)
        if message_type not in SUPPORTED_MESSAGES:
            raise MessageError(
                "Loại thông điệp LTI không được hỗ trợ / unsupported LTI message type",
                detail=f"message_type {message_type!r}",
            )
        super().validate_message()
        if message_type == RESOURCE_LINK_REQUEST and not body.get(TARGET_LINK_URI):
            raise MessageError(
                "Lượt mở thiếu thông tin bắt buộc / the launch lacks required information",
                detail="target_link_uri claim missing",
            )
        return self

    def save_launch_data(self) -> FastAPIMessageLaunch:
        """Keep the claims server-side under the launch id while the launch is pending.

        A launch waiting for its Platform Storage confirmation is only in the launch data
        storage; a completed one is in ``lti_launch`` (same claims), so it is not stored
        twice. There is no state re-validation (pylti1p3's ``set_state_valid``).
        """
        if self.needs_storage_check:
            self._session_service.save_launch_data(self._launch_id, self._jwt["body"])
        return self

    def claims(self) -> dict[str, Any]:
        """The verified claims."""
        return dict(self._jwt.get("body", {}))
