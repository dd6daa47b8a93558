"""OIDC login initiations: ``state`` and ``nonce`` stored server-side, each used once.

pylti1p3 keeps the nonce in the session and only checks that it exists (a replayed
id_token passes), and keeps the state in a cookie (gone when third-party cookies are
blocked). Here both live in ``lti_login``: a launch *consumes* its login with one
conditional UPDATE, so two requests racing with the same state cannot both win, and a
login older than ``state_seconds`` is dead.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from gateway.lti.errors import StateError
from gateway.lti.models import LtiLogin
from gateway.lti.timeutil import utcnow

_STATE_BAD = (
    "Phiên đăng nhập không hợp lệ hoặc đã dùng, hãy mở lại từ LMS / the login state is "
    "invalid or already used, open the activity again from the LMS"
)


@dataclass(frozen=True)
class Login:
    """A consumed login, detached from its session."""

    state: str
    nonce: str
    platform_id: int
    target_link_uri: str
    storage_target: str | None


def issue_login(
    session: Session,
    platform_id: int,
    target_link_uri: str,
    storage_target: str | None,
    lifetime_seconds: int,
) -> Login:
    """Store a new login and return its fresh random state and nonce."""
    now = utcnow()
    login = LtiLogin(
        state="state-" + secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(32),
        platform_id=platform_id,
        target_link_uri=target_link_uri,
        storage_target=storage_target,
        created_at=now,
        expires_at=now + timedelta(seconds=lifetime_seconds),
    )
    session.add(login)
    session.flush()
    return Login(login.state, login.nonce, platform_id, target_link_uri, storage_target)


def consume_login(session: Session, state: str) -> Login:
    """Mark the login of ``state`` used and return it; :class:`StateError` if it cannot be."""
    if not state or len(state) > 100:
        raise StateError(_STATE_BAD, detail="state missing or oversized")
    now = utcnow()
    result = session.execute(
        update(LtiLogin)
        .where(LtiLogin.state == state, LtiLogin.used_at.is_(None), LtiLogin.expires_at > now)
        .values(used_at=now)
        .returning(
            LtiLogin.nonce,
            LtiLogin.platform_id,
            LtiLogin.target_link_uri,
            LtiLogin.storage_target,
        )
    )
    row = result.first()
    if row is None:
        raise StateError(_STATE_BAD, detail="state unknown, used or expired")
    return Login(state, row.nonce, row.platform_id, row.target_link_uri, row.storage_target)


def purge_logins(session: Session, before: datetime | None = None) -> int:
    """Delete logins that expired before ``before`` (default: a day ago); returns how many."""
    cutoff = before or utcnow() - timedelta(days=1)
    result = session.execute(delete(LtiLogin).where(LtiLogin.expires_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
