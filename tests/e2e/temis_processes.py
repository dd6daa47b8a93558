"""Processes for the delivery fault tests: a TEMIS simulator, the gateway, a worker.

Every process is a real ``gateway …`` command over real HTTP; the tests kill, restart and
cut them off from the database to show that nothing is lost or doubled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import SUITE_KEY, SUITE_SECRET, basic_auth
from tests.e2e.conftest import GATEWAY, free_port

CLIENT_ID = "gateway-e2e"
CLIENT_SECRET = "simulator-secret-e2e"
LMS = "https://lms.sogd-e2e.example"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
PASSED = "http://adlnet.gov/expapi/verbs/passed"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


@dataclass
class Proc:
    """A started process and its log."""

    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """SIGKILL: no cleanup, no goodbye."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def _start(args: list[str], env: dict[str, str], log: Path) -> Proc:
    with log.open("ab") as handle:
        process = subprocess.Popen(
            [GATEWAY, *args], env=env, stdout=handle, stderr=subprocess.STDOUT
        )
    return Proc(process, log)


def wait_for(
    check: Callable[[], bool], timeout: float, what: str, logs: Iterable[Path] = ()
) -> None:
    """Poll ``check`` until it holds; fail with the logs otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    tails = "\n".join(f"--- {p}\n{p.read_text(errors='replace')[-3000:]}" for p in logs)
    raise AssertionError(f"timed out waiting for {what}\n{tails}")


@dataclass
class Simulator:
    """A running ``gateway temis simulate``."""

    url: str
    proc: Proc

    def stats(self) -> dict[str, Any]:
        """Counters, keys stored, and the most times one key was stored."""
        result: dict[str, Any] = httpx.get(self.url + "/_sim/stats", timeout=5).json()
        return result

    def received(self) -> dict[str, Any]:
        """Every key stored and how many times."""
        result: dict[str, Any] = httpx.get(self.url + "/_sim/received", timeout=5).json()
        return result

    def results(self) -> list[dict[str, Any]]:
        """The highest revision of each result."""
        result: list[dict[str, Any]] = httpx.get(self.url + "/v1/bdtx/results", timeout=5).json()
        return result


def start_simulator(tmp: Path, *faults: str) -> Simulator:
    """A simulator on a free port with faults planned from the start."""
    port = free_port()
    args = ["temis", "simulate", "--port", str(port), "--client-id", CLIENT_ID,
            "--client-secret", CLIENT_SECRET, "--log", str(tmp / "temis.jsonl")]  # fmt: skip
    for fault in faults:
        args += ["--fail", fault]
    proc = _start(args, dict(os.environ), tmp / "simulator.log")
    simulator = Simulator(f"http://127.0.0.1:{port}", proc)
    wait_for(lambda: httpx.get(simulator.url + "/_sim/stats", timeout=1).status_code == 200,
             20, "the simulator", [proc.log])  # fmt: skip
    return simulator


def gateway_env(database_url: str, simulator: Simulator, **extra: str) -> dict[str, str]:
    """Environment of gateway processes delivering to the simulator, fast retries."""
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_ENVIRONMENT": "test",
        "GATEWAY_TEMIS_HTTP_URL": simulator.url,
        "GATEWAY_TEMIS_TOKEN_URL": simulator.url + "/oauth/token",
        "GATEWAY_TEMIS_CLIENT_ID": CLIENT_ID,
        "GATEWAY_TEMIS_CLIENT_SECRET": CLIENT_SECRET,
        "GATEWAY_TEMIS_TIMEOUT_SECONDS": "1.0",
        "GATEWAY_TEMIS_BACKOFF_BASE_SECONDS": "0.05",
        "GATEWAY_TEMIS_BACKOFF_MAX_SECONDS": "0.5",
        "GATEWAY_TEMIS_MAX_ATTEMPTS": "1000",
        "GATEWAY_TEMIS_LEASE_SECONDS": "3",
        "GATEWAY_TEMIS_BATCH_SIZE": "10",
        "GATEWAY_TEMIS_IDLE_SECONDS": "0.1",
        "GATEWAY_BDTX_BATCH_SIZE": "25",
    }
    env.update(extra)
    return env


@dataclass
class Gateway:
    """A running ``gateway serve`` (the LRS the statements go to)."""

    url: str
    proc: Proc

    def post(self, statements: list[dict[str, Any]]) -> None:
        """POST statements to the xAPI endpoint."""
        response = httpx.post(
            self.url + "/xapi/statements",
            json=statements,
            headers={
                "Authorization": basic_auth(SUITE_KEY, SUITE_SECRET),
                "X-Experience-API-Version": "1.0.3",
            },
            timeout=30,
        )
        assert response.status_code == 200, response.text

    def iri(self, key: str) -> str:
        """A catalog module's activity IRI."""
        body = httpx.get(f"{self.url}/api/catalog/modules/{key}", timeout=5).json()
        return str(body["activity_id"])


def prepare_database(env: dict[str, str], tmp: Path, people: int) -> None:
    """Migrate, create the test client, import ``people`` teachers with LMS accounts."""
    run = {"env": env, "check": True, "capture_output": True}
    subprocess.run([GATEWAY, "db", "upgrade"], **run)  # type: ignore[call-overload]
    subprocess.run(
        [GATEWAY, "credentials", "create", "--name", "e2e", "--scope", "all",
         "--key", SUITE_KEY, "--secret", SUITE_SECRET], **run,
    )  # type: ignore[call-overload]  # fmt: skip
    table = tmp / "people.csv"
    lines = ["Mã TEMIS,Họ và tên,Đối tượng,Cấp học,Mã trường,Tên trường,LMS,Tài khoản LMS"]
    lines += [
        f"0790{i:03d},Giáo viên {i},GV,MN,HN-MN-{i % 3},Trường MN số {i % 3},{LMS},gv-{i:03d}"
        for i in range(people)
    ]
    table.write_text("\n".join(lines) + "\n", encoding="utf-8")
    subprocess.run([GATEWAY, "people", "import", str(table)], **run)  # type: ignore[call-overload]


def start_gateway(env: dict[str, str], tmp: Path, embedded: bool) -> Gateway:
    """``gateway serve`` on a free port, with or without its embedded workers."""
    port = free_port()
    env = {**env, "GATEWAY_EMBEDDED_WORKERS": "true" if embedded else "false",
           "GATEWAY_PUBLIC_URL": f"http://127.0.0.1:{port}"}  # fmt: skip
    proc = _start(["serve", "--port", str(port)], env, tmp / "server.log")
    gateway = Gateway(f"http://127.0.0.1:{port}", proc)
    wait_for(lambda: httpx.get(gateway.url + "/readyz", timeout=1).status_code == 200,
             30, "the gateway", [proc.log])  # fmt: skip
    return gateway


def start_worker(env: dict[str, str], tmp: Path, name: str = "worker") -> Proc:
    """A ``gateway worker`` process."""
    return _start(["worker"], env, tmp / f"{name}.log")


def statement(sub: str, verb: str, iri: str, scaled: float | None = None) -> dict[str, Any]:
    """A statement of teacher ``sub`` on the LMS, in October 2025."""
    body: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": LMS, "name": sub}},
        "verb": {"id": verb, "display": {"vi-VN": verb.rsplit("/", 1)[-1]}},
        "object": {"objectType": "Activity", "id": iri},
        "timestamp": "2025-10-01T09:00:00+07:00",
    }
    if scaled is not None:
        body["result"] = {"score": {"scaled": scaled}, "success": True}
    return body


def voiding(target: dict[str, Any]) -> dict[str, Any]:
    """Void ``target``."""
    return {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": "mailto:admin@sogd.example"},
        "verb": {"id": VOIDED, "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": target["id"]},
    }
