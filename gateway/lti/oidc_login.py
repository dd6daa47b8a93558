"""pylti1p3 ``OIDCLogin`` for FastAPI (mirrors ``contrib/flask/oidc_login.py``).

Beyond pylti1p3: ``target_link_uri`` must point at this tool (no open redirect through
the login), only active registrations are found, the state and nonce are random
(``secrets``) and stored server-side with a short lifetime, and when the platform offers
LTI Platform Storage (``lti_storage_target``) the state is also put there, since the
state cookie may not survive in a third-party iframe.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from pylti1p3.oidc_login import OIDCLogin
from pylti1p3.registration import Registration
from sqlalchemy.orm import Session
from starlette.responses import HTMLResponse, Response

from gateway.lti.context import LtiContext
from gateway.lti.cookie import FastAPICookieService
from gateway.lti.errors import LoginError
from gateway.lti.launch_data_storage.db import DatabaseLaunchDataStorage
from gateway.lti.logins import Login, issue_login
from gateway.lti.redirect import FastAPIRedirect
from gateway.lti.request import FastAPIRequest
from gateway.lti.session import FastAPISessionService
from gateway.lti.tool_config import DatabaseToolConf, ToolRegistration

STORAGE_KEY_PREFIX = "lti1p3-state-"


class FastAPIOIDCLogin(
    OIDCLogin[
        FastAPIRequest, DatabaseToolConf, FastAPISessionService, FastAPICookieService, Response
    ]
):
    """The third-party initiated login (OIDC step 1) of one request."""

    def __init__(
        self,
        request: FastAPIRequest,
        tool_config: DatabaseToolConf,
        context: LtiContext,
        session: Session,
    ) -> None:
        storage = DatabaseLaunchDataStorage(session)
        super().__init__(
            request,
            tool_config,
            FastAPISessionService(request, storage),
            FastAPICookieService(request),
        )
        self._context = context
        self._session = session
        self.login: Login | None = None

    def get_redirect(self, url: str) -> FastAPIRedirect:
        """A redirect carrying the state cookie."""
        return FastAPIRedirect(url, self._cookie_service)

    def get_response(self, html: str) -> Response:
        """An HTML response."""
        return HTMLResponse(html)

    def validate_oidc_login(self) -> Registration:
        """Issuer, login hint, an active registration, a target on this host."""
        iss = self._get_request_param("iss")
        if not iss:
            raise LoginError("Thiếu iss / the login request has no issuer")
        if not self._get_request_param("login_hint"):
            raise LoginError("Thiếu login_hint / the login request has no login_hint")
        target = self._get_request_param("target_link_uri")
        if not target or not self._context.is_own_url(target):
            raise LoginError(
                "Địa chỉ đích không thuộc công cụ này / target_link_uri does not point at this tool"
            )
        client_id = self._get_request_param("client_id")
        if client_id:
            registration = self._tool_config.find_registration_by_params(iss, client_id)
        else:
            # Older platforms omit client_id; only an issuer with one registration works.
            registration = self._tool_config.find_registration_by_issuer(iss)
        if not isinstance(registration, ToolRegistration):
            raise LoginError(
                "LMS này chưa được đăng ký hoặc chưa được kích hoạt / this LMS is not "
                "registered or not yet activated"
            )
        return registration

    def _prepare_redirect_url(self, launch_url: str) -> str:
        registration = self.validate_oidc_login()
        assert isinstance(registration, ToolRegistration)
        self._registration = registration
        storage_target = self._get_request_param("lti_storage_target") or None
        login = issue_login(
            self._session,
            registration.platform_id,
            self._get_request_param("target_link_uri"),
            storage_target[:200] if storage_target else None,
            self._context.settings.state_seconds,
        )
        self.login = login
        self._cookie_service.set_cookie(
            login.state, login.state, self._context.settings.state_seconds
        )
        params = {
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": registration.get_client_id(),
            "redirect_uri": launch_url,
            "state": login.state,
            "nonce": login.nonce,
            "login_hint": self._get_request_param("login_hint"),
        }
        hint = self._get_request_param("lti_message_hint")
        if hint:
            params["lti_message_hint"] = hint
        auth_url = str(registration.get_auth_login_url())
        separator = "&" if urlsplit(auth_url).query else "?"
        return auth_url + separator + urlencode(params)

    def respond(self, launch_url: str) -> Response:
        """A redirect to the platform's authorization endpoint (through Platform Storage)."""
        redirect = self.get_redirect(self._prepare_redirect_url(launch_url))
        login = self.login
        assert login is not None
        if login.storage_target:
            auth = urlsplit(str(self._registration.get_auth_login_url()))
            return redirect.do_storage_redirect(
                login.storage_target,
                STORAGE_KEY_PREFIX + login.state,
                login.state,
                f"{auth.scheme}://{auth.netloc}",
            )
        return redirect.do_redirect()
