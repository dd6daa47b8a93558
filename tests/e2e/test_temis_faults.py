"""Delivery to TEMIS under faults, every part a separate process over real HTTP.

Issue #5, "Must show" 2: TEMIS fails for a while then recovers -> every credit arrives
exactly once; the worker is SIGKILLed mid-batch and restarted -> nothing lost or doubled;
the database drops the worker's connections -> the worker resumes. Expected idempotency
keys are written out by hand (person:module:year:source:revision).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from learning_store.database import make_engine
from tests.conftest import SUITE_KEY, SUITE_SECRET, _postgres_admin_url, basic_auth
from tests.e2e.temis_processes import (
    COMPLETED,
    PASSED,
    Gateway,
    Proc,
    Simulator,
    gateway_env,
    prepare_database,
    start_gateway,
    start_simulator,
    start_worker,
    statement,
    voiding,
    wait_for,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def processes() -> Iterator[list[Proc]]:
    """Processes a test started; all stopped afterwards."""
    started: list[Proc] = []
    yield started
    for proc in reversed(started):
        proc.stop()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A connection to the test database, to look at the outbox and the ledger."""
    db = make_engine(database_url)
    yield db
    db.dispose()


def key(i: int, module: str, revision: int = 1) -> str:
    """The idempotency key of teacher ``i``'s credit."""
    return f"0790{i:03d}:{module}:2025-2026:lms:r{revision}"


def finish(gateway: Gateway, i: int, module: str) -> list[dict[str, object]]:
    """Completed + passed (8/10) of teacher ``i`` on ``module``."""
    iri = gateway.iri(module)
    return [statement(f"gv-{i:03d}", COMPLETED, iri), statement(f"gv-{i:03d}", PASSED, iri, 0.8)]


def outbox_counts(engine: Engine) -> dict[str, int]:
    """temis.http deliveries per status."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT status, count(*) FROM bdtx_outbox WHERE kind = 'temis.http' GROUP BY status"
            )
        ).all()
    return {status: count for status, count in rows}


def credited(engine: Engine) -> int:
    """Credits standing."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM bdtx_credit WHERE status = 'credited'")
            ).scalar_one()
        )


def ledger_caught_up(gateway: Gateway) -> bool:
    """The ledger has read the whole feed."""
    status = httpx.get(
        gateway.url + "/api/bdtx/status",
        headers={"Authorization": basic_auth(SUITE_KEY, SUITE_SECRET)},
        timeout=5,
    ).json()
    return bool(status["lag"] == 0 and status["feed_head"] > 0)


def delivered_exactly(simulator: Simulator, expected: set[str]) -> bool:
    """The simulator holds exactly the expected keys."""
    return set(simulator.received()["keys"]) == expected


def test_temis_fails_for_a_while_then_recovers_and_every_credit_arrives_once(
    database_url: str, tmp_path: Path, processes: list[Proc], engine: Engine
) -> None:
    """5xx, dropped connections, timeouts, a revoked token, slow answers: exactly once."""
    simulator = start_simulator(
        tmp_path, "error:8:503", "drop:3", "timeout:2:2.5", "expire-token:1", "error:4:500",
        "slow:3:0.3",
    )  # fmt: skip
    processes.append(simulator.proc)
    env = gateway_env(database_url, simulator)
    prepare_database(env, tmp_path, people=20)
    gateway = start_gateway(env, tmp_path, embedded=True)
    processes.append(gateway.proc)

    first = [finish(gateway, i, "GVMN2") for i in range(20)]
    gateway.post([s for pair in first for s in pair])
    gateway.post([s for i in range(5) for s in finish(gateway, i, "GVMN7")])
    wait_for(lambda: ledger_caught_up(gateway), 30, "the ledger", [gateway.proc.log])
    gateway.post([voiding(first[0][1]), voiding(first[1][1])])  # two passes voided

    expected = (
        {key(i, "GVMN2") for i in range(20)}
        | {key(i, "GVMN7") for i in range(5)}
        | {key(0, "GVMN2", 2), key(1, "GVMN2", 2)}
    )
    assert len(expected) == 27
    wait_for(
        lambda: delivered_exactly(simulator, expected),
        120,
        "every delivery",
        [gateway.proc.log, simulator.proc.log],
    )
    received = simulator.received()
    assert set(received["times"].values()) == {1}, received["times"]
    stats = simulator.stats()
    assert stats["faults_left"] == 0
    for fault in ("error", "drop", "timeout", "expire-token", "slow"):
        assert stats["counters"][f"fault.{fault}"] > 0, stats
    assert stats["counters"]["tokens"] >= 2  # the revoked token was replaced
    withdrawn = {r["person"]["temis_id"] for r in simulator.results() if r["action"] == "withdraw"}
    assert withdrawn == {"0790000", "0790001"}
    wait_for(lambda: outbox_counts(engine) == {"delivered": 27}, 10, "the outbox to settle")


def test_a_worker_killed_mid_batch_and_restarted_loses_and_doubles_nothing(
    database_url: str, tmp_path: Path, processes: list[Proc], engine: Engine
) -> None:
    """SIGKILL of ``gateway worker`` mid-batch; a restart delivers the rest exactly once."""
    simulator = start_simulator(tmp_path, "slow:10000:0.05")
    processes.append(simulator.proc)
    env = gateway_env(database_url, simulator)
    prepare_database(env, tmp_path, people=60)
    gateway = start_gateway(env, tmp_path, embedded=False)
    processes.append(gateway.proc)
    gateway.post([s for i in range(60) for s in finish(gateway, i, "GVMN25")])

    worker = start_worker(env, tmp_path, "worker-1")
    processes.append(worker)
    wait_for(lambda: simulator.stats()["keys"] >= 12, 60, "some deliveries", [worker.log])
    worker.kill()
    at_kill = simulator.stats()["keys"]
    assert at_kill < 60
    counts = outbox_counts(engine)
    assert counts.get("in_flight", 0) > 0, counts  # killed holding a claimed batch

    restarted = start_worker(env, tmp_path, "worker-2")
    processes.append(restarted)
    expected = {key(i, "GVMN25") for i in range(60)}
    wait_for(lambda: delivered_exactly(simulator, expected), 90, "every delivery", [restarted.log])
    assert set(simulator.received()["times"].values()) == {1}
    assert credited(engine) == 60
    wait_for(lambda: outbox_counts(engine) == {"delivered": 60}, 10, "the outbox to settle")


def test_the_worker_resumes_after_the_database_drops_its_connections(
    database_url: str, tmp_path: Path, processes: list[Proc], engine: Engine
) -> None:
    """Database restart (connections terminated): the worker resumes; nothing lost or doubled."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server connections to drop")
    simulator = start_simulator(tmp_path, "slow:10000:0.03")
    processes.append(simulator.proc)
    env = gateway_env(database_url, simulator)
    prepare_database(env, tmp_path, people=40)
    gateway = start_gateway(env, tmp_path, embedded=False)
    processes.append(gateway.proc)
    gateway.post([s for i in range(20) for s in finish(gateway, i, "QLMN8")])
    worker = start_worker(env, tmp_path)
    processes.append(worker)
    wait_for(lambda: simulator.stats()["keys"] >= 5, 60, "some deliveries", [worker.log])

    # An outage of this database only (a server restart would disrupt other tests): refuse
    # new connections, drop every open one, stay down for two seconds, come back.
    name = make_url(database_url).database
    admin = create_engine(_postgres_admin_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
            dropped = connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = :name"
                ),
                {"name": name},
            ).scalar_one()
            assert dropped > 0
            time.sleep(2.0)
            down_at = simulator.stats()["keys"]
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
    finally:
        admin.dispose()
    assert down_at < 20
    # Statements stored after the outage must still reach the ledger and TEMIS.
    wait_for(lambda: httpx.get(gateway.url + "/readyz", timeout=2).status_code == 200, 30, "readyz")
    gateway.post([s for i in range(20, 40) for s in finish(gateway, i, "QLMN8")])
    expected = {key(i, "QLMN8") for i in range(40)}
    wait_for(lambda: delivered_exactly(simulator, expected), 90, "every delivery", [worker.log])
    assert set(simulator.received()["times"].values()) == {1}
    assert worker.process.poll() is None  # it resumed, it did not die
    assert "failed; backing off" in worker.log.read_text()  # and it did see the outage
