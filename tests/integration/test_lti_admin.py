"""Registrations, deployments and tool keys through the CLI, the admin API and ``/lti/jwks``."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.db import Database
from gateway.lti import keys
from gateway.lti.cli import register_cli
from gateway.lti.context import LtiContext
from gateway.lti.settings import LtiSettings

SECRET = "integration-secret"


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The fresh database."""
    db = Database(database_url)
    yield db
    db.dispose()


def run(database: Database, *argv: str) -> int:
    """Run ``gateway <argv>`` with the LTI groups over ``database``."""
    parser = argparse.ArgumentParser(prog="gateway")
    groups = parser.add_subparsers(dest="command", required=True)
    register_cli(groups, lambda: database.sessions, lambda: SECRET)
    args = parser.parse_args(list(argv))
    code: int = args.handler(args)
    return code


ADD = (
    "platforms", "add", "--issuer", "https://moodle.school.edu.vn", "--client-id", "abc123",
    "--auth-login-url", "https://moodle.school.edu.vn/mod/lti/auth.php",
    "--auth-token-url", "https://moodle.school.edu.vn/mod/lti/token.php",
    "--key-set-url", "https://moodle.school.edu.vn/mod/lti/certs.php",
    "--deployment-id", "3", "--name", "Moodle Sở GDĐT",
)  # fmt: skip


def test_platforms_cli(database: Database, capsys: pytest.CaptureFixture[str]) -> None:
    """``gateway platforms add|list|disable|activate|deployment|remove``."""
    assert run(database, *ADD) == 0
    assert run(database, *ADD) == 2  # same issuer and client id
    assert "đã có" in capsys.readouterr().err.lower()
    assert run(database, "platforms", "deployment", "1", "7", "--status", "pending") == 0
    assert run(database, "platforms", "disable", "1") == 0
    capsys.readouterr()
    assert run(database, "platforms", "list") == 0
    out = capsys.readouterr().out
    assert "#1\tdisabled\tmanual\thttps://moodle.school.edu.vn\tclient_id=abc123" in out
    assert "deployment 3\tactive" in out and "deployment 7\tpending" in out
    assert run(database, "platforms", "activate", "1") == 0
    assert run(database, "platforms", "activate", "99") == 2
    bad = [a if a != "https://moodle.school.edu.vn/mod/lti/auth.php" else "ftp://x" for a in ADD]
    bad[bad.index("abc123")] = "other"
    assert run(database, *bad) == 2
    assert run(database, "platforms", "remove", "1") == 0
    capsys.readouterr()
    run(database, "platforms", "list")
    assert "0 đăng ký" in capsys.readouterr().out


def test_keys_cli_rotate_and_retire(database: Database, capsys: pytest.CaptureFixture[str]) -> None:
    """Rotation publishes the new key at once and the old one until its grace period ends."""
    first = database.transaction(keys.ensure_active_key, SECRET)
    assert run(database, "keys", "rotate", "--grace-hours", "0.0001") == 0
    published = [k["kid"] for k in database.transaction(keys.published_jwks)["keys"]]
    assert len(published) == 2 and first in published
    import time

    time.sleep(0.5)
    assert run(database, "keys", "rotate", "--grace-hours", "1") == 0
    listed = database.transaction(keys.list_keys)
    assert [k.status for k in listed] == ["active", "retiring", "retired"]
    assert first not in [k["kid"] for k in database.transaction(keys.published_jwks)["keys"]]


@pytest.fixture
def lti_app(app: FastAPI, settings: object) -> FastAPI:
    """The app with an admin token configured."""
    database: Database = app.state.database
    app.state.lti = LtiContext(
        database, LtiSettings(admin_token="t0ken"), "http://testserver", SECRET
    )
    return app


def test_jwks_and_admin_api(lti_app: FastAPI) -> None:
    """``/lti/jwks`` publishes public keys only; ``/api/lti`` manages registrations."""
    with TestClient(lti_app) as client:
        document = client.get("/lti/jwks")
        assert document.status_code == 200
        assert "max-age" in document.headers["cache-control"]
        [key] = document.json()["keys"]
        assert key["alg"] == "RS256" and key["use"] == "sig" and key["kid"]
        assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
        auth = {"Authorization": "Bearer t0ken"}
        body = {
            "issuer": "https://canvas.instructure.com",
            "client_id": "10000000000001",
            "auth_login_url": "https://sso.canvaslms.com/api/lti/authorize_redirect",
            "auth_token_url": "https://sso.canvaslms.com/login/oauth2/token",
            "key_set_url": "https://sso.canvaslms.com/api/lti/security/jwks",
            "deployment_ids": ["1:abc"],
        }
        created = client.post("/api/lti/platforms", json=body, headers=auth)
        assert created.status_code == 201, created.text
        platform_id = created.json()["id"]
        again = client.post("/api/lti/platforms", json=body, headers=auth)
        assert again.status_code == 400 and "error" in again.json()
        pending = client.post(
            f"/api/lti/platforms/{platform_id}/deployments",
            json={"deployment_id": "2:def", "status": "pending"},
            headers=auth,
        )
        assert [d["status"] for d in pending.json()["deployments"]] == ["active", "pending"]
        disabled = client.post(f"/api/lti/platforms/{platform_id}/disable", headers=auth)
        assert disabled.json()["status"] == "disabled"
        assert (
            client.post(f"/api/lti/platforms/{platform_id}/nope", headers=auth).status_code == 404
        )
        assert client.delete(f"/api/lti/platforms/{platform_id}", headers=auth).status_code == 204
        assert client.get("/api/lti/platforms", headers=auth).json() == []
