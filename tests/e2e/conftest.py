"""A real ``gateway serve`` process on a free loopback port, over a fresh database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import SUITE_KEY, SUITE_SECRET

GATEWAY = str(Path(sys.executable).parent / "gateway")


@dataclass(frozen=True)
class LiveServer:
    """Where the server listens and the credentials created for the test."""

    url: str
    key: str
    secret: str
    process: subprocess.Popen[bytes]

    @property
    def xapi(self) -> str:
        """The xAPI endpoint with its trailing slash, as clients are configured."""
        return self.url + "/xapi/"


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(database_url: str, log: Path) -> LiveServer:
    """Migrate, create credentials and start the server; wait until it is ready."""
    env = {**os.environ, "GATEWAY_DATABASE_URL": database_url, "GATEWAY_ENVIRONMENT": "test"}
    subprocess.run([GATEWAY, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [GATEWAY, "credentials", "create", "--name", "e2e", "--scope", "all",
         "--key", SUITE_KEY, "--secret", SUITE_SECRET],
        env=env, check=True, capture_output=True,
    )  # fmt: skip
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env["GATEWAY_PUBLIC_URL"] = url
    with log.open("wb") as handle:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [GATEWAY, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gateway serve exited: {log.read_text()}")
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return LiveServer(url, SUITE_KEY, SUITE_SECRET, process)
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"gateway serve did not become ready: {log.read_text()}")


@pytest.fixture
def live_server(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    """A running gateway; stopped after the test."""
    server = start_server(database_url, tmp_path / "server.log")
    yield server
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
