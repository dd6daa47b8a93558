"""tincan's RemoteLRS with the gaps of tincan 1.0.0 (2020) closed.

tincan predates xAPI 2.0 and has bugs this project works around here, in one place:

- ``about()`` fails on an LRS that lists ``2.0.0`` (``About`` rejects unknown versions):
  we keep only the versions tincan knows before parsing.
- ``save_state()`` drops ``registration`` and sends the PUT twice: we send one PUT with
  the registration.
- ``HTTPRequest`` turns every body into ``str``, which ``http.client`` then encodes as
  Latin-1: a state document with Vietnamese text fails. Our requests keep bytes.
- ``_send_request()`` opens connections without a timeout (a silent upstream LRS would
  hang a delivery worker forever) and sends ``str`` bodies as Latin-1 (a statement with
  Vietnamese text fails): ours has a timeout and sends UTF-8.
- ``retrieve_state()`` never reads the ETag (it looks up a list of header tuples as if it
  were a dict): we set ``etag`` and ``content_type`` from the response (its ``timestamp`` only
  parses ISO 8601, while Last-Modified is an HTTP date, so we leave it unset).
"""

from __future__ import annotations

import http.client
import json
from typing import Any, ClassVar
from urllib.parse import urlencode, urlparse

from tincan import RemoteLRS
from tincan.about import About
from tincan.documents.state_document import StateDocument
from tincan.http_request import HTTPRequest
from tincan.lrs_response import LRSResponse
from tincan.version import Version


class _BytesRequest(HTTPRequest):  # type: ignore[misc]
    """An HTTPRequest whose body stays bytes (UTF-8 documents survive the trip)."""

    @property
    def content(self) -> bytes | None:
        return self._content

    @content.setter
    def content(self, value: bytes | bytearray | str | None) -> None:
        if isinstance(value, str):
            value = value.encode("utf-8")
        self._content = bytes(value) if value is not None else None


class GatewayRemoteLRS(RemoteLRS):  # type: ignore[misc]
    """A RemoteLRS that works against xAPI 2.0-aware LRSs such as this gateway's."""

    # tincan objects refuse attributes outside ``_props``.
    _props: ClassVar[list[str]] = [*RemoteLRS._props, "timeout"]
    # Seconds to wait for the LRS to connect or answer.
    timeout: float = 30.0

    def _send_request(self, request: HTTPRequest) -> LRSResponse:
        """tincan's request, with a timeout and UTF-8 bodies."""
        headers = {"X-Experience-API-Version": self.version}
        if self.auth is not None:
            headers["Authorization"] = self.auth
        headers.update(request.headers)
        params = urlencode({k: str(v).encode("utf-8") for k, v in request.query_params.items()})
        url = (
            request.resource
            if request.resource.startswith("http")
            else self.endpoint + request.resource
        )
        parsed = urlparse(url)
        connection_class = (
            http.client.HTTPSConnection if parsed.scheme == "https" else http.client.HTTPConnection
        )
        connection = connection_class(parsed.hostname, parsed.port, timeout=self.timeout)
        path = parsed.path
        if parsed.query or params:
            path += "?" + "&".join(part for part in (parsed.query, params) if part)
        body = getattr(request, "content", None)
        if isinstance(body, str):
            body = body.encode("utf-8")
        try:
            connection.request(method=request.method, url=path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        ignore404 = response.status == 404 and getattr(request, "ignore404", False)
        return LRSResponse(
            success=200 <= response.status < 300 or ignore404,
            request=request,
            response=response,
            data=data,
        )

    def about(self) -> LRSResponse:
        """The About resource, with versions tincan does not know filtered out."""
        response: LRSResponse = self._send_request(HTTPRequest(method="GET", resource="about"))
        if response.success:
            data = json.loads(response.data)
            data["version"] = [v for v in data.get("version", []) if v in Version.supported]
            response.content = About.from_json(json.dumps(data))
        return response

    def save_state(self, state: StateDocument) -> LRSResponse:
        """PUT a state document once, with its registration when it has one."""
        request = _BytesRequest(method="PUT", resource="activities/state")
        request.content = state.content
        request.headers["Content-Type"] = state.content_type or "application/octet-stream"
        if state.etag is not None:
            request.headers["If-Match"] = state.etag
        request.query_params = {
            "stateId": state.id,
            "activityId": state.activity.id,
            "agent": state.agent.to_json(self.version),
        }
        if state.registration is not None:
            request.query_params["registration"] = state.registration
        response: LRSResponse = self._send_request(request)
        response.content = state
        return response

    def retrieve_state(
        self, activity: Any, agent: Any, state_id: str, registration: str | None = None
    ) -> LRSResponse:
        """GET a state document and keep its ETag and content type."""
        response: LRSResponse = super().retrieve_state(activity, agent, state_id, registration)
        if response.success and response.content is not None:
            headers = {name.lower(): value for name, value in response.response.getheaders()}
            response.content.etag = headers.get("etag")
            response.content.content_type = headers.get("content-type")
        return response
