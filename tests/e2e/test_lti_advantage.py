"""LTI Advantage over real HTTP: dynamic registration, deep linking, AGS, NRPS, key rotation.

The test platform validates what the tool sends it (the deep-linking JWT, the client
assertion of every token request) against the tool's published JWKS.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from gateway.bdtx.outbox import RetryPolicy, enqueue
from gateway.lti.launches import launch_ags
from gateway.lti.rosters import fetch_roster
from gateway.lti.scores import LTI_SCORE, deliver_scores
from gateway.lti.services import PlatformServices
from tests.e2e.lti_platform import (
    LEARNER,
    LTI,
    Browser,
    TestPlatform,
    ToolServer,
    hidden,
    launch_flow,
    run_tool,
    serve,
)

pytestmark = pytest.mark.e2e

GATEWAY = str(Path(sys.executable).parent / "gateway")
ADMIN_TOKEN = "admin-token-for-tests"


@pytest.fixture
def platform() -> Iterator[TestPlatform]:
    """A running test platform."""
    lms = TestPlatform()
    with serve(lms.app, lms.port):
        yield lms


@pytest.fixture
def tool(database_url: str, platform: TestPlatform) -> Iterator[ToolServer]:
    """The gateway with ``platform`` registered."""
    with run_tool(database_url, admin_token=ADMIN_TOKEN) as server:
        server.register(platform)
        yield server


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A cookie-keeping HTTP client."""
    client = Browser()
    yield client
    client.close()


def last_launch_id(tool: ToolServer) -> str:
    """The public id of the newest launch."""
    value: str = tool.context.database.transaction(
        lambda s: s.execute(
            text("SELECT launch_id FROM lti_launch ORDER BY id DESC LIMIT 1")
        ).scalar_one()
    )
    return value


# Dynamic registration ---------------------------------------------------------------------


def test_dynamic_registration_then_admin_activation(
    database_url: str, platform: TestPlatform, browser: Browser
) -> None:
    """LTI-DR 1.0: configuration fetched, tool config posted with the token, result stored."""
    with run_tool(database_url, admin_token=ADMIN_TOKEN) as tool:
        config = f"{platform.url}/.well-known/openid-configuration"
        response = browser.request(
            "GET",
            tool.url + "/lti/register",
            params={
                "openid_configuration": config,
                "registration_token": platform.registration_token,
            },
        )
        assert response.status_code == 200, response.text
        assert "org.imsglobal.lti.close" in response.text
        assert "kích hoạt" in response.text  # waits for the admin
        sent = platform.received.registrations[0]
        assert sent["initiate_login_uri"] == tool.url + "/lti/login"
        assert sent["jwks_uri"] == tool.url + "/lti/jwks"
        assert sent["token_endpoint_auth_method"] == "private_key_jwt"
        listed = browser.request(
            "GET",
            tool.url + "/api/lti/platforms",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        ).json()
        assert [(p["client_id"], p["status"], p["source"]) for p in listed] == [
            (platform.client_id, "pending", "dynamic")
        ]
        assert listed[0]["deployments"][0]["deployment_id"] == platform.deployment_id
        # Pending: the LMS cannot launch yet.
        assert launch_flow_status(browser, platform) == 400
        activated = browser.request(
            "POST",
            tool.url + f"/api/lti/platforms/{listed[0]['id']}/activate",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        assert activated.status_code == 200 and activated.json()["status"] == "active"
        assert launch_flow(browser, platform).status_code == 200


def launch_flow_status(browser: Browser, platform: TestPlatform) -> int:
    """Status of the login step only."""
    assert platform.tool is not None
    return browser.request(
        "POST",
        platform.tool.login_url,
        data={
            "iss": platform.issuer,
            "login_hint": "user-1",
            "target_link_uri": platform.tool.launch_url,
            "client_id": platform.client_id,
        },
    ).status_code


def test_dynamic_registration_refusals_store_nothing(
    database_url: str, platform: TestPlatform, browser: Browser
) -> None:
    """A wrong registration token or an issuer not matching the configuration URL fails."""
    with run_tool(database_url) as tool:
        config = f"{platform.url}/.well-known/openid-configuration"
        response = browser.request(
            "GET",
            tool.url + "/lti/register",
            params={"openid_configuration": config, "registration_token": "wrong"},
        )
        assert response.status_code == 400
        assert "không nhận đăng ký" in response.text and "wrong" not in response.text
        platform.configured_issuer = "https://other-lms.example"
        response = browser.request(
            "GET",
            tool.url + "/lti/register",
            params={
                "openid_configuration": config,
                "registration_token": platform.registration_token,
            },
        )
        assert response.status_code == 400 and "không khớp" in response.text
        assert tool.count("lti_platform") == 0


def test_admin_api_requires_the_admin_token(tool: ToolServer, browser: Browser) -> None:
    """``/api/lti`` answers 401 without the bearer token."""
    assert browser.request("GET", tool.url + "/api/lti/platforms").status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert browser.request("GET", tool.url + "/api/lti/platforms", headers=bad).status_code == 401


def test_canvas_json_and_setup_page(tool: ToolServer, browser: Browser) -> None:
    """The Canvas developer-key JSON and the Moodle manual values name this tool's URLs."""
    config = browser.request("GET", tool.url + "/lti/canvas.json").json()
    assert config["oidc_initiation_url"] == tool.url + "/lti/login"
    assert config["target_link_uri"] == tool.url + "/lti/launch"
    assert config["public_jwk_url"] == tool.url + "/lti/jwks"
    placements = config["extensions"][0]["settings"]["placements"]
    assert {p["placement"]: p["message_type"] for p in placements} == {
        "link_selection": "LtiDeepLinkingRequest",
        "assignment_selection": "LtiDeepLinkingRequest",
        "course_navigation": "LtiResourceLinkRequest",
    }
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in config["scopes"]
    page = browser.request("GET", tool.url + "/lti/setup").text
    for value in ("/lti/login", "/lti/launch", "/lti/jwks", "/lti/register", "Keyset URL"):
        assert value in page
    assert page.index("Khai báo thủ công") < page.index("Manual set-up")


# Deep linking --------------------------------------------------------------------------------


def test_deep_linking_round_trip(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """Deep Linking 2.0: picker (level filter, accent-free search) → signed response → LMS."""
    picker = launch_flow(browser, platform, message="deep_link")
    assert picker.status_code == 200, picker.text
    assert "GVMN 2" in picker.text and "GVPT 15" not in picker.text  # custom level=MN
    token = hidden(picker.text, "lt")
    found = browser.request(
        "GET", tool.url + "/lti/deep-link", params={"lt": token, "q": "ky luat"}
    )
    assert found.status_code == 200
    assert "GVMN 25" in found.text and "GVMN 2<" not in found.text
    answer = browser.request(
        "POST", tool.url + "/lti/deep-link", data={"lt": token, "module": "GVMN25"}
    )
    assert answer.status_code == 200
    action = answer.text.split('action="', 1)[1].split('"', 1)[0]
    assert action == f"{platform.url}/deep-link-return"
    jwt_value = hidden(answer.text, "JWT")
    received = browser.request("POST", action, data={"JWT": jwt_value})
    assert received.status_code == 200, platform.received.deep_link_errors
    [item] = platform.received.deep_link_items
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == tool.url + "/lti/launch"
    assert item["custom"]["module_code"] == "GVMN25"
    assert item["lineItem"]["scoreMaximum"] == 100
    assert item["lineItem"]["label"].startswith("GVMN 25")
    claims = json.loads(base64.urlsafe_b64decode(jwt_value.split(".")[1] + "=="))
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"].startswith("opaque-")


def test_tampered_deep_linking_jwt_is_rejected_by_the_platform(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """The response is signed: a changed payload fails the platform's verification."""
    picker = launch_flow(browser, platform, message="deep_link")
    answer = browser.request(
        "POST",
        tool.url + "/lti/deep-link",
        data={"lt": hidden(picker.text, "lt"), "module": "GVMN2"},
    )
    header, payload, signature = hidden(answer.text, "JWT").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"][0]["url"] = (
        "https://evil.example/"
    )
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = browser.request(
        "POST", f"{platform.url}/deep-link-return", data={"JWT": f"{header}.{forged}.{signature}"}
    )
    assert response.status_code == 400
    assert platform.received.deep_link_items == []
    assert platform.received.deep_link_errors


def test_tampered_launch_token_and_learner_picker_are_refused(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """The picker needs a valid launch token of an instructor's deep-linking launch."""
    picker = launch_flow(browser, platform, message="deep_link")
    token = hidden(picker.text, "lt")
    forged = token[:-3] + ("abc" if not token.endswith("abc") else "xyz")
    response = browser.request("GET", tool.url + "/lti/deep-link", params={"lt": forged})
    assert response.status_code == 401 and forged not in response.text
    response = browser.request(
        "POST", tool.url + "/lti/deep-link", data={"lt": forged, "module": "GVMN2"}
    )
    assert response.status_code == 401
    assert browser.request("GET", tool.url + "/lti/deep-link", params={"lt": ""}).status_code == 401
    # A learner's deep-linking launch does not get the picker.
    platform.tamper = lambda header, claims: (header, {**claims, LTI + "roles": [LEARNER]})
    refused = launch_flow(browser, platform, message="deep_link")
    assert refused.status_code == 400 and "Chỉ giáo viên" in refused.text
    assert 'name="module"' not in refused.text


# AGS ---------------------------------------------------------------------------------------------


def _score_payload(tool: ToolServer, launch_id: str, given: float) -> dict[str, Any]:
    info = tool.context.database.transaction(launch_ags, launch_id)
    return {
        "action": "upsert",
        "issuer": info.issuer,
        "client_id": info.client_id,
        "deployment_id": info.deployment_id,
        "lineitem": info.lineitem_url,
        "lineitems": info.lineitems_url,
        "resource_link_id": info.resource_link_id,
        "context_id": info.context_id,
        "user_sub": info.user_sub,
        "score_given": given,
        "score_maximum": 100.0,
        "activity_progress": "Completed",
        "grading_progress": "FullyGraded",
        "timestamp": "2026-05-01T08:00:00.000+07:00",
        "comment": "GVPT 15: 40 tiết, năm học 2025-2026",
        "module_key": "GVPT15",
    }


def _outbox(tool: ToolServer) -> list[tuple[str, int]]:
    rows = tool.context.database.transaction(
        lambda s: s.execute(text("SELECT status, attempts FROM bdtx_outbox ORDER BY id")).all()
    )
    return [(str(r[0]), int(r[1])) for r in rows]


def test_score_passback_is_queued_retried_and_delivered(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """AGS 2.0 §3.4: the outbox row is retried while the LMS is down, then delivered once."""
    assert launch_flow(browser, platform).status_code == 200
    launch_id = last_launch_id(tool)
    tool.context.database.transaction(
        enqueue, LTI_SCORE, "passback-1", _score_payload(tool, launch_id, 87.5)
    )
    platform.ags_down = True
    quick = RetryPolicy(base_seconds=0.0, max_seconds=0.0, max_attempts=5)
    report = deliver_scores(tool.context.database, 10, context=tool.context, policy=quick)
    assert (report.delivered, report.retried, report.dead) == (0, 1, 0)
    assert platform.received.scores == []
    assert _outbox(tool) == [("pending", 1)]
    platform.ags_down = False
    report = deliver_scores(tool.context.database, 10, context=tool.context, policy=quick)
    assert report.delivered == 1
    [score] = platform.received.scores
    assert score["userId"] == "user-1"
    assert score["scoreGiven"] == 87.5 and score["scoreMaximum"] == 100.0
    assert score["activityProgress"] == "Completed"
    assert score["gradingProgress"] == "FullyGraded"
    assert score["timestamp"].endswith("+07:00")
    assert _outbox(tool) == [("delivered", 2)]
    assert deliver_scores(tool.context.database, 10, context=tool.context).delivered == 0


def test_score_for_an_unknown_registration_is_dead_lettered(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """A delivery that can never succeed is not retried forever."""
    assert launch_flow(browser, platform).status_code == 200
    payload = _score_payload(tool, last_launch_id(tool), 50)
    payload["client_id"] = "unregistered"
    tool.context.database.transaction(enqueue, LTI_SCORE, "passback-x", payload)
    report = deliver_scores(tool.context.database, 10, context=tool.context)
    assert report.dead == 1
    assert _outbox(tool) == [("dead", 1)]


def test_score_with_only_a_line_item_container_creates_the_column(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """No ``lineitem`` claim: the consumer finds or creates the resource link's line item."""
    assert launch_flow(browser, platform, message="resource:link-without-item").status_code == 200
    payload = _score_payload(tool, last_launch_id(tool), 70)
    payload["lineitem"] = None
    platform.line_items.clear()
    tool.context.database.transaction(enqueue, LTI_SCORE, "passback-2", payload)
    assert deliver_scores(tool.context.database, 10, context=tool.context).delivered == 1
    [item] = platform.line_items.values()
    assert item["resourceLinkId"] == "link-without-item" and item["label"] == "GVPT15"
    assert platform.received.scores[0]["scoreGiven"] == 70


def test_line_item_crud(tool: ToolServer, platform: TestPlatform, browser: Browser) -> None:
    """AGS 2.0 §3.2: create, read, update, list and delete a line item."""
    assert launch_flow(browser, platform).status_code == 200
    info = tool.context.database.transaction(launch_ags, last_launch_id(tool))
    with tool.context.database.sessions() as session:
        from gateway.lti.models import LtiPlatform

        row = session.get(LtiPlatform, info.platform_id)
        signing = tool.context.keyring.signing_key(session)
        session.commit()
    with tool.context.http() as client:
        services = PlatformServices(row, signing, client, tool.context.tokens)
        created = services.create_line_item(
            info.lineitems_url, {"label": "QLPT 18", "scoreMaximum": 10, "tag": "temis-bdtx"}
        )
        assert services.get_line_item(created["id"])["label"] == "QLPT 18"
        services.update_line_item(created["id"], {"label": "QLPT 18 (sửa)", "scoreMaximum": 20})
        assert services.get_line_item(created["id"])["scoreMaximum"] == 20
        assert created["id"] in [i["id"] for i in services.line_items(info.lineitems_url)]
        services.delete_line_item(created["id"])
        assert created["id"] not in [i["id"] for i in services.line_items(info.lineitems_url)]
    assert platform.received.token_errors == []


# NRPS ---------------------------------------------------------------------------------------


def test_roster_is_read_across_pages(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """NRPS 2.0 §2.4: members over three pages (``Link: rel="next"``)."""
    picker = launch_flow(browser, platform, message="deep_link")
    members = fetch_roster(tool.context, last_launch_id(tool), page_size=3)
    assert [m.user_id for m in members] == [f"user-{n}" for n in range(1, 8)]
    assert members[0].name == "Giáo viên 1"
    answer = browser.request(
        "GET", tool.url + "/lti/roster", params={"lt": hidden(picker.text, "lt")}
    )
    assert answer.status_code == 200
    assert len(answer.json()["members"]) == 7


# Key rotation, both sides ----------------------------------------------------------------


def test_tool_key_rotation_with_the_cli(
    tool: ToolServer, platform: TestPlatform, browser: Browser, database_url: str
) -> None:
    """``gateway keys rotate``: new key signs, old stays published; the platform follows."""
    assert launch_flow(browser, platform).status_code == 200
    launch_id = last_launch_id(tool)
    tool.context.database.transaction(
        enqueue, LTI_SCORE, "before-rotation", _score_payload(tool, launch_id, 10)
    )
    assert deliver_scores(tool.context.database, 10, context=tool.context).delivered == 1
    old = browser.request("GET", tool.url + "/lti/jwks").json()["keys"]
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_SECRET_KEY": tool.context.secret,
        "GATEWAY_ENVIRONMENT": "test",
    }
    result = subprocess.run(
        [GATEWAY, "keys", "rotate", "--grace-hours", "2"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    published = browser.request("GET", tool.url + "/lti/jwks").json()["keys"]
    assert len(published) == 2 and old[0]["kid"] in [k["kid"] for k in published]
    fetches = platform.received.tool_jwks_fetches
    tool.context.tokens.drop(1)
    tool.context.database.transaction(
        enqueue, LTI_SCORE, "after-rotation", _score_payload(tool, launch_id, 20)
    )
    assert deliver_scores(tool.context.database, 10, context=tool.context).delivered == 1
    assert platform.received.tool_jwks_fetches == fetches + 1  # new kid → refetch
    assert platform.received.token_errors == []
    assert [s["scoreGiven"] for s in platform.received.scores] == [10, 20]
    listed = subprocess.run([GATEWAY, "keys", "list"], env=env, capture_output=True, text=True)
    assert "retiring" in listed.stdout and "active" in listed.stdout
