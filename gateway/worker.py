"""The worker loop: the ledger consumer and the delivery consumers, one after the other.

``gateway worker`` runs it in its own process (scale-out: any number of them, claims use
``SKIP LOCKED`` on PostgreSQL and the ledger takes an advisory lock); by default the web
process runs it too, in a thread started by the app's lifespan
(``GATEWAY_EMBEDDED_WORKERS``), stopped and joined on shutdown.

Each task's ``step()`` does one bounded batch in its own transactions and returns how
much it did; the loop sleeps when a round did nothing. An error (the database restarting,
a connector misconfigured) is logged and the loop backs off, up to 5 s, then carries on:
whatever the failed step had claimed comes back when its lease ends.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gateway.bdtx import ledger
from gateway.bdtx.delivery import Sender, deliver_batch
from gateway.bdtx.settings import LTI_SCORE, TEMIS_HTTP, TEMIS_XAPI, BdtxSettings
from gateway.db import Database
from gateway.temis.errors import ConnectorConfigError
from gateway.temis.settings import TemisSettings

logger = logging.getLogger(__name__)

LEDGER = "ledger"
TASK_NAMES = (LEDGER, TEMIS_HTTP, TEMIS_XAPI, LTI_SCORE)
MAX_BACKOFF_SECONDS = 5.0


@dataclass
class Task:
    """One consumer: ``step()`` does a batch and returns how many items it handled."""

    name: str
    step: Callable[[], int]
    close: Callable[[], None] = lambda: None


def ledger_task(database: Database, settings: BdtxSettings) -> Task:
    """The ledger consumer of the statement feed."""

    def step() -> int:
        return database.transaction(ledger.consume, settings).read

    return Task(LEDGER, step)


def delivery_task(
    database: Database, kind: str, send: Sender, settings: TemisSettings, close: Callable[[], None]
) -> Task:
    """A consumer of one outbox kind through a connector's ``send``."""

    def step() -> int:
        result = deliver_batch(
            database.sessions,
            kind,
            send,
            settings.retry_policy,
            limit=settings.batch_size,
            lease_seconds=settings.lease_seconds,
        )
        return result.claimed

    return Task(kind, step, close)


def lti_task(database: Database, settings: TemisSettings) -> Task:
    """Grade passback, delivered by the LTI tool's consumer (``gateway.lti.scores``)."""
    from gateway.lti.scores import deliver_scores

    def step() -> int:
        report = deliver_scores(database, settings.batch_size, policy=settings.retry_policy)
        return report.delivered + report.retried + report.dead

    return Task(LTI_SCORE, step)


def build_tasks(
    database: Database,
    bdtx: BdtxSettings,
    temis: TemisSettings,
    only: Sequence[str] | None = None,
) -> list[Task]:
    """The tasks this process runs: the ledger, every queued delivery kind, LTI scores.

    A connector whose settings are missing is left out with a warning; its deliveries
    stay queued (``gateway temis status`` shows them) until a worker that has them runs.
    """
    wanted = set(only or (LEDGER, *bdtx.delivery_kinds, LTI_SCORE))
    unknown = wanted - set(TASK_NAMES)
    if unknown:
        raise ValueError(f"unknown worker tasks {sorted(unknown)}; known: {list(TASK_NAMES)}")
    tasks: list[Task] = []
    if LEDGER in wanted:
        tasks.append(ledger_task(database, bdtx))
    for kind in (TEMIS_HTTP, TEMIS_XAPI):
        if kind not in wanted:
            continue
        try:
            if kind == TEMIS_HTTP:
                from gateway.temis.http_connector import HttpConnector

                http = HttpConnector(temis)
                tasks.append(delivery_task(database, kind, http.send, temis, http.close))
            else:
                from gateway.temis.xapi_connector import XapiConnector

                xapi = XapiConnector(temis)
                tasks.append(delivery_task(database, kind, xapi.send, temis, xapi.close))
        except ConnectorConfigError as exc:
            logger.warning("%s deliveries wait: %s", kind, exc)
    if LTI_SCORE in wanted and bdtx.lti_passback:
        tasks.append(lti_task(database, temis))
    return tasks


def run_loop(tasks: Sequence[Task], stop: threading.Event, idle_seconds: float = 0.5) -> None:
    """Run the tasks round after round until ``stop`` is set."""
    failures = 0
    while not stop.is_set():
        done = 0
        failed = False
        for task in tasks:
            if stop.is_set():
                break
            try:
                done += task.step()
            except Exception:
                failed = True
                logger.exception("worker task %s failed; backing off", task.name)
        if failed:
            failures += 1
            stop.wait(min(MAX_BACKOFF_SECONDS, 0.2 * 2 ** min(failures, 5)))
        else:
            failures = 0
            if done == 0:
                stop.wait(idle_seconds)
    for task in tasks:
        try:
            task.close()
        except Exception:  # closing is best effort
            logger.exception("closing %s failed", task.name)


class EmbeddedWorkers:
    """The worker loop in a daemon thread of the web process."""

    def __init__(self, tasks: Sequence[Task], idle_seconds: float = 0.5) -> None:
        self.tasks = list(tasks)
        self.idle_seconds = idle_seconds
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the loop (no-op without tasks)."""
        if not self.tasks:
            return
        self.thread = threading.Thread(
            target=run_loop,
            args=(self.tasks, self.stop_event, self.idle_seconds),
            name="gateway-worker",
            daemon=True,
        )
        self.thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the loop to stop after its current step and wait for it."""
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout)


def start_embedded_workers(embedded: bool, database: Database) -> EmbeddedWorkers:
    """Start the worker loop in this process when ``embedded`` (app lifespan hook)."""
    from gateway.bdtx.settings import get_bdtx_settings
    from gateway.temis.settings import get_temis_settings

    temis = get_temis_settings()
    tasks = build_tasks(database, get_bdtx_settings(), temis) if embedded else []
    workers = EmbeddedWorkers(tasks, temis.idle_seconds)
    workers.start()
    return workers


def register_cli(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``gateway worker``."""
    worker = subparsers.add_parser(
        "worker", help="sổ BDTX và gửi kết quả / run the ledger and delivery workers"
    )
    worker.add_argument(
        "--only", help=f"comma-separated tasks out of {', '.join(TASK_NAMES)} (default: all)"
    )
    worker.set_defaults(handler=_run_worker)


def _run_worker(args: argparse.Namespace) -> int:
    from gateway.bdtx.settings import get_bdtx_settings
    from gateway.settings import get_settings
    from gateway.temis.settings import get_temis_settings

    logging.basicConfig(
        level=get_settings().log_level.upper(), format="%(asctime)s %(levelname)s %(message)s"
    )
    # One line per HTTP request is noise in a worker's log; failures are logged by us.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    only = [name.strip() for name in args.only.split(",")] if args.only else None
    database = Database(get_settings().database_url)
    temis = get_temis_settings()
    tasks = build_tasks(database, get_bdtx_settings(), temis, only)
    stop = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    logger.info("worker running: %s", ", ".join(task.name for task in tasks))
    try:
        run_loop(tasks, stop, temis.idle_seconds)
    finally:
        database.dispose()
    return 0
