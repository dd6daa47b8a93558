"""The http connector against a fake TEMIS (httpx2.MockTransport): status -> outcome."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx2
import pytest
from pydantic import SecretStr

from gateway.bdtx.delivery import DeliveryError, PermanentDeliveryError
from gateway.bdtx.outbox import Claimed
from gateway.temis.errors import ConnectorConfigError
from gateway.temis.http_connector import HttpConnector
from gateway.temis.settings import TemisSettings

SETTINGS = TemisSettings(
    http_url="https://temis.test/api",
    token_url="https://temis.test/oauth/token",
    client_id="gw",
    client_secret=SecretStr("s3cret"),
)
ITEM = Claimed(1, "temis.http", "079%3A1:GVPT15:2025-2026:lms:r1", {"a": "ă"}, 0)


def connector(
    answers: Callable[[httpx2.Request], httpx2.Response],
) -> tuple[HttpConnector, list[httpx2.Request]]:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        if request.url.path == "/oauth/token":
            n = sum(1 for r in seen if r.url.path == "/oauth/token")
            return httpx2.Response(
                200, json={"access_token": f"t{n}", "token_type": "Bearer", "expires_in": 3600}
            )
        return answers(request)

    return HttpConnector(SETTINGS, transport=httpx2.MockTransport(handler)), seen


def test_a_record_is_put_under_its_key_with_a_bearer_token() -> None:
    """Contract: PUT v1/bdtx/results/{key}, JSON body, Idempotency-Key, OAuth 2 bearer."""
    http, seen = connector(lambda r: httpx2.Response(201, json={"status": "created"}))
    http.send(ITEM)
    put = seen[-1]
    assert put.method == "PUT"
    assert put.url.raw_path.decode() == "/api/v1/bdtx/results/079%253A1:GVPT15:2025-2026:lms:r1"
    assert put.headers["authorization"] == "Bearer t1"
    assert put.headers["idempotency-key"] == ITEM.key
    assert json.loads(put.content) == {"a": "ă"}
    token_request = seen[0]
    assert b"grant_type=client_credentials" in token_request.content


def test_a_duplicate_is_an_acknowledgement() -> None:
    """200 for a key TEMIS already holds counts as delivered."""
    http, _ = connector(lambda r: httpx2.Response(200, json={"status": "duplicate"}))
    http.send(ITEM)


def test_an_expired_token_is_fetched_again_once() -> None:
    """401: one fresh token, one retry."""
    answers = iter([httpx2.Response(401), httpx2.Response(201)])
    http, seen = connector(lambda r: next(answers))
    http.send(ITEM)
    assert [r.headers.get("authorization") for r in seen if r.method == "PUT"] == [
        "Bearer t1",
        "Bearer t2",
    ]


@pytest.mark.parametrize("status", [400, 409, 422])
def test_refusals_are_permanent(status: int) -> None:
    """4xx refusals other than auth and rate limits dead-letter at once."""
    http, _ = connector(lambda r: httpx2.Response(status, json={"error": "no"}))
    with pytest.raises(PermanentDeliveryError):
        http.send(ITEM)


@pytest.mark.parametrize("status", [401, 403, 429, 500, 503])
def test_other_failures_are_retried(status: int) -> None:
    """5xx, 429 and auth failures are transient (retried with backoff)."""
    http, _ = connector(lambda r: httpx2.Response(status))
    with pytest.raises(DeliveryError) as error:
        http.send(ITEM)
    assert not error.value.permanent


def test_timeouts_and_dropped_connections_are_retried() -> None:
    """Network failures are transient."""

    def boom(request: httpx2.Request) -> httpx2.Response:
        raise httpx2.ReadTimeout("slow", request=request)

    http, _ = connector(boom)
    with pytest.raises(DeliveryError):
        http.send(ITEM)


def test_missing_settings_are_named() -> None:
    """A connector enabled without its settings says which are missing."""
    with pytest.raises(ConnectorConfigError, match="GATEWAY_TEMIS_TOKEN_URL"):
        HttpConnector(
            TemisSettings(http_url="https://x", client_id="a", client_secret=SecretStr("b"))
        )
