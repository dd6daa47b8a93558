"""Platform key sets, cached by their HTTP cache headers, refetched once for a new ``kid``.

pylti1p3 fetches a platform's JWKS once per launch object (or caches it for a fixed time)
and never refetches when the platform rotates its key. Here a key set lives as long as its
``Cache-Control: max-age`` (or ``Expires``) says, within configured bounds; a token signed
with a ``kid`` the cached set lacks causes one refetch, and refetches caused that way are
rate-limited per URL (one per ``keyset_refetch_interval_seconds``), so a stream of forged
``kid``s cannot make the tool hammer the platform (Security Framework §6.3, key rotation).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx
from joserfc import jwk
from joserfc.errors import JoseError

from gateway.lti.errors import PlatformCallError, TokenError
from gateway.lti.settings import LtiSettings

_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-)?max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass
class _Entry:
    keys: dict[str, jwk.RSAKey]
    fetched_at: float
    expires_at: float
    # Last refetch caused by an unknown kid (the rate limit applies to these only).
    forced_at: float = float("-inf")
    lock: threading.Lock = field(default_factory=threading.Lock)


class PlatformKeySets:
    """Per-process cache of platform public keys, keyed by key-set URL."""

    def __init__(
        self,
        settings: LtiSettings,
        client_factory: Callable[[], httpx.Client],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._client_factory = client_factory
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()
        self.fetches = 0

    def key_for(self, url: str, kid: str) -> jwk.RSAKey:
        """The RS256 key ``kid`` of the set at ``url``; :class:`TokenError` if it has none."""
        entry = self._entry(url)
        with entry.lock:
            now = self._clock()
            if now >= entry.expires_at:
                self._refresh(url, entry)
            elif kid not in entry.keys and (
                now - entry.forced_at >= self._settings.keyset_refetch_interval_seconds
            ):
                # A kid we do not know: the platform may have rotated. Refetch once.
                entry.forced_at = now
                self._refresh(url, entry)
            key = entry.keys.get(kid)
        if key is None:
            raise TokenError(
                "Khoá ký của nền tảng không khớp / the platform's signing key is unknown",
                detail=f"kid {kid!r} not in {url}",
            )
        return key

    def forget(self, url: str | None = None) -> None:
        """Drop the cached set(s) (tests, admin changes of a key-set URL)."""
        with self._lock:
            if url is None:
                self._entries.clear()
            else:
                self._entries.pop(url, None)

    def _entry(self, url: str) -> _Entry:
        with self._lock:
            entry = self._entries.get(url)
            if entry is None:
                entry = _Entry(keys={}, fetched_at=float("-inf"), expires_at=float("-inf"))
                self._entries[url] = entry
            return entry

    def _refresh(self, url: str, entry: _Entry) -> None:
        now = self._clock()
        entry.fetched_at = now
        self.fetches += 1
        try:
            with self._client_factory() as client:
                response = client.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            # Keep serving the old keys a short while rather than failing every launch.
            entry.expires_at = now + min(self._settings.keyset_min_cache_seconds, 60)
            raise PlatformCallError(
                "Không lấy được khoá của nền tảng / the platform's keys could not be fetched",
                detail=f"{url}: {type(exc).__name__}",
            ) from exc
        if response.status_code != 200:
            entry.expires_at = now + min(self._settings.keyset_min_cache_seconds, 60)
            raise PlatformCallError(
                "Không lấy được khoá của nền tảng / the platform's keys could not be fetched",
                detail=f"{url}: HTTP {response.status_code}",
            )
        entry.keys = _parse_keys(response)
        entry.expires_at = now + self._lifetime(response)

    def _lifetime(self, response: httpx.Response) -> float:
        settings = self._settings
        control = response.headers.get("cache-control", "")
        seconds: float = settings.keyset_default_cache_seconds
        if "no-store" in control.lower() or "no-cache" in control.lower():
            seconds = 0
        elif match := _MAX_AGE.search(control):
            seconds = int(match.group(1))
        elif expires := response.headers.get("expires"):
            try:
                seconds = parsedate_to_datetime(expires).timestamp() - time.time()
            except (TypeError, ValueError):
                seconds = settings.keyset_default_cache_seconds
        return float(
            min(max(seconds, settings.keyset_min_cache_seconds), settings.keyset_max_cache_seconds)
        )


def _parse_keys(response: httpx.Response) -> dict[str, jwk.RSAKey]:
    try:
        document = response.json()
    except ValueError as exc:
        raise PlatformCallError(
            "Khoá của nền tảng không đọc được / the platform's key set is not JSON"
        ) from exc
    raw = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(raw, list):
        raise PlatformCallError(
            "Khoá của nền tảng không đọc được / the platform's key set has no keys"
        )
    keys: dict[str, jwk.RSAKey] = {}
    for item in raw:
        if not isinstance(item, dict) or item.get("kty") != "RSA" or not item.get("kid"):
            continue
        if item.get("alg", "RS256") != "RS256" or item.get("use", "sig") != "sig":
            continue
        try:
            keys[str(item["kid"])] = jwk.RSAKey.import_key(
                {k: v for k, v in item.items() if k in ("kty", "n", "e", "kid")}
            )
        except (JoseError, ValueError, TypeError):
            continue
    return keys
