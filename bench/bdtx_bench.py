"""BDTX benchmark: ledger throughput and delivery throughput against the TEMIS simulator.

On a fresh database (PostgreSQL by default) it seeds the catalog, imports P teachers
with LMS accounts, and stores N statements straight into the learning store (in batches
of 500, the ledger's own batch size): per teacher, completed + passed for a few catalog
modules, plus noise the ledger must read and skip (``experienced``, other activities,
unknown actors) and a few voidings. Then:

1. **ledger**: ``ledger.consume`` in a loop until it has read the whole feed, timed:
   statements read per second, facts kept, credits written, deliveries queued;
2. **delivery**: ``gateway temis simulate`` as a separate process on 127.0.0.1, and W
   delivery loops (threads, each with its own HTTP connector and OAuth token, sharing
   the outbox with ``SKIP LOCKED``) until every ``temis.http`` row is delivered, timed.

    .venv/bin/python bench/bdtx_bench.py --statements 50000 --workers 1,4
    .venv/bin/python bench/bdtx_bench.py --database sqlite --statements 20000

Results go to ``bench/results/bdtx-<database>-<time>.json`` and a table is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from sqlalchemy import create_engine, func, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.bdtx import ledger, outbox  # noqa: E402
from gateway.bdtx.delivery import deliver_batch  # noqa: E402
from gateway.bdtx.models import Credit  # noqa: E402
from gateway.bdtx.people import PersonData, account_ifi, import_people  # noqa: E402
from gateway.bdtx.settings import BdtxSettings  # noqa: E402
from gateway.catalog.models import CatalogModule  # noqa: E402
from gateway.catalog.seed import ensure_seeded  # noqa: E402
from gateway.db import Database  # noqa: E402
from gateway.migrate import upgrade  # noqa: E402
from gateway.temis.http_connector import HttpConnector  # noqa: E402
from gateway.temis.settings import TemisSettings  # noqa: E402
from learning_store.statements import WriteContext, store_statements  # noqa: E402

GATEWAY = str(Path(sys.executable).parent / "gateway")
RESULTS = ROOT / "bench" / "results"
LMS = "https://lms.bench.example"
VERBS = {
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "experienced": "http://adlnet.gov/expapi/verbs/experienced",
    "voided": "http://adlnet.gov/expapi/verbs/voided",
}
CLIENT_ID, CLIENT_SECRET = "bench", "bench-secret"


def _statement(
    actor: dict[str, Any], verb: str, iri: str, when: str, **extra: Any
) -> dict[str, Any]:
    body = {
        "id": str(uuid.uuid4()),
        "actor": actor,
        "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
        "object": {"objectType": "Activity", "id": iri},
        "timestamp": when,
    }
    body.update(extra)
    return body


def make_statements(
    rng: random.Random, iris: list[str], people: int, total: int
) -> list[dict[str, Any]]:
    """About 40% credit-earning pairs, the rest noise; ~1% of passes voided later."""
    out: list[dict[str, Any]] = []
    passes: list[dict[str, Any]] = []
    while len(out) < total:
        i = rng.randrange(people)
        actor = {"objectType": "Agent", "account": {"homePage": LMS, "name": f"gv-{i:06d}"}}
        month = rng.choice(["2025-09", "2025-11", "2026-01", "2026-03", "2026-05", "2026-09"])
        when = f"{month}-{rng.randint(10, 28):02d}T09:{rng.randint(0, 59):02d}:00+07:00"
        roll = rng.random()
        if roll < 0.4:
            iri = rng.choice(iris)
            scaled = round(rng.uniform(0.3, 1.0), 2)
            passed = _statement(
                actor, "passed", iri, when, result={"score": {"scaled": scaled}, "success": True}
            )
            out += [_statement(actor, "completed", iri, when), passed]
            passes.append(passed)
        elif roll < 0.8:
            out.append(_statement(actor, "experienced", rng.choice(iris), when))
        elif roll < 0.95:
            out.append(
                _statement(
                    actor, "completed", f"https://lms.bench.example/x/{rng.randrange(500)}", when
                )
            )
        else:
            stranger = {"objectType": "Agent", "mbox": f"mailto:u{rng.randrange(10**6)}@x.vn"}
            out.append(_statement(stranger, "completed", rng.choice(iris), when))
    for target in rng.sample(passes, max(1, len(passes) // 100)):
        out.append(
            {
                "id": str(uuid.uuid4()),
                "actor": {"objectType": "Agent", "mbox": "mailto:admin@bench.example"},
                "verb": {"id": VERBS["voided"], "display": {"en-US": "voided"}},
                "object": {"objectType": "StatementRef", "id": target["id"]},
            }
        )
    return out


def fresh_database(kind: str, pg_base: str, tmp: Path) -> tuple[str, str | None]:
    """A migrated database URL and, for PostgreSQL, the database name to drop later."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
        upgrade(url)
        return url, None
    name = f"bdtx_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(pg_base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = f"{pg_base}/{name}"
    upgrade(url)
    return url, name


def drop_database(pg_base: str, name: str) -> None:
    """Remove the benchmark database."""
    admin = create_engine(pg_base + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def bench_ledger(database: Database, args: argparse.Namespace) -> dict[str, Any]:
    """Seed, store the feed, then time the ledger catching up."""
    rng = random.Random(args.seed)
    with database.sessions.begin() as session:
        ensure_seeded(session, activity_base="https://gw.bench.example/catalog/modules/")
    with database.sessions() as session:
        iris = list(session.scalars(select(CatalogModule.activity_id)))
    settings = BdtxSettings()
    rows = [
        (
            PersonData(f"B{i:06d}", f"Giáo viên {i}", "GV", "MN", f"S{i % 200:03d}"),
            [account_ifi(LMS, f"gv-{i:06d}")],
        )
        for i in range(args.people)
    ]
    started = time.perf_counter()
    for chunk in range(0, len(rows), 1000):
        with database.sessions.begin() as session:
            import_people(session, rows[chunk : chunk + 1000], settings)
    people_seconds = time.perf_counter() - started
    statements = make_statements(rng, iris, args.people, args.statements)
    context = WriteContext(
        authority={"objectType": "Agent", "mbox": "mailto:bench@bench.example"},
        client_id=None,
        version="1.0",
    )
    started = time.perf_counter()
    for chunk in range(0, len(statements), 500):
        with database.sessions.begin() as session:
            store_statements(session, statements[chunk : chunk + 500], context)
    store_seconds = time.perf_counter() - started

    started = time.perf_counter()
    read = facts = changed = batches = 0
    while True:
        with database.sessions.begin() as session:
            result = ledger.consume(session, settings)
        if result.read == 0:
            break
        batches += 1
        read += result.read
        facts += result.facts
        changed += result.changed
    seconds = time.perf_counter() - started
    with database.sessions() as session:
        credits = dict(
            session.execute(select(Credit.status, func.count()).group_by(Credit.status)).all()
        )
        queued = outbox.status_counts(session)
    return {
        "people": args.people,
        "people_import_seconds": round(people_seconds, 2),
        "statements": len(statements),
        "store_seconds": round(store_seconds, 2),
        "ledger_seconds": round(seconds, 2),
        "ledger_statements_per_second": round(read / seconds, 1),
        "batches": batches,
        "facts": facts,
        "credit_changes": changed,
        "credits": credits,
        "queued": {f"{k}/{s}": n for (k, s), n in queued.items()},
    }


def bench_delivery(database: Database, workers: int, port: int, tmp: Path) -> dict[str, Any]:
    """Deliver every queued temis.http row to a simulator process with ``workers`` loops."""
    with database.sessions.begin() as session:
        session.execute(
            text(
                "UPDATE bdtx_outbox SET status = 'pending', attempts = 0, delivered_at = NULL, "
                "next_attempt_at = created_at WHERE kind = 'temis.http'"
            )
        )
        total = session.scalar(text("SELECT count(*) FROM bdtx_outbox WHERE kind = 'temis.http'"))
    log = (tmp / f"simulator-{workers}.log").open("wb")
    simulator = subprocess.Popen(
        [GATEWAY, "temis", "simulate", "--port", str(port), "--client-id", CLIENT_ID,
         "--client-secret", CLIENT_SECRET],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(url + "/_sim/stats", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        settings = TemisSettings(
            http_url=url,
            token_url=url + "/oauth/token",
            client_id=CLIENT_ID,
            client_secret=SecretStr(CLIENT_SECRET),
            batch_size=50,
        )
        errors: list[BaseException] = []

        def loop() -> None:
            connector = HttpConnector(settings)
            try:
                while True:
                    result = deliver_batch(
                        database.sessions, "temis.http", connector.send, settings.retry_policy,
                        limit=settings.batch_size, lease_seconds=settings.lease_seconds,
                    )  # fmt: skip
                    if result.claimed == 0:
                        return
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                connector.close()

        started = time.perf_counter()
        threads = [threading.Thread(target=loop) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
        if errors:
            raise errors[0]
        stats = httpx.get(url + "/_sim/stats", timeout=5).json()
    finally:
        simulator.terminate()
        simulator.wait(10)
        log.close()
    with database.sessions() as session:
        delivered = outbox.status_counts(session).get(("temis.http", outbox.DELIVERED), 0)
    return {
        "workers": workers,
        "deliveries": total,
        "delivered": delivered,
        "seconds": round(seconds, 2),
        "deliveries_per_second": round(delivered / seconds, 1),
        "simulator_keys": stats["keys"],
        "max_stored_per_key": stats["max_stored_per_key"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--statements", type=int, default=50_000)
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--workers", default="1,4", help="comma-separated delivery loops")
    parser.add_argument("--port", type=int, default=8360)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--pg-base", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--out")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        url, name = fresh_database(args.database, args.pg_base, tmp)
        database = Database(url)
        try:
            ledger_result = bench_ledger(database, args)
            deliveries = [
                bench_delivery(database, int(w), args.port, tmp) for w in args.workers.split(",")
            ]
        finally:
            database.dispose()
            if name:
                drop_database(args.pg_base, name)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": args.database,
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, Python {platform.python_version()}",
        "ledger": ledger_result,
        "delivery": deliveries,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = (
        Path(args.out)
        if args.out
        else RESULTS / (f"bdtx-{args.database}-{datetime.now(UTC):%Y%m%dT%H%M%S}.json")
    )
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    lr = ledger_result
    print(f"| ledger | {lr['statements']} statements | {lr['ledger_seconds']} s | "
          f"{lr['ledger_statements_per_second']} statements/s | {lr['facts']} facts | "
          f"{lr['credit_changes']} credit changes |")  # fmt: skip
    for d in deliveries:
        print(f"| delivery | {d['workers']} loop(s) | {d['delivered']}/{d['deliveries']} | "
              f"{d['seconds']} s | {d['deliveries_per_second']} deliveries/s | "
              f"max stored per key {d['max_stored_per_key']} |")  # fmt: skip
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
