"""xAPI error responses: the spec's status codes with a JSON body naming the problem."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from learning_store.errors import LearningStoreError

REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Request Entity Too Large",
    415: "Unsupported Media Type",
}


class XapiHTTPError(Exception):
    """An HTTP-level xAPI error raised by the gateway's own request handling."""

    def __init__(self, status_code: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.headers = headers or {}


def error_response(
    status_code: int, message: str, headers: dict[str, str] | None = None, head: bool = False
) -> Response:
    """The JSON body every xAPI error uses: ``{"error": ..., "message": ...}``."""
    body = {"error": REASONS.get(status_code, "Error"), "message": message}
    if head:
        return Response(status_code=status_code, headers=headers)
    return JSONResponse(body, status_code=status_code, headers=headers)


async def handle_store_error(request: Request, exc: Exception) -> Response:
    """Map learning store domain errors to their HTTP status."""
    assert isinstance(exc, LearningStoreError)
    return error_response(
        exc.status_code, exc.message, _version_header(request), request.method == "HEAD"
    )


async def handle_http_error(request: Request, exc: Exception) -> Response:
    """Render an ``XapiHTTPError``."""
    assert isinstance(exc, XapiHTTPError)
    headers = {**_version_header(request), **exc.headers}
    return error_response(exc.status_code, exc.message, headers, request.method == "HEAD")


def _version_header(request: Request) -> dict[str, str]:
    version = getattr(request.state, "xapi_version_header", None)
    return {"X-Experience-API-Version": version} if version else {}
