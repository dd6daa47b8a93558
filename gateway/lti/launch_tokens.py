"""The short-lived launch token pages carry after a launch, instead of a session cookie.

Inside an LMS iframe a session cookie is a third-party cookie and may be blocked; so the
launch page carries an HMAC-signed token (HS256 with a key derived from
``GATEWAY_SECRET_KEY``) naming the launch and a purpose, valid for minutes, and follow-up
requests (picker search, deep-linking return, roster) send it back as a form field.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from gateway.lti.errors import LaunchTokenError

_ALG = "HS256"
_EXPIRED = (
    "Phiên làm việc đã hết hạn; hãy mở lại hoạt động từ LMS / the session has expired; open "
    "the activity again from the LMS"
)


@dataclass(frozen=True)
class LaunchClaims:
    """What a valid launch token says."""

    launch_id: str
    purpose: str


class LaunchTokens:
    """Issue and check launch tokens for one tool (audience = its public URL)."""

    def __init__(self, secret: str, audience: str, lifetime_seconds: int) -> None:
        derived = hmac.new(secret.encode(), b"temis-lti-launch-token", hashlib.sha256).digest()
        self._key = OctKey.import_key(derived)
        self._audience = audience
        self._lifetime = lifetime_seconds

    def issue(self, launch_id: str, purpose: str, now: float | None = None) -> str:
        """A token for ``launch_id`` usable for ``purpose`` ("deep_link", "resource")."""
        issued = int(now if now is not None else time.time())
        claims = {
            "sub": launch_id,
            "aud": self._audience,
            "pur": purpose,
            "iat": issued,
            "exp": issued + self._lifetime,
        }
        return jwt.encode({"alg": _ALG}, claims, self._key, algorithms=[_ALG])

    def check(
        self, token: str | None, purpose: str | tuple[str, ...], now: float | None = None
    ) -> LaunchClaims:
        """The launch a token names; :class:`LaunchTokenError` if forged, expired or misused."""
        purposes = (purpose,) if isinstance(purpose, str) else purpose
        if not token or len(token) > 2048:
            raise LaunchTokenError(_EXPIRED, detail="launch token missing")
        try:
            claims = jwt.decode(token, self._key, algorithms=[_ALG]).claims
        except (JoseError, ValueError) as exc:
            raise LaunchTokenError(_EXPIRED, detail="launch token forged or malformed") from exc
        current = now if now is not None else time.time()
        exp = claims.get("exp")
        if not isinstance(exp, int) or exp < current:
            raise LaunchTokenError(_EXPIRED, detail="launch token expired")
        if claims.get("aud") != self._audience or claims.get("pur") not in purposes:
            raise LaunchTokenError(_EXPIRED, detail="launch token for another purpose")
        sub = claims.get("sub")
        if not isinstance(sub, str):
            raise LaunchTokenError(_EXPIRED, detail="launch token without launch")
        return LaunchClaims(sub, str(claims["pur"]))
