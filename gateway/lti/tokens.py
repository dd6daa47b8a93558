"""Verification of a platform's id_token, done here rather than by pylti1p3.

pylti1p3 takes the algorithm from the key set (so a key without ``alg`` and a token saying
``HS256`` reach PyJWT's choice), skips the audience check (``verify_aud: False``), accepts
any ``iat`` and never checks ``azp``. This module applies the IMS Security Framework 1.0
§5.1.3 rules itself, with joserfc (the JOSE library of the Authlib project; ``authlib.jose``
is deprecated in its favour):

1. the JOSE header says ``RS256`` and names a ``kid`` (``none``, ``HS256`` and every other
   algorithm are refused before any key is looked at);
2. the signature verifies with that key of the platform's key set;
3. ``iss`` is the registration's issuer; ``aud`` contains its client id; with several
   audiences ``azp`` is required, and whenever present ``azp`` is the client id;
4. ``exp`` is in the future and ``iat`` is at most ``max_token_age_seconds`` old (both with
   a small leeway for clock skew); ``nonce`` is present (its single use is checked by the
   caller against the server-side login).
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError

from gateway.lti.errors import TokenError
from gateway.lti.keysets import PlatformKeySets
from gateway.lti.settings import LtiSettings

ALGORITHM = "RS256"
_BAD = "Mã thông báo của lượt mở không hợp lệ / the launch token (id_token) is invalid"


@dataclass(frozen=True)
class UnverifiedToken:
    """Header and claims read without verification, to find the registration."""

    header: dict[str, Any]
    claims: dict[str, Any]


def _b64json(part: str) -> dict[str, Any]:
    padded = part + "=" * (-len(part) % 4)
    value = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def peek(token: str) -> UnverifiedToken:
    """Decode header and claims without trusting them; refuses malformed tokens."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        raise TokenError(_BAD, detail="id_token is not a compact JWS")
    try:
        return UnverifiedToken(_b64json(parts[0]), _b64json(parts[1]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise TokenError(_BAD, detail="id_token cannot be decoded") from exc


def audiences(claims: dict[str, Any]) -> list[str]:
    """``aud`` as a list (it may be a string or an array)."""
    aud = claims.get("aud")
    if isinstance(aud, str):
        return [aud]
    if isinstance(aud, list) and all(isinstance(a, str) for a in aud):
        return list(aud)
    return []


def verify_id_token(
    token: str,
    *,
    issuer: str,
    client_id: str,
    key_set_url: str,
    keysets: PlatformKeySets,
    settings: LtiSettings,
    now: float | None = None,
) -> dict[str, Any]:
    """The verified claims of ``token``; :class:`TokenError` naming the failed rule."""
    unverified = peek(token)
    alg = unverified.header.get("alg")
    if alg != ALGORITHM:
        raise TokenError(_BAD, detail=f"algorithm {alg!r} refused; only RS256 is accepted")
    kid = unverified.header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenError(_BAD, detail="no kid in the JOSE header")
    key = keysets.key_for(key_set_url, kid)
    try:
        claims = dict(jwt.decode(token, key, algorithms=[ALGORITHM]).claims)
    except (JoseError, ValueError) as exc:
        raise TokenError(_BAD, detail=f"signature: {type(exc).__name__}") from exc
    check_claims(claims, issuer=issuer, client_id=client_id, settings=settings, now=now)
    return claims


def check_claims(
    claims: dict[str, Any],
    *,
    issuer: str,
    client_id: str,
    settings: LtiSettings,
    now: float | None = None,
) -> None:
    """The registered claims of Security Framework §5.1.3 (iss, aud, azp, exp, iat, nonce)."""
    now = time.time() if now is None else now
    leeway = settings.leeway_seconds
    if claims.get("iss") != issuer:
        raise TokenError(_BAD, detail="iss is not the registration's issuer")
    aud = audiences(claims)
    if client_id not in aud:
        raise TokenError(_BAD, detail="aud does not contain the client id")
    azp = claims.get("azp")
    if len(aud) > 1 and azp is None:
        raise TokenError(_BAD, detail="several audiences and no azp")
    if azp is not None and azp != client_id:
        raise TokenError(_BAD, detail="azp is not the client id")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise TokenError(_BAD, detail="exp missing")
    if exp < now - leeway:
        raise TokenError(
            "Lượt mở đã hết hạn, hãy mở lại từ LMS / the launch has expired, open it again "
            "from the LMS",
            detail="exp in the past",
        )
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise TokenError(_BAD, detail="iat missing")
    if iat > now + leeway:
        raise TokenError(_BAD, detail="iat in the future")
    if iat < now - settings.max_token_age_seconds - leeway:
        raise TokenError(
            "Lượt mở đã quá cũ, hãy mở lại từ LMS / the launch is too old, open it again "
            "from the LMS",
            detail="iat older than the allowed age",
        )
    nonce = claims.get("nonce")
    if not isinstance(nonce, str) or not nonce:
        raise TokenError(_BAD, detail="nonce missing")
