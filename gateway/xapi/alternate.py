"""Alternate Request Syntax (xAPI 1.0.3 Communication 1.3): a request sent as a form POST.

Browsers that cannot send custom headers or PUT (old IE, some authoring tools) POST
``?method=PUT`` with headers, query parameters and the url-encoded body as form fields.
This ASGI middleware rewrites such a request into the request it stands for before
routing, so every resource handles both syntaxes the same way. xAPI 2.0 removed the
syntax; a 2.0 request using it is refused.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER_FIELDS = {
    "authorization",
    "x-experience-api-version",
    "content-type",
    "content-length",
    "if-match",
    "if-none-match",
}
METHODS = {"GET", "PUT", "POST", "DELETE", "HEAD"}


class AlternateRequestSyntax:
    """Rewrites ``POST /xapi/...?method=X`` into method X with real headers and body."""

    def __init__(self, app: ASGIApp, prefix: str = "/xapi/", max_body: int = 64 * 1024**2):
        self.app = app
        self.prefix = prefix
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if not any(name == "method" for name, _ in query):
            await self.app(scope, receive, send)
            return
        body = await _read_all(receive, self.max_body)
        problem, new_scope, new_body = self._rewrite(scope, query, body)
        if problem is not None:
            await _reply_400(send, problem)
            return
        await self.app(new_scope, _replay(new_body), send)

    def _rewrite(
        self, scope: Scope, query: list[tuple[str, str]], body: bytes
    ) -> tuple[str | None, Scope, bytes]:
        if scope["method"] != "POST":
            return "method: the alternate request syntax must be sent as a POST", scope, b""
        if len(query) != 1:
            return (
                "query string: the alternate request syntax allows only 'method' there",
                scope,
                b"",
            )
        method = query[0][1].upper()
        if method not in METHODS:
            return f"method: {query[0][1]!r} is not an HTTP method of xAPI", scope, b""
        headers = {k.decode("latin-1").lower(): v for k, v in scope["headers"]}
        content_type = headers.get("content-type", b"").decode("latin-1").split(";")[0].strip()
        if content_type.lower() != "application/x-www-form-urlencoded":
            return (
                "Content-Type: the alternate request syntax must be "
                "application/x-www-form-urlencoded",
                scope,
                b"",
            )
        try:
            form = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            return "body: the form is not UTF-8", scope, b""
        # Form fields override the real headers; the real ones still count (a client
        # may send Authorization as a header and only the body as a form).
        new_headers = {
            k: v for k, v in headers.items() if k not in ("content-type", "content-length")
        }
        params: list[tuple[str, str]] = []
        content: str | None = None
        for name, value in form:
            lowered = name.lower()
            if lowered in HEADER_FIELDS:
                new_headers[lowered] = value.encode("latin-1", "replace")
            elif name == "content":
                content = value
            else:
                params.append((name, value))
        version = new_headers.get("x-experience-api-version", b"").decode("latin-1")
        if version.startswith("2."):
            return "the alternate request syntax was removed in xAPI 2.0", scope, b""
        if method in ("PUT", "POST") and content is None:
            return "content: a PUT or POST sent as a form needs a 'content' field", scope, b""
        new_body = (content or "").encode("utf-8")
        if method in ("PUT", "POST") and "content-type" not in new_headers:
            new_headers["content-type"] = b"application/json"
        new_headers["content-length"] = str(len(new_body)).encode()
        new_scope = dict(scope)
        new_scope["method"] = method
        new_scope["query_string"] = urlencode(params).encode("latin-1")
        new_scope["headers"] = [(k.encode("latin-1"), v) for k, v in new_headers.items()]
        return None, new_scope, new_body


async def _read_all(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


async def _reply_400(send: Send, message: str) -> None:
    payload: dict[str, Any] = {"error": "Bad Request", "message": message}
    content = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 400,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(content)).encode()),
                (b"x-experience-api-version", b"1.0.3"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})
