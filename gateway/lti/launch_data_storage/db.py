"""pylti1p3 launch data kept in the ``lti_cache`` table instead of a cookie session.

Every gateway replica shares the database, so a launch validated on one replica can be
read on another (``MessageLaunch.from_cache``). Keys are launch ids (unguessable), so no
session cookie is needed to separate users: ``get_session_cookie_name`` returns None.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from pylti1p3.launch_data_storage.base import LaunchDataStorage
from sqlalchemy import delete
from sqlalchemy.orm import Session

from gateway.lti.models import LtiCacheEntry
from gateway.lti.timeutil import utcnow


class DatabaseLaunchDataStorage(LaunchDataStorage[Any]):
    """Values as JSON rows with an optional expiry, in the caller's transaction."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self._session = session

    def get_session_cookie_name(self) -> str | None:
        """No session cookie: third-party cookies may be blocked inside the LMS iframe."""
        return None

    def can_set_keys_expiration(self) -> bool:
        """Rows carry their own expiry."""
        return True

    def get_value(self, key: str) -> Any:
        """The stored value, or None if absent or expired."""
        entry = self._session.get(LtiCacheEntry, self._prepare_key(key)[:255])
        if entry is None or (entry.expires_at is not None and entry.expires_at <= utcnow()):
            return None
        return json.loads(entry.value_json)

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        """Store ``value`` for ``exp`` seconds (forever when None)."""
        prepared = self._prepare_key(key)[:255]
        expires = utcnow() + timedelta(seconds=exp) if exp else None
        entry = self._session.get(LtiCacheEntry, prepared)
        if entry is None:
            self._session.add(
                LtiCacheEntry(key=prepared, value_json=json.dumps(value), expires_at=expires)
            )
        else:
            entry.value_json = json.dumps(value)
            entry.expires_at = expires
        self._session.flush()

    def check_value(self, key: str) -> bool:
        """Whether a live value is stored."""
        return self.get_value(key) is not None

    def delete_value(self, key: str) -> bool:
        """Remove a value; True if there was one (used for single-use entries)."""
        result = self._session.execute(
            delete(LtiCacheEntry).where(LtiCacheEntry.key == self._prepare_key(key)[:255])
        )
        return bool(getattr(result, "rowcount", 0))

    def purge(self) -> int:
        """Delete expired rows; returns how many."""
        result = self._session.execute(
            delete(LtiCacheEntry).where(LtiCacheEntry.expires_at < utcnow())
        )
        return int(getattr(result, "rowcount", 0) or 0)
