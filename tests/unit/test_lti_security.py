"""Unit rules of the LTI tool: id_token claims, platform key cache, launch tokens, cookies."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from gateway.lti.cookie import cookie_header
from gateway.lti.errors import LaunchTokenError, PlatformCallError, TokenError
from gateway.lti.keysets import PlatformKeySets
from gateway.lti.launch_tokens import LaunchTokens
from gateway.lti.services import next_page, scores_url, with_query
from gateway.lti.settings import LtiSettings
from gateway.lti.tokens import check_claims, verify_id_token

ISSUER = "https://lms.example"
CLIENT = "client-1"
JWKS_URL = "https://lms.example/jwks"
SETTINGS = LtiSettings()


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": CLIENT,
        "exp": now + 60,
        "iat": now,
        "nonce": "n-1",
    }
    for key, value in changes.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return base


@dataclass(frozen=True)
class Ago:
    """A time ``seconds`` before the moment the test runs (negative: in the future)."""

    seconds: int

    def now(self) -> int:
        return int(time.time()) - self.seconds


def check(value: dict[str, Any]) -> None:
    check_claims(value, issuer=ISSUER, client_id=CLIENT, settings=SETTINGS)


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"iss": "https://other.example"}, "iss"),
        ({"aud": "other"}, "aud"),
        ({"aud": [CLIENT, "other"]}, "azp"),
        ({"aud": [CLIENT, "other"], "azp": "other"}, "azp"),
        ({"azp": "other"}, "azp"),
        ({"exp": None}, "exp"),
        ({"exp": Ago(120)}, "exp"),
        ({"iat": None}, "iat"),
        ({"iat": Ago(-300)}, "iat in the future"),
        ({"iat": Ago(400)}, "older"),
        ({"nonce": None}, "nonce"),
        ({"exp": True}, "exp"),
    ],
)
def test_claim_rules(changes: dict[str, Any], detail: str) -> None:
    """Security Framework §5.1.3: iss, aud, azp, exp, iat (5 minutes + leeway), nonce."""
    # Times are taken when the test runs, not when it is collected: a long suite must
    # not turn "300 s in the future" into "now".
    resolved = {k: v.now() if isinstance(v, Ago) else v for k, v in changes.items()}
    with pytest.raises(TokenError) as caught:
        check(claims(**resolved))
    assert detail in (caught.value.detail or "")


def test_valid_claims_pass_with_leeway() -> None:
    """Several audiences with azp = client id, and 20 s of skew, are fine."""
    check(claims(aud=[CLIENT, "other"], azp=CLIENT, iat=int(time.time()) + 20))
    check(claims(iat=int(time.time()) - 320))  # 300 s + 30 s leeway


class FakePlatform:
    """A JWKS endpoint on httpx.MockTransport that counts fetches."""

    def __init__(self) -> None:
        self.keys = [RSAKey.generate_key(2048, auto_kid=True)]
        self.fetches = 0
        self.cache_control = "max-age=600"
        self.status = 200

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        assert request.headers["user-agent"].startswith("TEMIS-LMS-Gateway/")
        body = {"keys": [dict(k.as_dict(private=False), alg="RS256", use="sig") for k in self.keys]}
        return httpx.Response(self.status, json=body, headers={"Cache-Control": self.cache_control})


def keysets(platform: FakePlatform, clock: list[float], **settings: Any) -> PlatformKeySets:
    def client() -> httpx.Client:
        return httpx.Client(
            transport=httpx.MockTransport(platform.handler),
            headers={"User-Agent": "TEMIS-LMS-Gateway/test"},
        )

    return PlatformKeySets(LtiSettings(**settings), client, clock=lambda: clock[0])


def test_keys_cached_by_max_age_and_refetched_on_expiry() -> None:
    """The key set lives as long as Cache-Control says (bounded by the settings)."""
    platform, clock = FakePlatform(), [1000.0]
    cache = keysets(platform, clock)
    kid = platform.keys[0].kid
    cache.key_for(JWKS_URL, kid)
    cache.key_for(JWKS_URL, kid)
    assert platform.fetches == 1
    clock[0] += 601
    cache.key_for(JWKS_URL, kid)
    assert platform.fetches == 2
    platform.cache_control = "no-store"
    clock[0] += 601
    cache.key_for(JWKS_URL, kid)
    clock[0] += 61  # keyset_min_cache_seconds
    cache.key_for(JWKS_URL, kid)
    assert platform.fetches == 4


def test_unknown_kid_refetches_once_per_interval() -> None:
    """A rotated key is found by one refetch; a flood of unknown kids causes one fetch."""
    platform, clock = FakePlatform(), [1000.0]
    cache = keysets(platform, clock)
    cache.key_for(JWKS_URL, platform.keys[0].kid)
    platform.keys.append(RSAKey.generate_key(2048, auto_kid=True))
    assert cache.key_for(JWKS_URL, platform.keys[1].kid) is not None
    assert platform.fetches == 2
    for n in range(5):
        with pytest.raises(TokenError):
            cache.key_for(JWKS_URL, f"forged-{n}")
    assert platform.fetches == 2  # within 30 s of the last forced refetch
    clock[0] += 31
    with pytest.raises(TokenError):
        cache.key_for(JWKS_URL, "forged-later")
    assert platform.fetches == 3


def test_unreachable_key_set_is_a_platform_error() -> None:
    """A JWKS answering 500 refuses the launch with a clear error, not a crash."""
    platform, clock = FakePlatform(), [0.0]
    platform.status = 500
    with pytest.raises(PlatformCallError):
        keysets(platform, clock).key_for(JWKS_URL, platform.keys[0].kid)


def test_verify_id_token_end_to_end() -> None:
    """A token signed by the platform's key verifies; one signed by another key does not."""
    platform, clock = FakePlatform(), [0.0]
    cache = keysets(platform, clock)
    key = platform.keys[0]
    token = jwt.encode({"alg": "RS256", "kid": key.kid}, claims(), key)
    verified = verify_id_token(
        token, issuer=ISSUER, client_id=CLIENT, key_set_url=JWKS_URL, keysets=cache,
        settings=SETTINGS,
    )  # fmt: skip
    assert verified["nonce"] == "n-1"
    other = RSAKey.generate_key(2048, auto_kid=True)
    forged = jwt.encode({"alg": "RS256", "kid": key.kid}, claims(), other)
    with pytest.raises(TokenError):
        verify_id_token(
            forged, issuer=ISSUER, client_id=CLIENT, key_set_url=JWKS_URL, keysets=cache,
            settings=SETTINGS,
        )  # fmt: skip
    for bad in ("a.b", "###.###.###", ""):
        with pytest.raises(TokenError):
            verify_id_token(
                bad, issuer=ISSUER, client_id=CLIENT, key_set_url=JWKS_URL, keysets=cache,
                settings=SETTINGS,
            )  # fmt: skip


def test_launch_tokens() -> None:
    """Launch tokens carry a launch and a purpose; forged, expired or misused ones fail."""
    tokens = LaunchTokens("secret", "https://gw.example", 60)
    token = tokens.issue("launch-1", "deep_link", now=1000)
    assert tokens.check(token, "deep_link", now=1030).launch_id == "launch-1"
    for bad, purpose, now in (
        (token, "deep_link", 1061),
        (token, "resource", 1030),
        (token[:-2] + "AA", "deep_link", 1030),
        (
            LaunchTokens("other", "https://gw.example", 60).issue("x", "deep_link", 1000),
            "deep_link",
            1030,
        ),
        (
            LaunchTokens("secret", "https://other.example", 60).issue("x", "deep_link", 1000),
            "deep_link",
            1030,
        ),
        (None, "deep_link", 1030),
    ):
        with pytest.raises(LaunchTokenError):
            tokens.check(bad, purpose, now=now)


def test_state_cookie_is_partitioned() -> None:
    """The state cookie works in a third-party iframe: SameSite=None; Secure; Partitioned."""
    header = cookie_header("lti1p3-state-abc", "state-abc", 300)
    for part in ("Path=/lti/", "Max-Age=300", "Secure", "HttpOnly", "SameSite=None", "Partitioned"):
        assert part in header.split("; ")


def test_service_url_helpers() -> None:
    """Moodle line item URLs carry a query string: /scores goes into the path."""
    assert (
        scores_url("https://m.example/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1")
        == "https://m.example/mod/lti/services.php/2/lineitems/7/lineitem/scores?type_id=1"
    )
    assert with_query("https://x/a?b=1", {"limit": "3"}) == "https://x/a?b=1&limit=3"
    response = httpx.Response(200, headers={"Link": '<https://x/p2>; rel="next"'})
    assert next_page(response) == "https://x/p2"
    assert next_page(httpx.Response(200)) is None
