"""LRS benchmark: statement ingestion and statement queries over real HTTP.

Creates a fresh database (SQLite file or PostgreSQL database), migrates it, creates
credentials, starts ``gateway serve --workers 1`` on 127.0.0.1, then for each requested
client concurrency (a fresh database each time, so every run ingests into the same
empty store):

1. baselines with the same HTTP client: ``GET /healthz`` (no auth, no database),
   ``GET /xapi/statements?statementId=<unknown>`` (auth + one indexed lookup, 404) and
   ``POST /xapi/statements`` of an invalid 100-statement batch (HTTP, body, JSON decode
   and auth; validation refuses statement 0) at the ingest concurrency;
2. ingestion of N distinct statements in batches of 100 (50 actors, 5 ADL verbs,
   12 activities with vi-VN/en-US definitions, results and contexts on some);
3. the query mix, one client, each kind many times in a shuffled order:
   agent+verb, activity and since, each with ``limit=25`` and with no limit (the
   server's page cap, ``GATEWAY_MAX_QUERY_LIMIT``, 500 by default).

Everything talks to 127.0.0.1 only and every loop is bounded. Results go to
``bench/results/lrs-<database>-<time>.json`` and a markdown table is printed.

    .venv/bin/python bench/lrs_bench.py --database sqlite --statements 100000
    .venv/bin/python bench/lrs_bench.py --database postgresql --statements 100000
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
GATEWAY = str(VENV_BIN / "gateway")
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
PORTS = range(8150, 8160)
KEY, SECRET = "bench", "benchsecret"
XAPI_HEADERS = {"X-Experience-API-Version": "1.0.3", "Content-Type": "application/json"}
BATCH = 100

# --------------------------------------------------------------------------- data

ACTORS = 50
VERBS = [
    # (id, en-US, vi-VN, weight)
    ("http://adlnet.gov/expapi/verbs/experienced", "experienced", "đã xem", 5),
    ("http://adlnet.gov/expapi/verbs/attempted", "attempted", "đã thử", 2),
    ("http://adlnet.gov/expapi/verbs/answered", "answered", "đã trả lời", 4),
    ("http://adlnet.gov/expapi/verbs/completed", "completed", "đã hoàn thành", 2),
    ("http://adlnet.gov/expapi/verbs/passed", "passed", "đã đạt", 1),
]
SCORED_VERBS = {
    "http://adlnet.gov/expapi/verbs/answered",
    "http://adlnet.gov/expapi/verbs/completed",
    "http://adlnet.gov/expapi/verbs/passed",
}
MODULES = [
    ("Giáo dục STEM trong trường trung học", "STEM education in secondary schools"),
    ("Đánh giá học sinh theo hướng phát triển năng lực", "Competency-based assessment"),
    ("Chuyển đổi số trong dạy học", "Digital transformation in teaching"),
    ("Tư vấn tâm lý học đường", "School counselling"),
    ("Xây dựng kế hoạch bài dạy", "Lesson planning"),
    ("Dạy học tích hợp liên môn", "Integrated interdisciplinary teaching"),
    ("Giáo dục kỹ năng sống", "Life skills education"),
    ("Phương pháp dạy học tích cực", "Active teaching methods"),
    ("An toàn thông tin cho giáo viên", "Information security for teachers"),
    ("Giáo dục hòa nhập", "Inclusive education"),
    ("Sinh hoạt chuyên môn theo nghiên cứu bài học", "Lesson study professional groups"),
    ("Quản lý lớp học hiệu quả", "Effective classroom management"),
]
ACTIVITY_BASE = "https://bdtx.temis.example.vn/xapi/activities/module/"
COURSE = {
    "id": "https://bdtx.temis.example.vn/xapi/activities/course/bdtx-2026",
    "objectType": "Activity",
    "definition": {
        "type": "http://adlnet.gov/expapi/activities/course",
        "name": {"vi-VN": "Bồi dưỡng thường xuyên 2026", "en-US": "Continuous PD 2026"},
    },
}


def activity_iri(index: int) -> str:
    return f"{ACTIVITY_BASE}{index + 1:02d}"


def actor_mbox(index: int) -> str:
    return f"mailto:gv{index + 1:02d}@thcs-nguyendu.edu.vn"


def _activity(index: int) -> dict[str, Any]:
    name_vi, name_en = MODULES[index]
    kind = "assessment" if index % 4 == 3 else "module"
    return {
        "objectType": "Activity",
        "id": activity_iri(index),
        "definition": {
            "type": f"http://adlnet.gov/expapi/activities/{kind}",
            "name": {"vi-VN": f"Mô-đun {index + 1}: {name_vi}", "en-US": name_en},
            "description": {
                "vi-VN": f"Mô-đun bồi dưỡng thường xuyên về {name_vi.lower()}.",
                "en-US": f"Continuous professional development module on {name_en.lower()}.",
            },
        },
    }


def make_statements(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` distinct, valid statements; deterministic for a seed."""
    rng = random.Random(seed)
    activities = [_activity(i) for i in range(len(MODULES))]
    verbs = [(v[0], {"en-US": v[1], "vi-VN": v[2]}) for v in VERBS]
    weights = [v[3] for v in VERBS]
    start = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    statements: list[dict[str, Any]] = []
    for n in range(count):
        actor_index = rng.randrange(ACTORS)
        module = rng.randrange(len(MODULES))
        verb_id, display = rng.choices(verbs, weights)[0]
        moment = start + timedelta(seconds=n * 7 + rng.randrange(7))
        statement: dict[str, Any] = {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "actor": {
                "objectType": "Agent",
                "name": f"Giáo viên {actor_index + 1:02d}",
                "mbox": actor_mbox(actor_index),
            },
            "verb": {"id": verb_id, "display": display},
            "object": activities[module],
            "timestamp": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        if verb_id in SCORED_VERBS and rng.random() < 0.8:
            raw = rng.randrange(11)
            statement["result"] = {
                "score": {"scaled": raw / 10, "raw": raw, "min": 0, "max": 10},
                "success": raw >= 5,
                "completion": verb_id != "http://adlnet.gov/expapi/verbs/answered",
                "duration": f"PT{rng.randrange(1, 50)}M{rng.randrange(60)}S",
            }
        if rng.random() < 0.7:
            registration = uuid.uuid5(uuid.NAMESPACE_URL, f"{actor_index}/{module}")
            context: dict[str, Any] = {
                "registration": str(registration),
                "platform": "Moodle 4.3",
                "language": "vi-VN",
            }
            if rng.random() < 0.6:
                context["contextActivities"] = {"grouping": [COURSE]}
            statement["context"] = context
        statements.append(statement)
    return statements


def encode_batches(statements: list[dict[str, Any]]) -> list[bytes]:
    return [
        json.dumps(statements[i : i + BATCH], ensure_ascii=False).encode()
        for i in range(0, len(statements), BATCH)
    ]


# --------------------------------------------------------------------------- stats


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "max_ms": round(max(ms), 3) if ms else float("nan"),
    }


# --------------------------------------------------------------------------- database


@dataclass
class Store:
    kind: str
    url: str
    cleanup: Callable[[], None]
    describe: dict[str, Any] = field(default_factory=dict)


def _pg_admin(base: str, sql: str) -> Any:
    import psycopg

    with psycopg.connect(f"{base}/test", autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def _pg_admin_url(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(
        url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as c:
        c.execute(sql)


def fresh_store(kind: str, pg_base: str, tag: str) -> Store:
    if kind == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="lrs_bench_"))
        path = directory / "bench.db"
        return Store(
            kind,
            f"sqlite:///{path}",
            lambda: shutil.rmtree(directory, ignore_errors=True),
            {"path": str(path)},
        )
    name = f"lrs_bench_{os.getpid()}_{tag}"
    _pg_admin(pg_base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    _pg_admin(pg_base, f"CREATE DATABASE {name}")

    def drop() -> None:
        _pg_admin(pg_base, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return Store(kind, f"{pg_base.replace('postgresql://', 'postgresql+psycopg://')}/{name}", drop)


def store_size(store: Store) -> dict[str, Any]:
    if store.kind == "sqlite":
        path = Path(store.describe["path"])
        files = [path, path.with_name(path.name + "-wal")]
        return {"bytes": sum(f.stat().st_size for f in files if f.exists())}
    import psycopg

    url = store.url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        count = conn.execute("SELECT count(*) FROM xapi_statement").fetchone()
    return {"bytes": size[0] if size else None, "statements": count[0] if count else None}


def gateway_cmd(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run([GATEWAY, *args], env=env, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"gateway {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


# --------------------------------------------------------------------------- server


@contextmanager
def running_server(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [GATEWAY, "serve", "--host", HOST, "--port", str(port), "--workers", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 90
            with httpx.Client(base_url=f"http://{HOST}:{port}", trust_env=False) as client:
                while True:
                    if proc.poll() is not None:
                        raise RuntimeError(f"server exited:\n{log.read_text()[-3000:]}")
                    try:
                        if client.get("/readyz", timeout=2).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"server not ready:\n{log.read_text()[-3000:]}")
                    time.sleep(0.2)
            yield proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
                try:
                    proc.wait(20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)


@contextmanager
def profiled(pid: int, out: Path | None) -> Iterator[None]:
    """py-spy record (raw collapsed stacks) of the server while the block runs."""
    if out is None:
        yield
        return
    spy = subprocess.Popen(
        [
            str(VENV_BIN / "py-spy"),
            "record",
            "--pid",
            str(pid),
            "--rate",
            "250",
            "--format",
            "raw",
            "--nonblocking",
            "-o",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(1.0)
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        try:
            spy.wait(30)
        except subprocess.TimeoutExpired:
            spy.kill()


# --------------------------------------------------------------------------- clients


def new_client(port: int) -> httpx.Client:
    return httpx.Client(
        base_url=f"http://{HOST}:{port}",
        auth=(KEY, SECRET),
        headers=XAPI_HEADERS,
        timeout=120,
        trust_env=False,
    )


def run_pool(
    port: int, concurrency: int, jobs: list[Any], call: Callable[[httpx.Client, Any], None]
) -> tuple[float, list[float]]:
    """Run ``call(client, job)`` for every job on ``concurrency`` threads; wall time and
    per-job latencies (seconds). Each thread has its own keep-alive connection."""
    latencies: list[float] = [0.0] * len(jobs)
    lock = threading.Lock()
    position = iter(range(len(jobs)))
    errors: list[BaseException] = []

    def worker() -> None:
        with new_client(port) as client:
            while not errors:
                with lock:
                    index = next(position, None)
                if index is None:
                    return
                started = time.perf_counter()
                try:
                    call(client, jobs[index])
                except BaseException as exc:
                    errors.append(exc)
                    return
                latencies[index] = time.perf_counter() - started

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    return wall, latencies


def baselines(port: int, concurrency: int, invalid_batch: bytes, rounds: int) -> dict[str, Any]:
    def healthz(client: httpx.Client, _: Any) -> None:
        assert client.get("/healthz").status_code == 200

    unknown = str(uuid.UUID(int=12345, version=4))

    def not_found(client: httpx.Client, _: Any) -> None:
        response = client.get("/xapi/statements", params={"statementId": unknown})
        assert response.status_code == 404, response.text

    def invalid(client: httpx.Client, _: Any) -> None:
        response = client.post("/xapi/statements", content=invalid_batch)
        assert response.status_code == 400, response.text

    out: dict[str, Any] = {}
    for name, call, conc in (
        ("healthz", healthz, 1),
        ("get_unknown_statement", not_found, 1),
        ("post_invalid_batch", invalid, concurrency),
    ):
        run_pool(port, conc, list(range(20)), call)  # warm-up
        wall, lat = run_pool(port, conc, list(range(rounds)), call)
        out[name] = {"concurrency": conc, "requests_per_s": round(rounds / wall, 1)}
        out[name].update(summary_ms(lat))
    return out


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of one process (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_pids(database: str | None) -> dict[str, list[int]]:
    """Backends of our database, and PostgreSQL's shared background processes."""
    found: dict[str, list[int]] = {"backends": [], "background": []}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if database and f" {database} " in cmdline:
            found["backends"].append(int(entry.name))
        elif any(p in cmdline for p in ("walwriter", "checkpointer", "background writer")):
            found["background"].append(int(entry.name))
    return found


class CpuMeter:
    """CPU seconds spent by the client, the server and (PostgreSQL) the database."""

    def __init__(self, server_pid: int, database: str | None) -> None:
        self.server_pid = server_pid
        self.database = database

    def sample(self) -> dict[str, float]:
        usage = os.times()
        out = {
            "client": usage.user + usage.system,
            "server": _proc_cpu(self.server_pid),
        }
        if self.database:
            pids = _postgres_pids(self.database)
            out["db_backends"] = sum(_proc_cpu(pid) for pid in pids["backends"])
            out["db_background_shared"] = sum(_proc_cpu(pid) for pid in pids["background"])
        return out

    @staticmethod
    def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {k: round(after[k] - before[k], 2) for k in before}


def ingest(port: int, concurrency: int, batches: list[bytes], meter: CpuMeter) -> dict[str, Any]:
    done_at: list[float] = [0.0] * len(batches)

    def post(client: httpx.Client, index: int) -> None:
        response = client.post("/xapi/statements", content=batches[index])
        if response.status_code != 200:
            raise RuntimeError(f"batch {index}: {response.status_code} {response.text[:500]}")
        done_at[index] = time.perf_counter()

    cpu_before = meter.sample()
    started = time.perf_counter()
    wall, lat = run_pool(port, concurrency, list(range(len(batches))), post)
    cpu = CpuMeter.delta(cpu_before, meter.sample())
    count = len(batches) * BATCH
    finished = sorted(done_at)
    middle = time.time() - (time.perf_counter() - finished[len(finished) // 2])
    result: dict[str, Any] = {
        "concurrency": concurrency,
        "statements": count,
        "seconds": round(wall, 2),
        "statements_per_s": round(count / wall, 1),
        "batch_latency": summary_ms(lat),
        "middle_time": datetime.fromtimestamp(middle, UTC).isoformat(timespec="milliseconds"),
        "cpu_seconds": cpu,
        "cpu_ms_per_batch": {k: round(v * 1000 / len(batches), 2) for k, v in cpu.items()},
    }
    # Throughput over each tenth of the batches, in completion order: does it degrade as
    # the tables grow?
    tenth = max(1, len(finished) // 10)
    marks = [started, *finished[tenth - 1 :: tenth]]
    result["statements_per_s_by_tenth"] = [
        round(tenth * BATCH / (b - a), 1) for a, b in itertools.pairwise(marks)
    ]
    return result


QUERY_KINDS = (
    "agent_verb_limit25",
    "agent_verb_default",
    "activity_limit25",
    "activity_default",
    "since_limit25",
    "since_default",
)


def query_params(kind: str, rng: random.Random, since: str) -> dict[str, str]:
    params: dict[str, str] = {}
    if kind.startswith("agent_verb"):
        agent = {"objectType": "Agent", "mbox": actor_mbox(rng.randrange(ACTORS))}
        params["agent"] = json.dumps(agent, separators=(",", ":"))
        params["verb"] = rng.choice(VERBS)[0]
    elif kind.startswith("activity"):
        params["activity"] = activity_iri(rng.randrange(len(MODULES)))
    else:
        params["since"] = since
    if kind.endswith("limit25"):
        params["limit"] = "25"
    return params


def queries(port: int, rounds: int, since: str, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    schedule = [kind for kind in QUERY_KINDS for _ in range(rounds)]
    rng.shuffle(schedule)
    jobs = [(kind, query_params(kind, rng, since)) for kind in schedule]
    returned: dict[str, list[int]] = {kind: [] for kind in QUERY_KINDS}

    def get(client: httpx.Client, job: tuple[str, dict[str, str]]) -> None:
        kind, params = job
        query = "&".join(f"{k}={quote(v, safe='')}" for k, v in params.items())
        response = client.get(f"/xapi/statements?{query}")
        if response.status_code != 200:
            raise RuntimeError(f"{kind} {params}: {response.status_code} {response.text[:300]}")
        returned[kind].append(len(response.json()["statements"]))

    warm = [(kind, query_params(kind, rng, since)) for kind in QUERY_KINDS for _ in range(5)]
    run_pool(port, 1, warm, get)
    for kind in QUERY_KINDS:
        returned[kind].clear()
    _, lat = run_pool(port, 1, jobs, get)
    out: dict[str, Any] = {}
    for kind in QUERY_KINDS:
        kind_lat = [t for (k, _), t in zip(jobs, lat, strict=True) if k == kind]
        out[kind] = summary_ms(kind_lat)
        out[kind]["statements_returned_median"] = percentile([float(n) for n in returned[kind]], 50)
    return out


# --------------------------------------------------------------------------- machine


def machine(store_kind: str, pg_base: str) -> dict[str, Any]:
    import sqlite3
    from importlib.metadata import version

    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "packages": {
            p: version(p)
            for p in ("fastapi", "starlette", "uvicorn", "sqlalchemy", "psycopg", "httpx")
        },
    }
    try:
        cpu = Path("/proc/cpuinfo").read_text()
        info["cpu"] = next(
            line.split(":", 1)[1].strip() for line in cpu.splitlines() if "model name" in line
        )
    except (OSError, StopIteration):
        pass
    if store_kind == "postgresql":
        info["postgresql"] = _pg_admin(pg_base, "SHOW server_version")[0][0]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        info["git"] = head + ("+dirty" if dirty else "")
    except OSError:
        pass
    return info


# --------------------------------------------------------------------------- main


def run(args: argparse.Namespace) -> dict[str, Any]:
    concurrencies = [int(c) for c in args.concurrency.split(",")]
    statements = make_statements(args.statements, args.seed)
    batches = encode_batches(statements)
    invalid = [dict(s) for s in statements[:BATCH]]
    del invalid[0]["verb"]
    invalid_batch = json.dumps(invalid, ensure_ascii=False).encode()
    report: dict[str, Any] = {
        "database": args.database,
        "command": " ".join(
            ([f"PYTHONPATH={os.environ['PYTHONPATH']}"] if os.environ.get("PYTHONPATH") else [])
            + [".venv/bin/python", "bench/lrs_bench.py", *sys.argv[1:]]
        ),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(args.database, args.pg_base),
        "workload": {
            "statements": len(batches) * BATCH,
            "batch": BATCH,
            "actors": ACTORS,
            "verbs": len(VERBS),
            "activities": len(MODULES),
            "mean_statement_bytes": round(sum(map(len, batches)) / (len(batches) * BATCH)),
            "server_workers": 1,
            "query_rounds_per_kind": args.query_rounds,
            "query_concurrency": 1,
            "embedded_workers": not args.no_embedded_workers,
        },
        "runs": [],
    }
    profile_dir = Path(args.profile_dir) if args.profile_dir else None
    if profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
    for concurrency in concurrencies:
        store = fresh_store(args.database, args.pg_base, f"c{concurrency}")
        env = {
            **os.environ,
            "GATEWAY_DATABASE_URL": store.url,
            "GATEWAY_LOG_LEVEL": args.log_level,
            # The default single-node set-up also runs the BDTX ledger and outbox workers
            # in the web process; they read every stored statement from the feed.
            "GATEWAY_EMBEDDED_WORKERS": "false" if args.no_embedded_workers else "true",
        }
        log = Path(tempfile.gettempdir()) / f"lrs_bench_{args.database}_c{concurrency}.log"
        try:
            gateway_cmd(["db", "upgrade"], env)
            gateway_cmd(
                [
                    "credentials",
                    "create",
                    "--name",
                    "bench",
                    "--scope",
                    "all",
                    "--key",
                    KEY,
                    "--secret",
                    SECRET,
                ],
                env,
            )
            with running_server(env, args.port, log) as server:
                print(f"[{args.database} c={concurrency}] server pid {server.pid}", flush=True)
                result: dict[str, Any] = {"concurrency": concurrency}
                result["loadavg_before"] = [round(x, 2) for x in os.getloadavg()]
                result["baseline"] = baselines(
                    args.port, concurrency, invalid_batch, args.baseline_rounds
                )
                print(f"  baseline {json.dumps(result['baseline'])}", flush=True)
                spy = (
                    profile_dir / f"{args.database}_c{concurrency}_ingest.txt"
                    if profile_dir
                    else None
                )
                db_name = store.url.rsplit("/", 1)[1] if store.kind == "postgresql" else None
                meter = CpuMeter(server.pid, db_name)
                with profiled(server.pid, spy):
                    result["ingest"] = ingest(args.port, concurrency, batches, meter)
                print(f"  ingest {json.dumps(result['ingest'])}", flush=True)
                if store.kind == "postgresql" and not args.no_analyze:
                    # This server runs with autovacuum off; ANALYZE as autovacuum would.
                    _pg_admin_url(store.url, "ANALYZE")
                result["analyzed"] = store.kind == "postgresql" and not args.no_analyze
                result["store"] = store_size(store)
                since = result["ingest"]["middle_time"]
                spy = (
                    profile_dir / f"{args.database}_c{concurrency}_query.txt"
                    if profile_dir
                    else None
                )
                with profiled(server.pid, spy):
                    result["queries"] = queries(args.port, args.query_rounds, since, args.seed)
                result["queries_since"] = since
                print(f"  queries {json.dumps(result['queries'])}", flush=True)
                result["baseline_after"] = baselines(
                    args.port, concurrency, invalid_batch, args.baseline_rounds
                )
                result["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
            report["runs"].append(result)
        finally:
            if not args.keep_database:
                store.cleanup()
            else:
                print(f"  kept database {store.url}")
    return report


def markdown(report: dict[str, Any]) -> str:
    db = report["database"]
    lines = [
        f"### {db}: {report['workload']['statements']} statements, 1 server worker, "
        f"embedded workers {'on' if report['workload']['embedded_workers'] else 'off'}",
        "",
        "| clients | ingest st/s | batch p50 ms | batch p95 ms | invalid-batch p50 ms "
        "| batch p50 / invalid p50 | healthz p50 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for run_ in report["runs"]:
        ing, base = run_["ingest"], run_["baseline"]
        inv = base["post_invalid_batch"]["p50_ms"]
        lines.append(
            f"| {run_['concurrency']} | {ing['statements_per_s']:.0f} "
            f"| {ing['batch_latency']['p50_ms']:.1f} | {ing['batch_latency']['p95_ms']:.1f} "
            f"| {inv:.1f} | {ing['batch_latency']['p50_ms'] / inv:.1f}x "
            f"| {base['healthz']['p50_ms']:.2f} |"
        )
    lines += [
        "",
        "| query (1 client) | run | p50 ms | p95 ms | p99 ms | returned "
        "| p50 / unknown-id GET p50 |",
        "|---|---|---|---|---|---|---|",
    ]
    for run_ in report["runs"]:
        ref = run_["baseline"]["get_unknown_statement"]["p50_ms"]
        for kind, q in run_["queries"].items():
            lines.append(
                f"| {kind} | c{run_['concurrency']} | {q['p50_ms']:.2f} | {q['p95_ms']:.2f} "
                f"| {q['p99_ms']:.2f} | {q['statements_returned_median']:.0f} "
                f"| {q['p50_ms'] / ref:.1f}x |"
            )
    lines += [
        "",
        "| baseline (1 client) | run | p50 ms | p95 ms |",
        "|---|---|---|---|",
    ]
    for run_ in report["runs"]:
        for name in ("healthz", "get_unknown_statement"):
            b = run_["baseline"][name]
            lines.append(
                f"| {name} | c{run_['concurrency']} | {b['p50_ms']:.2f} | {b['p95_ms']:.2f} |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), required=True)
    parser.add_argument("--statements", type=int, default=100_000)
    parser.add_argument("--port", type=int, default=8150)
    parser.add_argument("--concurrency", default="1,4", help="comma-separated client counts")
    parser.add_argument("--query-rounds", type=int, default=300, help="per query kind")
    parser.add_argument("--baseline-rounds", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--pg-base", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--log-level", default="info", help="server log level (info: access log on)"
    )
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument(
        "--no-embedded-workers",
        action="store_true",
        help="run the server without the in-process ledger/outbox workers (the LRS alone)",
    )
    parser.add_argument(
        "--no-analyze", action="store_true", help="PostgreSQL: skip ANALYZE after ingestion"
    )
    parser.add_argument(
        "--profile-dir", help="record py-spy raw stacks of the server here (slows it)"
    )
    parser.add_argument("--out", help="result file (default bench/results/lrs-<db>-<time>.json)")
    args = parser.parse_args()
    if args.port not in PORTS:
        parser.error(f"--port must be in {PORTS.start}-{PORTS.stop - 1}")
    if args.statements < BATCH or args.statements % BATCH:
        parser.error(f"--statements must be a positive multiple of {BATCH}")
    if "127.0.0.1" not in args.pg_base and "localhost" not in args.pg_base:
        parser.error("--pg-base must point at 127.0.0.1")
    report = run(args)
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = Path(args.out) if args.out else RESULTS / f"lrs-{args.database}-{stamp}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(markdown(report))
    print(f"\nresults: {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
