"""The tool's own RSA keys: generated on first start, published at ``/lti/jwks``, rotated.

Rotation (``gateway keys rotate``) publishes a new key and signs with it at once; the old
key turns *retiring* and stays published for a grace period so that a platform can still
verify what was signed with it (and platforms that cached our key set refetch it when
they meet the new ``kid``). After the grace period the old key is *retired*: no longer
published, its private half erased.

Private keys are stored as PKCS#8 encrypted with ``GATEWAY_SECRET_KEY``; none is in the
repository and none leaves the database unencrypted.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jwk
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.lti.models import KEY_ACTIVE, KEY_RETIRED, KEY_RETIRING, LtiToolKey
from gateway.lti.timeutil import utcnow

KEY_BITS = 2048


@dataclass(frozen=True)
class SigningKey:
    """The key the tool signs with now."""

    kid: str
    key: jwk.RSAKey

    @property
    def private_pem(self) -> str:
        """The private key as unencrypted PEM (for pylti1p3's ``Registration``)."""
        pem = self.key.as_pem(private=True)
        return pem.decode() if isinstance(pem, bytes) else str(pem)


@dataclass(frozen=True)
class KeyInfo:
    """A stored key as the CLI lists it."""

    kid: str
    status: str
    created_at: datetime
    retire_at: datetime | None


def _new_key(secret: str, now: datetime) -> LtiToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(secret.encode()),
    ).decode()
    unencrypted = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key = jwk.RSAKey.import_key(unencrypted)
    kid = key.thumbprint()
    public = dict(key.as_dict(private=False))
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return LtiToolKey(
        kid=kid,
        private_pem=pem,
        public_jwk_json=json.dumps(public, sort_keys=True),
        status=KEY_ACTIVE,
        created_at=now,
        retire_at=None,
    )


def retire_expired(session: Session, now: datetime | None = None) -> int:
    """Retire the retiring keys whose grace period is over; returns how many."""
    now = now or utcnow()
    expired = list(
        session.scalars(
            select(LtiToolKey).where(LtiToolKey.status == KEY_RETIRING, LtiToolKey.retire_at <= now)
        )
    )
    for key in expired:
        key.status = KEY_RETIRED
        key.private_pem = ""
    return len(expired)


def ensure_active_key(session: Session, secret: str) -> str:
    """The kid of the active key, generating the first one if there is none."""
    retire_expired(session)
    active = session.scalar(
        select(LtiToolKey).where(LtiToolKey.status == KEY_ACTIVE).order_by(LtiToolKey.id.desc())
    )
    if active is not None:
        return active.kid
    key = _new_key(secret, utcnow())
    session.add(key)
    session.flush()
    return key.kid


def rotate(session: Session, secret: str, grace: timedelta) -> tuple[str, list[str]]:
    """Make a new active key; the previous ones retire after ``grace``. Returns new and old kids."""
    now = utcnow()
    retire_expired(session, now)
    old = list(session.scalars(select(LtiToolKey).where(LtiToolKey.status == KEY_ACTIVE)))
    for key in old:
        key.status = KEY_RETIRING
        key.retire_at = now + grace
    new = _new_key(secret, now)
    session.add(new)
    session.flush()
    retire_expired(session, now)
    return new.kid, [key.kid for key in old]


def published_jwks(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """The public key set: the active key and the retiring ones still in their grace period."""
    now = now or utcnow()
    keys = session.scalars(
        select(LtiToolKey)
        .where(
            (LtiToolKey.status == KEY_ACTIVE)
            | ((LtiToolKey.status == KEY_RETIRING) & (LtiToolKey.retire_at > now))
        )
        .order_by(LtiToolKey.id.desc())
    )
    return {"keys": [json.loads(key.public_jwk_json) for key in keys]}


def list_keys(session: Session) -> list[KeyInfo]:
    """Every key, newest first."""
    rows = session.scalars(select(LtiToolKey).order_by(LtiToolKey.id.desc()))
    return [KeyInfo(k.kid, k.status, k.created_at, k.retire_at) for k in rows]


class KeyRing:
    """Per-process access to the signing key; decrypted keys are cached by kid."""

    def __init__(self, secret: str) -> None:
        self._secret = secret
        self._cache: dict[str, SigningKey] = {}
        self._lock = threading.Lock()

    def signing_key(self, session: Session) -> SigningKey:
        """The active key (created on first use if the database has none)."""
        row = session.scalar(
            select(LtiToolKey)
            .where(LtiToolKey.status == KEY_ACTIVE)
            .order_by(LtiToolKey.id.desc())
            .limit(1)
        )
        if row is None:
            ensure_active_key(session, self._secret)
            return self.signing_key(session)
        with self._lock:
            cached = self._cache.get(row.kid)
        if cached is not None:
            return cached
        private = serialization.load_pem_private_key(
            row.private_pem.encode(), self._secret.encode()
        )
        unencrypted = private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        signing = SigningKey(row.kid, jwk.RSAKey.import_key(unencrypted, {"kid": row.kid}))
        with self._lock:
            self._cache[row.kid] = signing
        return signing
