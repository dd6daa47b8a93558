"""pylti1p3 ``CookieService`` for FastAPI (mirrors ``contrib/flask/cookie.py``).

Cookies are ``SameSite=None; Secure; Partitioned``: inside an LMS iframe the tool is a
third party, and with third-party cookies blocked only a partitioned (CHIPS) cookie
survives from the login to the launch. Browsers accept ``Secure`` from loopback hosts,
so development over ``http://127.0.0.1`` works too. They are scoped to ``/lti/``.
"""

from __future__ import annotations

from urllib.parse import quote

from pylti1p3.cookie import CookieService
from starlette.responses import Response

from gateway.lti.request import FastAPIRequest

COOKIE_PATH = "/lti/"


class FastAPICookieService(CookieService):
    """Reads cookies from the request; queues cookies to set on the response."""

    def __init__(self, request: FastAPIRequest) -> None:
        self._request = request
        self._to_set: dict[str, tuple[str, int | None]] = {}

    def _get_key(self, key: str) -> str:
        return f"{self._cookie_prefix}-{key}"

    def get_cookie(self, name: str) -> str | None:
        """The value of our cookie ``name``."""
        return self._request.get_cookie(self._get_key(name))

    def set_cookie(self, name: str, value: str | int, exp: int | None = 3600) -> None:
        """Queue a cookie for :meth:`update_response`."""
        self._to_set[self._get_key(name)] = (str(value), exp)

    def update_response(self, response: Response) -> None:
        """Write the queued cookies on ``response``."""
        for key, (value, exp) in self._to_set.items():
            response.headers.append("set-cookie", cookie_header(key, value, exp))


def cookie_header(key: str, value: str, max_age: int | None) -> str:
    """A ``Set-Cookie`` value with ``Partitioned`` (Starlette writes it on Python 3.14+ only)."""
    parts = [f"{key}={quote(value, safe='-_.~')}", f"Path={COOKIE_PATH}"]
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    parts += ["Secure", "HttpOnly", "SameSite=None", "Partitioned"]
    return "; ".join(parts)
