"""pylti1p3 ``Request`` for FastAPI (mirrors ``pylti1p3/contrib/flask/request.py``).

pylti1p3 reads parameters synchronously, but Starlette reads a form body asynchronously,
so the route reads query and form into a dict first (:meth:`FastAPIRequest.build`) and the
blocking library then works on that dict in a worker thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pylti1p3.request import Request
from starlette.requests import Request as StarletteRequest

# Form fields longer than this are refused before parsing JWTs (an id_token is a few KB).
MAX_PARAM_LENGTH = 64 * 1024


class FastAPIRequest(Request):
    """A request's parameters, cookies and scheme, read once from Starlette."""

    def __init__(
        self,
        params: Mapping[str, str],
        cookies: Mapping[str, str],
        secure: bool,
        session: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        self._params = dict(params)
        self._cookies = dict(cookies)
        self._secure = secure
        self._session: dict[str, Any] = session if session is not None else {}

    @classmethod
    async def build(cls, request: StarletteRequest, secure: bool) -> FastAPIRequest:
        """Query parameters, then form fields (POST wins), as pylti1p3 expects."""
        params: dict[str, str] = {k: v for k, v in request.query_params.items()}
        if request.method == "POST":
            form = await request.form()
            for key, value in form.items():
                if isinstance(value, str):
                    params[key] = value
            await form.close()
        params = {k: v for k, v in params.items() if len(v) <= MAX_PARAM_LENGTH}
        return cls(params, request.cookies, secure)

    @property
    def session(self) -> dict[str, Any]:
        """Unused: launch data lives server-side (``DatabaseLaunchDataStorage``)."""
        return self._session

    def get_param(self, key: str) -> str:
        """The parameter's value, ``""`` when absent (pylti1p3 tests truthiness)."""
        return self._params.get(key, "")

    def get_cookie(self, key: str) -> str | None:
        """A cookie the browser sent."""
        return self._cookies.get(key)

    def is_secure(self) -> bool:
        """Whether the tool is served over HTTPS (its public URL)."""
        return self._secure
