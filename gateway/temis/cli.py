"""``gateway temis …``: deliveries (status, retry), exports, the contract and a simulator."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.bdtx import ledger, outbox
from gateway.bdtx.errors import BdtxError
from gateway.bdtx.settings import get_bdtx_settings
from gateway.temis.exports import ExportFormat, render, school_exports
from learning_store.models import Statement

SessionFactoryProvider = Callable[[], sessionmaker[Session]]


def register_cli(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    sessions: SessionFactoryProvider,
) -> None:
    """Add ``temis status|retry|export|openapi|simulate``."""
    group = subparsers.add_parser("temis", help="gửi kết quả lên TEMIS / delivery to TEMIS")
    commands = group.add_subparsers(dest="temis_command", metavar="COMMAND", required=True)
    commands.add_parser("status", help="hàng đợi gửi / delivery queue").set_defaults(
        handler=lambda a: _status(sessions())
    )
    retry = commands.add_parser("retry", help="gửi lại thư chết / revive dead letters")
    retry.add_argument("--kind", help="temis.http, temis.xapi or lti.score (default: all)")
    retry.set_defaults(handler=lambda a: _retry(a, sessions()))
    export = commands.add_parser("export", help="xuất tệp / XLSX or CSV per school and year")
    export.add_argument("--year", required=True, help="e.g. 2025-2026")
    export.add_argument("--school", help="one school code (default: every school)")
    export.add_argument("--format", choices=[f.value for f in ExportFormat], default="xlsx")
    export.add_argument("--out", type=Path, default=Path("."), help="directory")
    export.set_defaults(handler=lambda a: _export(a, sessions()))
    schema = commands.add_parser("openapi", help="OpenAPI of the delivery contract")
    schema.add_argument("--out", type=Path)
    schema.set_defaults(handler=_openapi)
    simulate = commands.add_parser("simulate", help="a TEMIS simulator / mô phỏng TEMIS")
    simulate.add_argument("--host", default="127.0.0.1")
    simulate.add_argument("--port", type=int, required=True)
    simulate.add_argument("--client-id", default="gateway")
    simulate.add_argument("--client-secret", default="simulator-secret")
    simulate.add_argument("--token-ttl", type=int, default=3600)
    simulate.add_argument(
        "--fail", action="append", default=[], metavar="MODE[:N[:ARG]]",
        help="error:N:STATUS, timeout:N:SECONDS, drop:N, slow:N:SECONDS, expire-token:N",
    )  # fmt: skip
    simulate.add_argument("--log", type=Path, help="append every stored record (JSON lines)")
    simulate.set_defaults(handler=_simulate)


def _status(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        counts = outbox.status_counts(session)
        at = ledger.position(session)
        head = session.scalar(select(func.max(Statement.seq))) or 0
        oldest = session.execute(
            select(outbox.OutboxItem.kind, func.min(outbox.OutboxItem.created_at))
            .where(outbox.OutboxItem.status != outbox.DELIVERED)
            .group_by(outbox.OutboxItem.kind)
        ).all()
        errors = session.execute(
            select(outbox.OutboxItem.kind, outbox.OutboxItem.key, outbox.OutboxItem.last_error)
            .where(outbox.OutboxItem.status == outbox.DEAD)
            .order_by(outbox.OutboxItem.id.desc())
            .limit(5)
        ).all()
    print(f"ledger: feed position {at} of {head} (lag {head - at})")
    kinds = sorted({kind for kind, _ in counts})
    statuses = (outbox.PENDING, outbox.IN_FLIGHT, outbox.DELIVERED, outbox.DEAD)
    print("kind".ljust(12) + "".join(s.rjust(11) for s in statuses))
    for kind in kinds:
        print(kind.ljust(12) + "".join(str(counts.get((kind, s), 0)).rjust(11) for s in statuses))
    for kind, created in oldest:
        print(f"oldest undelivered {kind}: queued {created:%Y-%m-%d %H:%M:%S} UTC")
    for kind, key, error in errors:
        print(f"dead {kind} {key}: {error}")
    return 0


def _retry(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        count = outbox.retry_dead(session, args.kind)
    print(f"queued again: {count}")
    return 0 if count else 1


def _export(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    fmt = ExportFormat(args.format)
    try:
        with sessions() as session:
            exports = school_exports(session, get_bdtx_settings(), args.year, args.school)
    except BdtxError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2
    if not exports:
        print("nothing to export / không có kết quả", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for export in exports:
        path = args.out / export.filename(fmt)
        path.write_bytes(render(export, fmt))
        print(f"{path}\t{len(export.rows)} rows")
    return 0


def _openapi(args: argparse.Namespace) -> int:
    from gateway.temis.simulator import openapi_schema

    text = json.dumps(openapi_schema(), ensure_ascii=False, indent=2) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _simulate(args: argparse.Namespace) -> int:
    import uvicorn

    from gateway.temis.simulator import Fault, SimulatorState, create_simulator

    try:
        faults = [Fault.parse(text) for text in args.fail]
    except ValueError as exc:
        print(f"error: --fail: {exc}", file=sys.stderr)
        return 2
    state = SimulatorState(args.client_id, args.client_secret, args.token_ttl, args.log)
    state.faults.extend(faults)
    uvicorn.run(create_simulator(state), host=args.host, port=args.port, log_level="warning")
    return 0
