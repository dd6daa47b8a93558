"""LTI Advantage service calls: OAuth2 client-credentials tokens, AGS 2.0 and NRPS 2.0.

pylti1p3's ``ServiceConnector`` uses ``requests`` without timeouts, keeps tokens only for
one launch object, and its AGS service cannot update or delete a line item. This client
uses httpx with timeouts and our User-Agent, caches tokens per registration and scope set
until shortly before they expire, and covers line items (create, read, update, delete),
scores and paged rosters (``Link: <…>; rel="next"``).
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
from joserfc import jwt

from gateway.lti.errors import PlatformCallError
from gateway.lti.keys import SigningKey
from gateway.lti.models import LtiPlatform

AGS_LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
AGS_RESULT = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
AGS_SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"

LINEITEM_TYPE = "application/vnd.ims.lis.v2.lineitem+json"
LINEITEMS_TYPE = "application/vnd.ims.lis.v2.lineitemcontainer+json"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"
MEMBERSHIP_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?', re.IGNORECASE)


@dataclass(frozen=True)
class _Token:
    value: str
    expires: float


class TokenCache:
    """Access tokens per (registration, scopes), shared by the threads of one process."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[int, str], _Token] = {}
        self._lock = threading.Lock()

    def get(self, platform_id: int, scopes: str) -> str | None:
        """A token still valid for at least 30 seconds."""
        with self._lock:
            token = self._tokens.get((platform_id, scopes))
        return token.value if token and token.expires - 30 > time.monotonic() else None

    def put(self, platform_id: int, scopes: str, value: str, lifetime: float) -> None:
        """Remember a token for ``lifetime`` seconds."""
        with self._lock:
            self._tokens[(platform_id, scopes)] = _Token(value, time.monotonic() + lifetime)

    def drop(self, platform_id: int) -> None:
        """Forget a registration's tokens (after a 401)."""
        with self._lock:
            for key in [k for k in self._tokens if k[0] == platform_id]:
                del self._tokens[key]


def _fail(
    what: str, response: httpx.Response | None, exc: Exception | None = None
) -> PlatformCallError:
    if response is None:
        return PlatformCallError(
            f"LMS không trả lời ({what}) / the LMS did not answer ({what})",
            detail=f"{what}: {type(exc).__name__ if exc else 'error'}",
            retryable=True,
        )
    status = response.status_code
    retryable = status >= 500 or status in (401, 408, 425, 429)
    return PlatformCallError(
        f"LMS từ chối ({what}) / the LMS refused ({what})",
        detail=f"{what}: HTTP {status}",
        retryable=retryable,
    )


class PlatformServices:
    """Service calls to one platform on behalf of the tool."""

    def __init__(
        self,
        platform: LtiPlatform,
        signing: SigningKey,
        client: httpx.Client,
        tokens: TokenCache,
    ) -> None:
        self._platform_id = platform.id
        self._client_id = platform.client_id
        self._token_url = platform.auth_token_url
        self._audience = platform.auth_audience or platform.auth_token_url
        self._signing = signing
        self._client = client
        self._tokens = tokens

    def client_assertion(self) -> str:
        """The signed JWT the tool authenticates with (Security Framework §4.1)."""
        now = int(time.time())
        claims = {
            "iss": self._client_id,
            "sub": self._client_id,
            "aud": self._audience,
            "iat": now,
            "exp": now + 300,
            "jti": secrets.token_urlsafe(16),
        }
        return jwt.encode(
            {"alg": "RS256", "kid": self._signing.kid, "typ": "JWT"}, claims, self._signing.key
        )

    def access_token(self, scopes: tuple[str, ...]) -> str:
        """A bearer token for ``scopes`` (cached until shortly before it expires)."""
        scope = " ".join(sorted(scopes))
        cached = self._tokens.get(self._platform_id, scope)
        if cached:
            return cached
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": self.client_assertion(),
            "scope": scope,
        }
        try:
            response = self._client.post(
                self._token_url,
                content=urlencode(form),
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json",
                },
            )
        except httpx.HTTPError as exc:
            raise _fail("token", None, exc) from exc
        if response.status_code != 200:
            raise _fail("token", response)
        try:
            body = response.json()
            value = str(body["access_token"])
            lifetime = float(body.get("expires_in", 3600))
        except (ValueError, KeyError, TypeError) as exc:
            raise _fail("token", response, exc) from exc
        self._tokens.put(self._platform_id, scope, value, lifetime)
        return value

    def _request(
        self,
        method: str,
        url: str,
        scopes: tuple[str, ...],
        *,
        accept: str,
        content_type: str | None = None,
        body: dict[str, Any] | None = None,
        what: str,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.access_token(scopes)}", "Accept": accept}
        if content_type:
            headers["Content-Type"] = content_type
        try:
            response = self._client.request(
                method, url, headers=headers, json=body if body is not None else None
            )
        except httpx.HTTPError as exc:
            raise _fail(what, None, exc) from exc
        if response.status_code == 401:
            self._tokens.drop(self._platform_id)
        if response.status_code >= 400:
            raise _fail(what, response)
        return response

    # AGS 2.0: line items (§3.2) ------------------------------------------------------

    def line_items(
        self, lineitems_url: str, *, resource_link_id: str | None = None, tag: str | None = None
    ) -> list[dict[str, Any]]:
        """Every line item of the container (all pages), optionally filtered."""
        query = {}
        if resource_link_id:
            query["resource_link_id"] = resource_link_id
        if tag:
            query["tag"] = tag
        url: str | None = with_query(lineitems_url, query)
        items: list[dict[str, Any]] = []
        while url:
            response = self._request(
                "GET", url, (AGS_LINEITEM,), accept=LINEITEMS_TYPE, what="lineitems"
            )
            page = response.json()
            if isinstance(page, list):
                items.extend(item for item in page if isinstance(item, dict))
            url = next_page(response)
        return items

    def get_line_item(self, lineitem_url: str) -> dict[str, Any]:
        """One line item."""
        response = self._request(
            "GET", lineitem_url, (AGS_LINEITEM,), accept=LINEITEM_TYPE, what="lineitem"
        )
        item: dict[str, Any] = response.json()
        return item

    def create_line_item(self, lineitems_url: str, item: dict[str, Any]) -> dict[str, Any]:
        """POST a new line item; returns it with its ``id`` (URL)."""
        response = self._request(
            "POST",
            lineitems_url,
            (AGS_LINEITEM,),
            accept=LINEITEM_TYPE,
            content_type=LINEITEM_TYPE,
            body=item,
            what="create lineitem",
        )
        created: dict[str, Any] = response.json()
        return created

    def update_line_item(self, lineitem_url: str, item: dict[str, Any]) -> dict[str, Any]:
        """PUT the line item's new values."""
        response = self._request(
            "PUT",
            lineitem_url,
            (AGS_LINEITEM,),
            accept=LINEITEM_TYPE,
            content_type=LINEITEM_TYPE,
            body=item,
            what="update lineitem",
        )
        updated: dict[str, Any] = response.json()
        return updated

    def delete_line_item(self, lineitem_url: str) -> None:
        """DELETE the line item."""
        self._request(
            "DELETE", lineitem_url, (AGS_LINEITEM,), accept=LINEITEM_TYPE, what="delete lineitem"
        )

    def find_or_create_line_item(
        self, lineitems_url: str, resource_link_id: str | None, template: dict[str, Any]
    ) -> str:
        """The URL of the resource link's line item, created from ``template`` if none."""
        for item in self.line_items(lineitems_url, resource_link_id=resource_link_id):
            if not resource_link_id or item.get("resourceLinkId") == resource_link_id:
                return str(item["id"])
        body = dict(template)
        if resource_link_id:
            body["resourceLinkId"] = resource_link_id
        return str(self.create_line_item(lineitems_url, body)["id"])

    # AGS 2.0: scores (§3.4) ------------------------------------------------------------

    def post_score(self, lineitem_url: str, score: dict[str, Any]) -> None:
        """POST a score to ``{lineitem}/scores``."""
        self._request(
            "POST",
            scores_url(lineitem_url),
            (AGS_SCORE,),
            accept="application/json",
            content_type=SCORE_TYPE,
            body=score,
            what="score",
        )

    def results(self, lineitem_url: str) -> list[dict[str, Any]]:
        """The results of a line item (first page)."""
        response = self._request(
            "GET",
            path_append(lineitem_url, "/results"),
            (AGS_RESULT,),
            accept="application/vnd.ims.lis.v2.resultcontainer+json",
            what="results",
        )
        results = response.json()
        return [r for r in results if isinstance(r, dict)] if isinstance(results, list) else []

    # NRPS 2.0 (§2) ----------------------------------------------------------------------

    def members(self, memberships_url: str, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Every member of the context, following ``rel="next"`` pages."""
        url: str | None = memberships_url
        if limit:
            url = with_query(memberships_url, {"limit": str(limit)})
        while url:
            response = self._request(
                "GET", url, (NRPS_SCOPE,), accept=MEMBERSHIP_TYPE, what="memberships"
            )
            body = response.json()
            for member in body.get("members", []) if isinstance(body, dict) else []:
                if isinstance(member, dict):
                    yield member
            url = next_page(response)


def next_page(response: httpx.Response) -> str | None:
    """The ``rel="next"`` URL of a paged answer."""
    for value in response.headers.get_list("link"):
        match = _NEXT.search(value)
        if match:
            return match.group(1)
    return None


def path_append(url: str, suffix: str) -> str:
    """``url`` with ``suffix`` added to its path (the query string kept: Moodle uses one)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))


def scores_url(lineitem_url: str) -> str:
    """The scores endpoint of a line item (AGS §3.4)."""
    return path_append(lineitem_url, "/scores")


def with_query(url: str, params: dict[str, str]) -> str:
    """``url`` with extra query parameters."""
    if not params:
        return url
    parts = urlsplit(url)
    query = (parts.query + "&" if parts.query else "") + urlencode(params)
    return urlunsplit(parts._replace(query=query))
