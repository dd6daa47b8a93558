"""xAPI client credentials: keys, hashed secrets, scopes and the authority they stand for.

Secrets are generated with 256 bits of entropy, so a salted SHA-256 is enough to make a
leaked table useless and keeps per-request verification cheap (xAPI clients send Basic
auth on every call).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from learning_store.errors import BadRequestError
from learning_store.models import Client

SCOPES = frozenset(
    {
        "statements/write",
        "statements/read",
        "statements/read/mine",
        "state",
        "define",
        "profile",
        "all/read",
        "all",
    }
)


@dataclass(frozen=True)
class ClientIdentity:
    """What a request is allowed to do and on whose authority."""

    client_id: int
    name: str
    scopes: frozenset[str]
    authority: dict[str, object]
    agent_ifi: str | None = None

    def allows(self, *wanted: str) -> bool:
        """True when any of ``wanted`` (or a scope that implies it) was granted."""
        granted = self.scopes
        if "all" in granted:
            return True
        for scope in wanted:
            if scope in granted:
                return True
            if scope in {"statements/read", "statements/read/mine"} and "all/read" in granted:
                return True
            if scope == "statements/read/mine" and "statements/read" in granted:
                return True
        return False


def hash_secret(secret: str, salt: str | None = None) -> str:
    """A salted SHA-256 of the secret, as ``sha256$salt$hex``."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.sha256((salt + secret).encode()).hexdigest()
    return f"sha256${salt}${digest}"


def verify_secret(secret: str, stored: str) -> bool:
    """Constant-time comparison of a presented secret with its stored hash."""
    try:
        algorithm, salt, _digest = stored.split("$", 2)
    except ValueError:
        return False
    if algorithm != "sha256":
        return False
    return hmac.compare_digest(hash_secret(secret, salt), stored)


def parse_scopes(text: str) -> frozenset[str]:
    """Scopes from a comma- or space-separated list; unknown names are an error."""
    names = frozenset(part for part in text.replace(",", " ").split() if part)
    unknown = names - SCOPES
    if unknown:
        raise BadRequestError(f"scope: unknown scope(s) {sorted(unknown)}; known: {sorted(SCOPES)}")
    if not names:
        raise BadRequestError("scope: at least one scope is required")
    return names


@dataclass(frozen=True)
class NewClient:
    """A created client with its secret in clear text, shown once."""

    client_id: int
    name: str
    key: str
    secret: str
    scopes: frozenset[str]


def create_client(
    session: Session,
    name: str,
    scopes: frozenset[str],
    key: str | None = None,
    secret: str | None = None,
    homepage: str = "urn:temis-gateway:clients",
) -> NewClient:
    """Store a new client; the authority is an account agent named after the key."""
    if not name.strip():
        raise BadRequestError("name: must not be empty")
    key = key or secrets.token_urlsafe(18)
    secret = secret or secrets.token_urlsafe(32)
    if session.scalar(select(Client.id).where(Client.key == key)) is not None:
        raise BadRequestError(f"key: a client with key {key!r} already exists")
    authority = {
        "objectType": "Agent",
        "name": name,
        "account": {"homePage": homepage, "name": key},
    }
    client = Client(
        name=name,
        key=key,
        secret_hash=hash_secret(secret),
        scopes=" ".join(sorted(scopes)),
        authority_json=json.dumps(authority, ensure_ascii=False),
        active=True,
        created=datetime.now(UTC).isoformat(),
    )
    session.add(client)
    session.flush()
    return NewClient(client.id, name, key, secret, scopes)


def authenticate(session: Session, key: str, secret: str) -> ClientIdentity | None:
    """The identity of an active, unexpired client whose secret matches, else None."""
    client = session.scalar(select(Client).where(Client.key == key))
    if client is None or not client.active or not verify_secret(secret, client.secret_hash):
        return None
    if client.expires and client.expires < datetime.now(UTC).isoformat():
        return None
    return ClientIdentity(
        client_id=client.id,
        name=client.name,
        scopes=frozenset(client.scopes.split()),
        authority=json.loads(client.authority_json),
        agent_ifi=client.agent_ifi,
    )


def list_clients(session: Session) -> list[Client]:
    """Every client, oldest first."""
    return list(session.scalars(select(Client).order_by(Client.id)))


def set_client_active(session: Session, key: str, active: bool) -> bool:
    """Enable or revoke a client; False when no such key."""
    client = session.scalar(select(Client).where(Client.key == key))
    if client is None:
        return False
    client.active = active
    return True
