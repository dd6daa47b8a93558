"""The ``gateway`` console script, run as a user runs it (a real process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

GATEWAY = str(Path(sys.executable).parent / "gateway")


def _run(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GATEWAY_DATABASE_URL": database_url}
    return subprocess.run([GATEWAY, *args], env=env, capture_output=True, text=True, timeout=60)


def test_credentials_create_list_revoke(database_url: str) -> None:
    """``gateway credentials create`` prints a key and secret that authenticate."""
    created = _run(database_url, "credentials", "create", "--name", "Moodle Sở", "--scope",
                   "statements/write,statements/read/mine")  # fmt: skip
    assert created.returncode == 0, created.stderr
    fields = dict(
        line.split(":", 1)
        for line in created.stdout.splitlines()
        if line.startswith(("key", "secret"))
    )
    key, secret = fields["key"].strip(), fields["secret"].strip()
    assert len(secret) >= 32

    listed = _run(database_url, "credentials", "list")
    assert key in listed.stdout and "statements/read/mine" in listed.stdout
    assert secret not in listed.stdout

    from gateway.db import Database
    from learning_store.clients import authenticate

    database = Database(database_url)
    try:
        identity = database.transaction(authenticate, key, secret)
        assert identity is not None and identity.allows("statements/write")
        assert not identity.allows("state")
        assert _run(database_url, "credentials", "revoke", key).returncode == 0
        assert database.transaction(authenticate, key, secret) is None
    finally:
        database.dispose()


def test_credentials_create_refuses_unknown_scope_and_duplicate_key(database_url: str) -> None:
    """Bad input names the field and stores nothing."""
    bad = _run(database_url, "credentials", "create", "--name", "x", "--scope", "everything")
    assert bad.returncode == 2
    assert "scope" in bad.stderr and "everything" in bad.stderr
    assert _run(database_url, "credentials", "list").stdout == ""
    first = _run(database_url, "credentials", "create", "--name", "a", "--key", "k1")
    assert first.returncode == 0
    second = _run(database_url, "credentials", "create", "--name", "b", "--key", "k1")
    assert second.returncode == 2 and "key" in second.stderr


@pytest.mark.e2e
def test_db_upgrade_on_a_new_sqlite_file_then_serve(tmp_path: Path) -> None:
    """The quick start: ``gateway db upgrade`` creates the file; the server is ready."""
    from tests.e2e.conftest import start_server

    url = f"sqlite:///{tmp_path}/fresh.db"
    upgraded = _run(url, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert (tmp_path / "fresh.db").exists()
    server = start_server(url, tmp_path / "server.log")
    try:
        assert httpx.get(server.url + "/readyz").json()["status"] == "ok"
        modules = httpx.get(server.url + "/api/catalog/modules").json()
        assert len(modules["modules"]) == 12
    finally:
        server.process.terminate()
        server.process.wait(timeout=10)
