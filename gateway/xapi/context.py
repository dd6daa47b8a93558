"""Per-request xAPI context: the negotiated version and the authenticated client."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from fastapi import Depends, Request

from gateway.db import Database, get_database
from gateway.xapi.errors import XapiHTTPError
from gateway.xapi.versioning import RESPONSE_VERSION, parse_version_header
from learning_store.clients import ClientIdentity, authenticate
from learning_store.errors import ForbiddenError
from learning_store.validation import XapiVersion

CHALLENGE = {"WWW-Authenticate": 'Basic realm="xAPI"'}


@dataclass(frozen=True)
class XapiContext:
    """Who is calling, and which version of the standard the request speaks."""

    version: XapiVersion
    identity: ClientIdentity

    def require(self, *scopes: str) -> None:
        """Raise 403 unless one of ``scopes`` was granted."""
        if not self.identity.allows(*scopes):
            raise ForbiddenError(
                f"the credentials lack the scope {' or '.join(scopes)} for this request"
            )

    @property
    def response_version(self) -> str:
        """The value of the response's X-Experience-API-Version header."""
        return RESPONSE_VERSION[self.version]


def basic_credentials(header: str | None) -> tuple[str, str]:
    """Key and secret from an ``Authorization: Basic`` header; 401 when unusable."""
    if not header:
        raise XapiHTTPError(401, "Authorization: credentials are required", CHALLENGE)
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise XapiHTTPError(401, "Authorization: only HTTP Basic is accepted", CHALLENGE)
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise XapiHTTPError(401, "Authorization: malformed Basic credentials", CHALLENGE) from exc
    key, colon, secret = decoded.partition(":")
    if not colon:
        raise XapiHTTPError(401, "Authorization: malformed Basic credentials", CHALLENGE)
    return key, secret


def negotiate_version(request: Request) -> XapiVersion:
    """The request's xAPI version; 400 when the header is missing or unsupported."""
    header = request.headers.get("X-Experience-API-Version")
    version = parse_version_header(header)
    request.state.xapi_version_header = (
        RESPONSE_VERSION[version] if version else request.app.state.settings.xapi_default_version
    )
    if header is None:
        raise XapiHTTPError(400, "X-Experience-API-Version: header is required")
    if version is None:
        raise XapiHTTPError(
            400, f"X-Experience-API-Version: {header!r} is not supported; use 1.0.x or 2.0.x"
        )
    return version


async def xapi_context(request: Request, database: Database = Depends(get_database)) -> XapiContext:
    """FastAPI dependency for every xAPI resource but About."""
    key, secret = basic_credentials(request.headers.get("Authorization"))
    identity = await database.run(authenticate, key, secret)
    if identity is None:
        raise XapiHTTPError(401, "Authorization: unknown key or wrong secret", CHALLENGE)
    version = negotiate_version(request)
    return XapiContext(version=version, identity=identity)
