"""The xapi connector forwards credited statements to an upstream LRS with tincan.

The upstream is a real ``gateway serve`` (a conformant LRS) over HTTP.
"""

from __future__ import annotations

import uuid

import httpx
import pytest
from pydantic import SecretStr

from gateway.bdtx.delivery import DeliveryError
from gateway.bdtx.outbox import Claimed
from gateway.temis.settings import TemisSettings
from gateway.temis.xapi_connector import XapiConnector
from tests.conftest import basic_auth
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e


def _statement(verb: str) -> dict[str, object]:
    return {
        "id": str(uuid.uuid4()),
        "actor": {
            "objectType": "Agent",
            "name": "Nguyễn Thị Ánh",
            "mbox": "mailto:anh@school.edu.vn",
        },
        "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}", "display": {"vi-VN": "đạt"}},
        "object": {"objectType": "Activity", "id": "https://gw.example/catalog/modules/GVMN2"},
        "result": {"score": {"scaled": 0.8}, "success": True},
        "timestamp": "2025-10-01T02:00:00.000Z",
        "stored": "2025-10-01T02:00:01.000Z",
        "authority": {"objectType": "Agent", "mbox": "mailto:lms@sogd.example"},
        "version": "1.0.0",
    }


def test_credited_statements_reach_the_upstream_lrs_once(live_server: LiveServer) -> None:
    """Statements keep their ids, so a resend is a no-op upstream; UTF-8 text survives."""
    settings = TemisSettings(
        xapi_endpoint=live_server.xapi,
        xapi_username=live_server.key,
        xapi_password=SecretStr(live_server.secret),
    )
    statements = [_statement("completed"), _statement("passed")]
    item = Claimed(1, "temis.xapi", "k:r1", {"statements": statements}, 0)
    connector = XapiConnector(settings)
    connector.send(item)
    connector.send(item)  # delivered twice: still one copy upstream
    headers = {
        "Authorization": basic_auth(live_server.key, live_server.secret),
        "X-Experience-API-Version": "1.0.3",
    }
    body = httpx.get(live_server.xapi + "statements", headers=headers).json()
    got = {s["id"]: s for s in body["statements"]}
    assert set(got) == {s["id"] for s in statements}
    first = got[str(statements[0]["id"])]
    assert first["actor"]["name"] == "Nguyễn Thị Ánh"
    assert first["authority"]["account"]["name"] == live_server.key  # upstream's own authority


def test_a_refusing_upstream_is_retried_later(live_server: LiveServer) -> None:
    """Wrong credentials (401) are a transient failure, retried with backoff."""
    settings = TemisSettings(
        xapi_endpoint=live_server.xapi, xapi_username="nobody", xapi_password=SecretStr("wrong")
    )
    item = Claimed(1, "temis.xapi", "k:r1", {"statements": [_statement("passed")]}, 0)
    with pytest.raises(DeliveryError) as error:
        XapiConnector(settings).send(item)
    assert not error.value.permanent and "401" in str(error.value)
