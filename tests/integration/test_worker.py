"""The worker loop: embedded in the web process, and its behaviour on failures."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.db import Database
from gateway.settings import Settings
from gateway.worker import Task, run_loop
from learning_store.clients import create_client, parse_scopes
from tests.conftest import SUITE_KEY, SUITE_SECRET, basic_auth
from tests.integration.bdtx_helpers import COMPLETED, PASSED, mbox, statement


def test_embedded_workers_consume_the_feed_and_stop_on_shutdown(database_url: str) -> None:
    """GATEWAY_EMBEDDED_WORKERS: the web process runs the ledger; shutdown stops the thread."""
    app = create_app(Settings(database_url=database_url, environment="test", embedded_workers=True))
    database: Database = app.state.database
    database.transaction(
        create_client, "t", parse_scopes("all"), key=SUITE_KEY, secret=SUITE_SECRET
    )
    headers = {
        "Authorization": basic_auth(SUITE_KEY, SUITE_SECRET),
        "X-Experience-API-Version": "1.0.3",
    }
    with TestClient(app) as client:
        workers = [t for t in threading.enumerate() if t.name == "gateway-worker"]
        assert len(workers) == 1
        iri = client.get("/api/catalog/modules/GVMN2").json()["activity_id"]
        sent = [
            statement(mbox("x"), COMPLETED, iri, "2025-10-01T09:00:00Z"),
            statement(mbox("x"), PASSED, iri, "2025-10-01T09:00:00Z", scaled=0.7),
        ]
        assert client.post("/xapi/statements", json=sent, headers=headers).status_code == 200
        deadline = time.monotonic() + 20
        status: dict[str, object] = {}
        while time.monotonic() < deadline:
            status = client.get("/api/bdtx/status", headers=headers).json()
            if status["lag"] == 0 and status["credits"]:
                break
            time.sleep(0.1)
        assert status["credits"] == {"pending": 1}
    assert not workers[0].is_alive()
    database.dispose()


def test_a_failing_task_does_not_stop_the_loop() -> None:
    """An error (database down, connector broken) is logged; the loop backs off and goes on."""
    stop = threading.Event()
    calls = {"bad": 0, "good": 0}

    def bad() -> int:
        calls["bad"] += 1
        raise RuntimeError("database is restarting")

    def good() -> int:
        calls["good"] += 1
        if calls["good"] >= 3:
            stop.set()
        return 0

    closed: list[str] = []
    tasks = [Task("bad", bad, lambda: closed.append("bad")), Task("good", good)]
    runner = threading.Thread(target=run_loop, args=(tasks, stop, 0.01))
    runner.start()
    runner.join(10)
    assert not runner.is_alive()
    assert calls["bad"] >= 2 and calls["good"] == 3
    assert closed == ["bad"]
