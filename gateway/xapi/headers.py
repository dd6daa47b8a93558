"""Headers every xAPI response carries, and CORS for content running in browsers."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from learning_store.timestamps import to_xapi_form, utc_now

# Browser-hosted content (cmi5 AUs, Storyline exports) calls the LRS cross-origin with
# these headers; the preflight must allow them and the responses must expose ours.
ALLOWED_HEADERS = [
    "Authorization",
    "Content-Type",
    "X-Experience-API-Version",
    "If-Match",
    "If-None-Match",
    "Accept-Language",
]
EXPOSED_HEADERS = [
    "ETag",
    "Last-Modified",
    "Content-Type",
    "X-Experience-API-Version",
    "X-Experience-API-Consistent-Through",
]


class XapiVersionHeader:
    """Adds X-Experience-API-Version to every /xapi response that lacks it."""

    def __init__(self, app: ASGIApp, prefix: str = "/xapi/", default: str = "2.0.0") -> None:
        self.app = app
        self.prefix = prefix
        self.default = default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        requested = b""
        for name, value in scope["headers"]:
            if name == b"x-experience-api-version":
                requested = value
        requested = requested.strip()
        if requested.startswith(b"1.0"):
            version = "1.0.3"
        elif requested.startswith(b"2.0"):
            version = "2.0.0"
        else:
            version = self.default

        statement_read = scope["method"] in ("GET", "HEAD") and scope["path"].rstrip("/").endswith(
            "/statements"
        )

        async def send_with_version(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "x-experience-api-version" not in headers:
                    headers["X-Experience-API-Version"] = version
                if statement_read and "x-experience-api-consistent-through" not in headers:
                    # Communication 2.1.3: present on every statement GET, errors included.
                    headers["X-Experience-API-Consistent-Through"] = to_xapi_form(utc_now())
            await send(message)

        await self.app(scope, receive, send_with_version)
