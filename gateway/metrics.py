"""Process metrics in the Prometheus text format (per replica; Prometheus sums them)."""

from __future__ import annotations

import time
from collections import Counter

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_requests: Counter[tuple[str, str, int]] = Counter()
_seconds: dict[tuple[str, str], float] = {}


def _area(path: str) -> str:
    for prefix in ("/xapi/", "/lti/", "/api/", "/content/"):
        if path.startswith(prefix):
            return prefix.strip("/")
    return "pages"


class MetricsMiddleware:
    """Counts requests and their total time by area, method and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            area = _area(scope["path"])
            _requests[(area, scope["method"], status)] += 1
            key = (area, scope["method"])
            _seconds[key] = _seconds.get(key, 0.0) + time.perf_counter() - started


def render_metrics() -> str:
    """The counters as Prometheus exposition text."""
    lines = [
        "# HELP gateway_http_requests_total HTTP requests by area, method and status.",
        "# TYPE gateway_http_requests_total counter",
    ]
    for (area, method, status), count in sorted(_requests.items()):
        lines.append(
            f'gateway_http_requests_total{{area="{area}",method="{method}",status="{status}"}} '
            f"{count}"
        )
    lines += [
        "# HELP gateway_http_request_seconds_total Time spent answering requests.",
        "# TYPE gateway_http_request_seconds_total counter",
    ]
    for (area, method), seconds in sorted(_seconds.items()):
        lines.append(
            f'gateway_http_request_seconds_total{{area="{area}",method="{method}"}} {seconds:.6f}'
        )
    return "\n".join(lines) + "\n"
