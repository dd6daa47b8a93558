"""LTI benchmark: launch validation time with cached platform keys, and launches per second.

Two measurements, both against the test platform of ``tests/e2e/lti_platform.py`` (its
own RSA key and JWKS, served on 127.0.0.1 in this process):

1. **Server time** (in process), with the platform's key set fetched once in a warm-up
   and then served from the cache; logins are issued before the clock starts:

   * *validation*: ``FastAPIMessageLaunch.validate()`` — state and cookie, JWT format,
     registration lookup, RS256 signature with the cached key, every claim, nonce,
     deployment lookup, message claims (rolled back: nothing recorded);
   * *launch*: ``gateway.lti.flow.launch`` — consuming the login (its own commit), the
     validation, recording the launch, linking the learner's identity and the ledger's
     launch record (one more commit).
2. **Launches per second over HTTP**: ``gateway serve --workers 1`` in a subprocess; the
   bench first makes N OIDC logins (each launch needs its own single-use state), signs N
   id_tokens, then posts the N launches with C client threads and reports the rate and the
   client-side latency percentiles.

Everything talks to 127.0.0.1 only; every loop is bounded.

    .venv/bin/python bench/lti_bench.py --database sqlite --launches 2000
    .venv/bin/python bench/lti_bench.py --database postgresql --launches 2000
"""

from __future__ import annotations

import argparse
import json
import os
import platform as host
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.db import Database  # noqa: E402
from gateway.lti import flow  # noqa: E402
from gateway.lti.context import LtiContext  # noqa: E402
from gateway.lti.keys import ensure_active_key  # noqa: E402
from gateway.lti.launch_data_storage.db import DatabaseLaunchDataStorage  # noqa: E402
from gateway.lti.logins import Login, consume_login, issue_login  # noqa: E402
from gateway.lti.message_launch import FastAPIMessageLaunch  # noqa: E402
from gateway.lti.platforms import add_platform  # noqa: E402
from gateway.lti.request import FastAPIRequest  # noqa: E402
from gateway.lti.settings import LtiSettings  # noqa: E402
from gateway.lti.tool_config import DatabaseToolConf  # noqa: E402
from gateway.migrate import upgrade  # noqa: E402
from tests.e2e.lti_platform import (  # noqa: E402
    Browser,
    TestPlatform,
    ToolEndpoints,
    free_port,
    login,
    serve,
)

GATEWAY = str(Path(sys.executable).parent / "gateway")
SECRET = "bench-secret-" + uuid.uuid4().hex


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    """A migrated empty database: a SQLite file or a new PostgreSQL database."""
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="lti-bench-")
        url = f"sqlite:///{folder}/gateway.db"
        upgrade(url)
        try:
            yield url
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    admin = os.environ.get(
        "GATEWAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    name = f"lti_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    try:
        yield url
    finally:
        with engine.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def register(database: Database, lms: TestPlatform, tool_url: str) -> None:
    """The platform registered with the tool, its deployment active."""
    lms.tool = ToolEndpoints(
        tool_url + "/lti/login", tool_url + "/lti/launch", tool_url + "/lti/jwks", ""
    )
    database.transaction(
        lambda s: add_platform(
            s,
            issuer=lms.issuer,
            client_id=lms.client_id,
            auth_login_url=f"{lms.url}/auth",
            auth_token_url=f"{lms.url}/token",
            key_set_url=f"{lms.url}/jwks",
            deployment_ids=(lms.deployment_id,),
        )
    )
    database.transaction(ensure_active_key, SECRET)


def _stats(durations: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(durations, 50), 2),
        "p95_ms": round(percentile(durations, 95), 2),
        "p99_ms": round(percentile(durations, 99), 2),
        "mean_ms": round(statistics.fmean(durations), 2),
    }


def in_process(url: str, lms: TestPlatform, launches: int) -> dict[str, Any]:
    """Server time (ms) of the validation alone and of the whole launch, keys cached."""
    database = Database(url)
    tool_url = "http://127.0.0.1:9"  # never called: the tool itself is not served here
    register(database, lms, tool_url)
    context = LtiContext(database, LtiSettings(), tool_url, SECRET)
    fetches_before = lms.jwks_fetches

    def prepared(n: int) -> tuple[Login, FastAPIRequest]:
        login_row = database.transaction(
            lambda s: issue_login(s, 1, tool_url + "/lti/launch", None, 300)
        )
        token = lms.sign(lms.launch_claims(login_row.nonce, resource_link_id=f"link-{n % 50}"))
        request = FastAPIRequest(
            {"id_token": token, "state": login_row.state},
            {f"lti1p3-{login_row.state}": login_row.state},
            secure=False,
        )
        return login_row, request

    validation: list[float] = []
    for n in range(launches + 20):
        login_row, request = prepared(n)
        consumed = database.transaction(consume_login, login_row.state)
        with database.sessions() as session:
            started = time.perf_counter()
            FastAPIMessageLaunch(
                request,
                DatabaseToolConf(session),
                login=consumed,
                keysets=context.keysets,
                settings=context.settings,
                storage=DatabaseLaunchDataStorage(session),
                launch_id=f"bench-{n}",
            ).validate()
            elapsed = time.perf_counter() - started
            session.rollback()
        if n >= 20:  # warm-up: first key fetch, connection pool, caches
            validation.append(elapsed * 1000)
    whole: list[float] = []
    for n in range(launches + 20):
        _, request = prepared(n)
        started = time.perf_counter()
        outcome = flow.launch(context, request)
        elapsed = time.perf_counter() - started
        assert outcome.kind == "resource"
        if n >= 20:
            whole.append(elapsed * 1000)
    database.dispose()
    return {
        "launches": launches,
        "platform_jwks_fetches": lms.jwks_fetches - fetches_before,
        "validation": _stats(validation),
        "launch": _stats(whole),
        "launches_per_second_one_thread": round(1000 / statistics.fmean(whole), 1),
    }


def over_http(url: str, lms: TestPlatform, launches: int, concurrency: int) -> dict[str, Any]:
    """Launch POSTs per second against ``gateway serve`` (logins prepared first)."""
    port = free_port()
    tool_url = f"http://127.0.0.1:{port}"
    database = Database(url)
    register(database, lms, tool_url)
    database.dispose()
    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": url,
        "GATEWAY_PUBLIC_URL": tool_url,
        "GATEWAY_SECRET_KEY": SECRET,
        "GATEWAY_ENVIRONMENT": "test",
        "GATEWAY_EMBEDDED_WORKERS": "false",
        "GATEWAY_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(
        [GATEWAY, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(tool_url + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        prepared: list[tuple[dict[str, str], dict[str, str]]] = []
        browser = Browser()
        for n in range(launches + 10):
            auth = login(browser, lms, message=f"resource:link-{n % 50}")
            token = lms.sign(lms.launch_claims(auth.nonce, resource_link_id=f"link-{n % 50}"))
            cookie = {f"lti1p3-{auth.state}": auth.state}
            prepared.append(({"id_token": token, "state": auth.state}, cookie))
        browser.close()
        warm, timed = prepared[:10], prepared[10:]

        def post(item: tuple[dict[str, str], dict[str, str]], client: httpx.Client) -> float:
            form, cookie = item
            started = time.perf_counter()
            answer = client.post(
                tool_url + "/lti/launch",
                data=form,
                headers={"Cookie": "; ".join(f"{k}={v}" for k, v in cookie.items())},
            )
            elapsed = time.perf_counter() - started
            assert answer.status_code == 200, answer.text[:200]
            return elapsed * 1000

        with httpx.Client(timeout=30) as client:
            for item in warm:
                post(item, client)
        clients = [httpx.Client(timeout=30) for _ in range(concurrency)]
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            latencies = list(
                pool.map(
                    lambda pair: post(pair[1], clients[pair[0] % concurrency]), enumerate(timed)
                )
            )
        wall = time.perf_counter() - started
        for client in clients:
            client.close()
    finally:
        process.terminate()
        process.wait(timeout=10)
    return {
        "launches": len(timed),
        "concurrency": concurrency,
        "launches_per_second": round(len(timed) / wall, 1),
        "client_p50_ms": round(percentile(latencies, 50), 2),
        "client_p95_ms": round(percentile(latencies, 95), 2),
    }


def main() -> int:
    """Run both measurements and write ``bench/results/lti-<database>-<time>.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--launches", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    results: dict[str, Any] = {
        "database": args.database,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{host.machine()} · {os.cpu_count()} cores · Python {host.python_version()}",
    }
    lms = TestPlatform()
    with serve(lms.app, lms.port):
        with fresh_database(args.database) as url:
            results["server_time"] = in_process(url, lms, args.launches)
        lms.client_id = "bench-http-" + uuid.uuid4().hex[:6]
        with fresh_database(args.database) as url:
            results["http"] = over_http(url, lms, args.launches, args.concurrency)
    out = ROOT / "bench" / "results" / f"lti-{args.database}-{int(time.time())}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    s, h = results["server_time"], results["http"]
    v, w = s["validation"], s["launch"]
    row = (
        args.database, v["p50_ms"], v["p95_ms"], w["p50_ms"], w["p95_ms"],
        s["launches_per_second_one_thread"], f"{h['launches_per_second']} (c={h['concurrency']})",
        h["client_p95_ms"], s["platform_jwks_fetches"],
    )  # fmt: skip
    print("| " + " | ".join(str(v) for v in row) + " |")
    print(f"written to {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
