"""LTI 1.3 launches over real HTTP between the gateway and a test platform.

The platform (``tests/e2e/lti_platform.py``) has its own keys and signs every id_token;
the tool fetches the platform's JWKS, validates, records the launch and renders the page.
Every refusal must show a short page without the token, and record nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from joserfc.jwk import RSAKey

from gateway.lti.platforms import add_deployment, add_platform, set_platform_status
from tests.e2e.lti_platform import (
    LTI,
    AuthRequest,
    Browser,
    TestPlatform,
    ToolServer,
    authorize,
    launch_flow,
    login,
    run_tool,
    serve,
)

pytestmark = pytest.mark.e2e

RECORDS = ("lti_launch", "lti_cache", "bdtx_launch", "bdtx_identity")


@pytest.fixture
def platform() -> Iterator[TestPlatform]:
    """A running test platform."""
    lms = TestPlatform()
    with serve(lms.app, lms.port):
        yield lms


@pytest.fixture
def tool(database_url: str, platform: TestPlatform) -> Iterator[ToolServer]:
    """The gateway with ``platform`` registered and its deployment active."""
    with run_tool(database_url) as server:
        server.register(platform)
        yield server


@pytest.fixture
def browser() -> Iterator[Browser]:
    """A cookie-keeping HTTP client."""
    client = Browser()
    yield client
    client.close()


def counts(tool: ToolServer) -> dict[str, int]:
    """Rows of every table a launch writes to."""
    return {table: tool.count(table) for table in RECORDS}


def post_launch(browser: Browser, tool: ToolServer, token: str, state: str) -> httpx.Response:
    """POST an id_token to the tool's launch endpoint as the platform's form would."""
    return browser.request(
        "POST", tool.url + "/lti/launch", data={"id_token": token, "state": state}
    )


def assert_refused(
    response: httpx.Response, status: int, words: str, tool: ToolServer, before: dict[str, int]
) -> None:
    """A clear, short page; no token in it; nothing recorded."""
    assert response.status_code == status, response.text
    assert words in response.text
    assert "eyJ" not in response.text  # no JWT (id_token) echoed
    assert 'lang="vi"' in response.text
    assert counts(tool) == before


def signed(platform: TestPlatform, auth: AuthRequest, **changes: Any) -> str:
    """A launch token for ``auth`` with claims changed (None removes a claim)."""
    claims = platform.launch_claims(auth.nonce)
    for name, value in changes.items():
        key = name.replace("__", "/")
        if value is None:
            claims.pop(key, None)
        else:
            claims[key] = value
    return platform.sign(claims)


# The happy paths ---------------------------------------------------------------------------


def test_resource_launch_records_the_learner(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """LTI 1.3 §5.1 and Security Framework §5.1.1: login → auth → launch is recorded."""
    before = counts(tool)
    response = launch_flow(browser, platform)
    assert response.status_code == 200, response.text
    assert "GVPT 15" in response.text
    assert "Nguyễn Thị Lan" in response.text
    assert counts(tool)["lti_launch"] == before["lti_launch"] + 1

    def row(session: Any) -> tuple[Any, ...]:
        from sqlalchemy import text

        return tuple(
            session.execute(
                text(
                    "SELECT issuer, deployment_id, context_id, resource_link_id, user_sub, "
                    "user_name, user_email, module_code, temis_id, ags_json FROM lti_launch"
                )
            ).one()
        )

    issuer, deployment, course, link, sub, name, email, module, temis_id, ags = (
        tool.context.database.transaction(row)
    )
    assert (issuer, deployment, course, link, sub) == (
        platform.issuer, "dep-1", "course-42", "link-1", "user-1"
    )  # fmt: skip
    assert (name, email, module, temis_id) == (
        "Nguyễn Thị Lan", "lan@school.edu.vn", "GVPT15", "T-0001"
    )  # fmt: skip
    assert json.loads(ags)["lineitem"].startswith(platform.url)


def test_launch_ags_info_is_exposed_by_launch_id(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """``gateway.lti.launches.launch_ags`` gives the ledger a launch's AGS endpoint."""
    from sqlalchemy import text

    from gateway.lti.launches import launch_ags

    assert launch_flow(browser, platform).status_code == 200
    launch_id = tool.context.database.transaction(
        lambda s: s.execute(text("SELECT launch_id FROM lti_launch")).scalar_one()
    )
    info = tool.context.database.transaction(launch_ags, launch_id)
    assert info is not None
    assert info.user_sub == "user-1" and info.module_code == "GVPT15"
    assert info.lineitems_url == f"{platform.url}/ags/course-42/lineitems"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in info.scopes
    assert tool.context.database.transaction(launch_ags, "no-such-launch") is None


def test_platform_key_rotation_is_followed(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """Security Framework §6.3: a new platform ``kid`` makes the tool refetch the key set once."""
    assert launch_flow(browser, platform).status_code == 200
    fetches = platform.jwks_fetches
    assert launch_flow(browser, platform).status_code == 200
    assert platform.jwks_fetches == fetches  # cached (Cache-Control: max-age=600)
    platform.rotate()
    assert launch_flow(browser, platform).status_code == 200
    assert platform.jwks_fetches == fetches + 1


def test_unknown_deployment_is_recorded_pending_then_activated(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """Canvas makes a deployment per course install: an unknown one waits for the admin."""
    platform.deployment_id = "dep-new-course"
    before = counts(tool)
    deployments = tool.count("lti_deployment")
    response = launch_flow(browser, platform)
    assert_refused(response, 403, "chờ quản trị viên", tool, before)
    assert tool.count("lti_deployment") == deployments + 1

    def activate(session: Any) -> None:
        platforms = session.execute(
            __import__("sqlalchemy").text("SELECT id FROM lti_platform")
        ).scalars()
        add_deployment(session, next(iter(platforms)), "dep-new-course")

    tool.context.database.transaction(activate)
    assert launch_flow(browser, platform).status_code == 200


# Refusals ----------------------------------------------------------------------------------


def test_replayed_id_token_is_refused(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """Security Framework §5.1.3 (nonce): an id_token works once, with its own login only."""
    auth = login(browser, platform)
    action, fields = authorize(browser, auth)
    assert browser.request("POST", action, data=fields).status_code == 200
    before = counts(tool)
    # Same token, same state.
    response = browser.request("POST", action, data=fields)
    assert_refused(response, 401, "đã dùng", tool, before)
    # Same token with a fresh login's state (and that login's cookie).
    fresh = login(browser, platform)
    response = post_launch(browser, tool, fields["id_token"], fresh.state)
    assert_refused(response, 401, "đã dùng hoặc không thuộc phiên này", tool, before)


def test_replayed_state_is_refused(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """OIDC state is single use: a second, validly signed token for it is refused."""
    auth = login(browser, platform)
    assert post_launch(browser, tool, signed(platform, auth), auth.state).status_code == 200
    before = counts(tool)
    response = post_launch(browser, tool, signed(platform, auth), auth.state)
    assert_refused(response, 401, "đã dùng", tool, before)


def test_forged_state_is_refused(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """A state the tool never issued is refused (and a state of another browser too)."""
    auth = login(browser, platform)
    before = counts(tool)
    response = post_launch(browser, tool, signed(platform, auth), "state-forged-by-attacker")
    assert_refused(response, 401, "không hợp lệ", tool, before)
    # The real state, but from a browser without the login's cookie and no platform storage.
    other = Browser()
    try:
        response = post_launch(other, tool, signed(platform, auth), auth.state)
    finally:
        other.close()
    assert_refused(response, 401, "chặn cookie", tool, before)


def test_state_cookie_of_another_login_is_refused(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """The state cookie must be this login's (login CSRF)."""
    auth = login(browser, platform)
    cookie = f"lti1p3-{auth.state}"
    browser.cookies[cookie] = "state-something-else"
    before = counts(tool)
    response = post_launch(browser, tool, signed(platform, auth), auth.state)
    assert_refused(response, 401, "không khớp", tool, before)


def test_expired_token_is_refused(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """Security Framework §5.1.3 rule 7: ``exp`` in the past."""
    auth = login(browser, platform)
    now = int(time.time())
    before = counts(tool)
    response = post_launch(
        browser, tool, signed(platform, auth, exp=now - 120, iat=now - 200), auth.state
    )
    assert_refused(response, 401, "hết hạn", tool, before)


def test_old_iat_is_refused(tool: ToolServer, platform: TestPlatform, browser: Browser) -> None:
    """``iat`` older than 5 minutes (plus leeway) is refused even if ``exp`` is far."""
    auth = login(browser, platform)
    now = int(time.time())
    before = counts(tool)
    response = post_launch(
        browser, tool, signed(platform, auth, iat=now - 400, exp=now + 3600), auth.state
    )
    assert_refused(response, 401, "quá cũ", tool, before)


def test_iat_within_leeway_is_accepted(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """A few seconds of clock skew (platform ahead) is tolerated."""
    auth = login(browser, platform)
    token = signed(platform, auth, iat=int(time.time()) + 10)
    assert post_launch(browser, tool, token, auth.state).status_code == 200


def test_wrong_aud_is_refused(tool: ToolServer, platform: TestPlatform, browser: Browser) -> None:
    """Rule 3: ``aud`` must contain the client id (pylti1p3 skips this check)."""
    auth = login(browser, platform)
    before = counts(tool)
    token = signed(platform, auth, aud=["another-tool", "a-third-one"], azp="another-tool")
    response = post_launch(browser, tool, token, auth.state)
    assert_refused(response, 401, "chưa được đăng ký", tool, before)
    auth = login(browser, platform)
    token = signed(platform, auth, aud=["another-tool", platform.client_id], azp="another-tool")
    response = post_launch(browser, tool, token, auth.state)
    assert_refused(response, 401, "chưa được đăng ký", tool, before)


def test_azp_mismatch_is_refused(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """Rules 4-5: with several audiences ``azp`` is required; present, it is the client id."""
    auth = login(browser, platform)
    before = counts(tool)
    token = signed(platform, auth, azp="another-tool")
    assert_refused(post_launch(browser, tool, token, auth.state), 401, "không hợp lệ", tool, before)
    auth = login(browser, platform)
    token = signed(platform, auth, aud=[platform.client_id, "another-tool"], azp=None)
    assert_refused(post_launch(browser, tool, token, auth.state), 401, "không hợp lệ", tool, before)


def test_attacker_kid_is_refused_and_refetch_rate_limited(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """A token signed with an attacker's key under a new ``kid``: one refetch, then refusal."""
    assert launch_flow(browser, platform).status_code == 200
    fetches = platform.jwks_fetches
    attacker = RSAKey.generate_key(2048, auto_kid=True)
    before = counts(tool)
    for _ in range(3):
        auth = login(browser, platform)
        token = platform.sign(platform.launch_claims(auth.nonce), key=attacker)
        response = post_launch(browser, tool, token, auth.state)
        assert_refused(response, 401, "không khớp", tool, before)
    # One refetch for the unknown kid; the next ones fall in the rate-limit window.
    assert platform.jwks_fetches == fetches + 1
    # The attacker reusing the platform's kid with its own key fails the signature.
    auth = login(browser, platform)
    token = platform.sign(
        platform.launch_claims(auth.nonce), key=attacker, header={"kid": platform.key.kid}
    )
    assert_refused(post_launch(browser, tool, token, auth.state), 401, "không hợp lệ", tool, before)


def _unsigned(header: dict[str, Any], claims: dict[str, Any], secret: bytes | None) -> str:
    def part(value: dict[str, Any]) -> str:
        raw = json.dumps(value).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(claims)}"
    if secret is None:
        return signing_input + "."
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def test_hs256_and_none_algorithms_are_refused(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """Only RS256: ``HS256`` keyed with the public key (alg confusion) and ``none`` fail."""
    before = counts(tool)
    public_pem = platform.key.as_pem(private=False)
    for header, secret in (
        ({"alg": "HS256", "kid": platform.key.kid, "typ": "JWT"}, public_pem),
        ({"alg": "none", "kid": platform.key.kid, "typ": "JWT"}, None),
        ({"alg": "RS512", "kid": platform.key.kid, "typ": "JWT"}, b"x"),
    ):
        auth = login(browser, platform)
        token = _unsigned(header, platform.launch_claims(auth.nonce), secret)
        response = post_launch(browser, tool, token, auth.state)
        assert_refused(response, 401, "Thuật toán ký không được chấp nhận", tool, before)


def test_unknown_issuer_is_refused(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """An issuer with no registration: refused at login and at launch."""
    before = counts(tool)
    response = browser.request(
        "POST",
        tool.url + "/lti/login",
        data={
            "iss": "https://evil.example",
            "login_hint": "x",
            "target_link_uri": tool.url + "/lti/launch",
            "client_id": platform.client_id,
        },
    )
    assert_refused(response, 400, "chưa được đăng ký", tool, before)
    auth = login(browser, platform)
    token = signed(platform, auth, iss="https://evil.example")
    assert_refused(
        post_launch(browser, tool, token, auth.state), 401, "chưa được đăng ký", tool, before
    )


def test_unknown_client_id_is_refused(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """A client id the issuer never registered with the tool."""
    before = counts(tool)
    logins = tool.count("lti_login")
    response = browser.request(
        "POST",
        tool.url + "/lti/login",
        data={
            "iss": platform.issuer,
            "login_hint": "x",
            "target_link_uri": tool.url + "/lti/launch",
            "client_id": "not-registered",
        },
    )
    assert_refused(response, 400, "chưa được đăng ký", tool, before)
    assert tool.count("lti_login") == logins
    auth = login(browser, platform)
    token = signed(platform, auth, aud="not-registered", azp=None)
    assert_refused(
        post_launch(browser, tool, token, auth.state), 401, "chưa được đăng ký", tool, before
    )


def test_deployment_of_another_registration_is_refused(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """A deployment id another registration of the issuer owns: refused, not even pending."""

    def second(session: Any) -> None:
        add_platform(
            session,
            issuer=platform.issuer,
            client_id="second-client",
            auth_login_url=f"{platform.url}/auth",
            auth_token_url=f"{platform.url}/token",
            key_set_url=f"{platform.url}/jwks",
            deployment_ids=("dep-of-second",),
        )

    tool.context.database.transaction(second)
    before = counts(tool)
    deployments = tool.count("lti_deployment")
    auth = login(browser, platform)
    token = signed(platform, auth, **{LTI.replace("/", "__") + "deployment_id": "dep-of-second"})
    response = post_launch(browser, tool, token, auth.state)
    assert_refused(response, 403, "không thuộc đăng ký này", tool, before)
    assert tool.count("lti_deployment") == deployments


def test_inactive_registration_is_refused(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """A registration waiting for activation (or disabled) cannot log in."""
    tool.context.database.transaction(lambda s: set_platform_status(s, 1, "pending"))
    before = counts(tool)
    assert_refused(
        launch_flow_response(browser, platform), 400, "chưa được kích hoạt", tool, before
    )


def launch_flow_response(browser: Browser, platform: TestPlatform) -> httpx.Response:
    """The login response itself (for refusals at login)."""
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
    )


def test_target_link_uri_to_another_host_is_refused(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """No open redirect through the login: ``target_link_uri`` must be this tool."""
    before = counts(tool)
    logins = tool.count("lti_login")
    for target in ("https://evil.example/lti/launch", tool.url.replace("127.0.0.1", "localhost")):
        response = browser.request(
            "GET",
            tool.url + "/lti/login",
            params={
                "iss": platform.issuer,
                "login_hint": "user-1",
                "target_link_uri": target,
                "client_id": platform.client_id,
            },
        )
        assert_refused(response, 400, "không thuộc công cụ này", tool, before)
    assert tool.count("lti_login") == logins


def test_missing_claims_are_refused(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """LTI 1.3 §5.3: version, roles, resource link, deployment and target_link_uri are required."""
    before = counts(tool)
    for claim in ("version", "roles", "resource_link", "target_link_uri", "deployment_id"):
        auth = login(browser, platform)
        token = signed(platform, auth, **{(LTI + claim).replace("/", "__"): None})
        response = post_launch(browser, tool, token, auth.state)
        assert response.status_code in (400, 401), claim
        assert "eyJ" not in response.text
    assert counts(tool) == before


def test_expired_login_state_is_refused(
    database_url: str, platform: TestPlatform, browser: Browser
) -> None:
    """A login older than ``state_seconds`` cannot be answered any more."""
    with run_tool(database_url, state_seconds=1) as server:
        server.register(platform)
        auth = login(browser, platform)
        time.sleep(1.2)
        before = counts(server)
        response = post_launch(browser, server, signed(platform, auth), auth.state)
        assert_refused(response, 401, "không hợp lệ", server, before)


def test_start_opens_the_module_for_the_lti_learner(
    tool: ToolServer, platform: TestPlatform, browser: Browser, tmp_path: Path
) -> None:
    """ "Start the module" launches the module's cmi5 course for account(iss, sub)."""
    from gateway.catalog.codes import parse_module_code
    from gateway.catalog.content_demo import install_demo
    from gateway.catalog.content_settings import ContentSettings
    from gateway.catalog.service import get_module

    page = launch_flow(browser, platform)
    link = html.unescape(page.text.split('class="button" href="', 1)[1].split('"', 1)[0])
    # No course package yet: a clear refusal.
    refused = browser.request("GET", link)
    assert refused.status_code == 400 and "cmi5" in refused.text
    with tool.context.database.sessions() as session:
        module = get_module(session, parse_module_code("GVPT15"))
        install_demo(session, module, ContentSettings(dir=tmp_path / "content"))
    answer = browser.request("GET", link)
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert "registration=" in location and "fetch=" in location
    actor = json.loads(parse_qs(urlsplit(location).query)["actor"][0])
    assert actor["account"] == {"homePage": platform.issuer, "name": "user-1"}
    assert tool.count("bdtx_launch") == 2  # at launch, and with the cmi5 registration
    forged = browser.request("GET", tool.url + "/lti/open", params={"lt": "forged"})
    assert forged.status_code == 401


def test_platform_storage_confirmation(
    tool: ToolServer, platform: TestPlatform, browser: Browser
) -> None:
    """LTI Platform Storage: without the cookie, the state read back from the platform
    finishes the launch; a wrong or replayed confirmation records nothing."""
    from tests.e2e.lti_platform import hidden

    def storage_launch() -> tuple[AuthRequest, str]:
        auth = login(browser, platform, lti_storage_target="_parent")
        cookieless = Browser()  # third-party cookies blocked: the state cookie never comes back
        try:
            page = post_launch(cookieless, tool, signed(platform, auth), auth.state)
        finally:
            cookieless.close()
        assert page.status_code == 200 and "lti.get_data" in page.text
        assert f"lti1p3-state-{auth.state}" in page.text  # the storage key, not the token
        assert "eyJ" not in page.text
        return auth, hidden(page.text, "pending")

    before = counts(tool)
    auth, pending = storage_launch()
    confirm = tool.url + "/lti/launch/confirm"
    wrong = browser.request("POST", confirm, data={"pending": pending, "state": "state-wrong"})
    assert wrong.status_code == 401
    again = browser.request("POST", confirm, data={"pending": pending, "state": auth.state})
    assert again.status_code == 401  # the pending launch was single use
    assert counts(tool)["lti_launch"] == before["lti_launch"]
    auth, pending = storage_launch()
    done = browser.request("POST", confirm, data={"pending": pending, "state": auth.state})
    assert done.status_code == 200 and "GVPT 15" in done.text
    assert counts(tool)["lti_launch"] == before["lti_launch"] + 1
    replay = browser.request("POST", confirm, data={"pending": pending, "state": auth.state})
    assert replay.status_code == 401
    assert counts(tool)["lti_launch"] == before["lti_launch"] + 1
