"""pylti1p3 ``Redirect`` for FastAPI (mirrors ``contrib/flask/redirect.py``)."""

from __future__ import annotations

from pylti1p3.redirect import Redirect
from starlette.responses import HTMLResponse, RedirectResponse, Response

from gateway.lti.cookie import FastAPICookieService
from gateway.lti.pages import js_redirect_page, storage_redirect_page


class FastAPIRedirect(Redirect[Response]):
    """A redirect that carries the cookies the cookie service queued."""

    def __init__(self, location: str, cookie_service: FastAPICookieService | None = None) -> None:
        super().__init__()
        self._location = location
        self._cookie_service = cookie_service

    def do_redirect(self) -> Response:
        """An HTTP 302 to the location."""
        return self._process_response(RedirectResponse(self._location, status_code=302))

    def do_js_redirect(self) -> Response:
        """A page that navigates with script (the location is JSON-escaped)."""
        return self._process_response(HTMLResponse(js_redirect_page(self._location)))

    def do_storage_redirect(self, target: str, key: str, value: str, origin: str) -> Response:
        """A page that puts ``key`` in LTI Platform Storage, then navigates."""
        html = storage_redirect_page(self._location, target, key, value, origin)
        return self._process_response(HTMLResponse(html))

    def set_redirect_url(self, location: str) -> None:
        """Change the location."""
        self._location = location

    def get_redirect_url(self) -> str:
        """The location."""
        return self._location

    def _process_response(self, response: Response) -> Response:
        if self._cookie_service is not None:
            self._cookie_service.update_response(response)
        response.headers["Cache-Control"] = "no-store"
        return response
