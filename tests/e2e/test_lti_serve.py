"""The LTI tool in a real ``gateway serve`` process: register dynamically, then launch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.e2e.conftest import LiveServer, start_server
from tests.e2e.lti_platform import Browser, TestPlatform, launch_flow, serve

pytestmark = pytest.mark.e2e


@pytest.fixture
def platform() -> Iterator[TestPlatform]:
    """A running test platform."""
    lms = TestPlatform()
    with serve(lms.app, lms.port):
        yield lms


@pytest.fixture
def server(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveServer]:
    """``gateway serve`` with registrations activated on arrival."""
    monkeypatch.setenv("GATEWAY_LTI_AUTO_ACTIVATE", "true")
    live = start_server(database_url, tmp_path / "server.log")
    yield live
    live.process.terminate()
    live.process.wait(timeout=10)


def test_register_and_launch_against_gateway_serve(
    server: LiveServer, platform: TestPlatform, database_url: str
) -> None:
    """Moodle's path: dynamic registration, then a learner's launch, on the real server."""
    jwks = httpx.get(server.url + "/lti/jwks", timeout=5).json()
    assert len(jwks["keys"]) == 1  # generated at first start
    browser = Browser()
    try:
        done = browser.request(
            "GET",
            server.url + "/lti/register",
            params={
                "openid_configuration": f"{platform.url}/.well-known/openid-configuration",
                "registration_token": platform.registration_token,
            },
        )
        assert done.status_code == 200 and "đã sẵn sàng" in done.text
        page = launch_flow(browser, platform)
        assert page.status_code == 200, page.text
        assert "GVPT 15" in page.text
    finally:
        browser.close()
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            subs = connection.execute(text("SELECT user_sub FROM lti_launch")).scalars().all()
    finally:
        engine.dispose()
    assert subs == ["user-1"]
