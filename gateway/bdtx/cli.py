"""``gateway people …`` and ``gateway bdtx …``: people, identities, the ledger.

Exit codes: 0 done, 1 nothing done (a dry run, a refusal), 2 bad input (nothing stored).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.bdtx import ledger, mappings, people, summary
from gateway.bdtx.errors import BdtxError, PeopleTableError
from gateway.bdtx.models import Credit, Person
from gateway.bdtx.people_table import read_people_file
from gateway.bdtx.settings import get_bdtx_settings
from learning_store.models import Statement

SessionFactoryProvider = Callable[[], sessionmaker[Session]]
EXIT_OK, EXIT_NOTHING, EXIT_BAD_INPUT = 0, 1, 2


def register_cli(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    sessions: SessionFactoryProvider,
) -> None:
    """Add ``people import|list|link`` and ``bdtx status|consume|rebuild|map|rule|pending``."""
    group = subparsers.add_parser("people", help="giáo viên, CBQL / teachers and managers")
    commands = group.add_subparsers(dest="people_command", metavar="COMMAND", required=True)
    importing = commands.add_parser(
        "import", help="nhập danh sách (CSV, XLSX) / import people and their LMS identities"
    )
    importing.add_argument("file", type=Path)
    importing.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra / check only")
    importing.set_defaults(handler=lambda a: _import(a, sessions()))
    listing = commands.add_parser("list", help="liệt kê / list people")
    listing.add_argument("--school")
    listing.set_defaults(handler=lambda a: _list(a, sessions()))
    linking = commands.add_parser("link", help="gắn danh tính LMS / link an LMS identity")
    linking.add_argument("temis_id")
    linking.add_argument("--account", nargs=2, metavar=("HOMEPAGE", "NAME"))
    linking.add_argument("--email")
    linking.add_argument("--move", action="store_true", help="take it from another person")
    linking.set_defaults(handler=lambda a: _link(a, sessions()))

    group = subparsers.add_parser("bdtx", help="sổ BDTX / the BDTX ledger")
    commands = group.add_subparsers(dest="bdtx_command", metavar="COMMAND", required=True)
    commands.add_parser("status", help="vị trí, tín chỉ / position and credits").set_defaults(
        handler=lambda a: _status(sessions())
    )
    commands.add_parser("consume", help="đọc hết feed / catch up with the feed").set_defaults(
        handler=lambda a: _consume(sessions())
    )
    commands.add_parser(
        "rebuild", help="dựng lại từ feed / replay the feed and recompute every credit"
    ).set_defaults(handler=lambda a: _rebuild(sessions()))
    mapping = commands.add_parser("map", help="gắn IRI với mô đun / map an activity IRI")
    mapping.add_argument("activity_id")
    mapping.add_argument("module_code")
    mapping.add_argument("--note", default="")
    mapping.set_defaults(handler=lambda a: _map(a, sessions()))
    rule = commands.add_parser("rule", help="quy tắc hoàn thành / a module's completion rule")
    rule.add_argument("module_code")
    rule.add_argument("rule", choices=mappings.RULES)
    rule.add_argument("--threshold", type=float)
    rule.set_defaults(handler=lambda a: _rule(a, sessions()))
    commands.add_parser("pending", help="người học chưa gắn / unlinked actors").set_defaults(
        handler=lambda a: _pending(sessions())
    )


def _fail(exc: BdtxError) -> int:
    print(f"error: {exc.message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _import(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    try:
        rows = read_people_file(args.file)
    except PeopleTableError as exc:
        return _fail(exc)
    if args.dry_run:
        print(f"{len(rows)} người hợp lệ, chưa lưu / {len(rows)} valid rows, nothing stored")
        return EXIT_NOTHING
    settings = get_bdtx_settings()
    try:
        with sessions.begin() as session:
            created, updated, links = people.import_people(session, rows, settings)
    except BdtxError as exc:
        return _fail(exc)
    print(f"created {created}, updated {updated}, identities linked {links}")
    return EXIT_OK


def _list(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        query = select(Person).order_by(Person.school_code, Person.name)
        if args.school:
            query = query.where(Person.school_code == args.school)
        for p in session.scalars(query):
            print(f"{p.temis_id}\t{p.name}\t{p.role}\t{p.level}\t{p.school_code}")
    return EXIT_OK


def _link(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    settings = get_bdtx_settings()
    try:
        with sessions.begin() as session:
            person = people.get_person(session, args.temis_id)
            ifis = [people.account_ifi(*args.account)] if args.account else []
            address = people.check_email(args.email)
            if address:
                ifis.extend(people.mbox_ifis(address))
            if not ifis:
                print("error: --account or --email is required", file=sys.stderr)
                return EXIT_BAD_INPUT
            changed = sum(
                people.link_ifi(
                    session, ifi, person, source="cli", move=args.move, settings=settings
                )
                for ifi in ifis
            )
    except BdtxError as exc:
        return _fail(exc)
    print(f"linked {changed} identities to {args.temis_id}")
    return EXIT_OK


def _status(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        at = ledger.position(session)
        head = session.scalar(select(func.max(Statement.seq))) or 0
        counts = session.execute(
            select(Credit.status, func.count()).group_by(Credit.status).order_by(Credit.status)
        ).all()
    print(f"feed position {at} of {head} (lag {head - at})")
    for status, count in counts:
        print(f"credits {status}: {count}")
    return EXIT_OK


def _consume(sessions: sessionmaker[Session]) -> int:
    settings = get_bdtx_settings()
    total = 0
    while True:
        with sessions.begin() as session:
            result = ledger.consume(session, settings)
        if result.skipped:
            print("another consumer holds the ledger; try later", file=sys.stderr)
            return EXIT_NOTHING
        total += result.read
        if result.read == 0:
            break
    print(f"read {total} statements")
    return EXIT_OK


def _rebuild(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as session:
        result = ledger.rebuild(session, get_bdtx_settings())
    print(
        f"replayed {result.read} statements: {result.facts} facts, {result.voids} voids, "
        f"{result.changed} credits changed"
    )
    return EXIT_OK


def _map(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    try:
        with sessions.begin() as session:
            key = mappings.map_activity(session, args.activity_id, args.module_code, args.note)
    except BdtxError as exc:
        return _fail(exc)
    print(f"{args.activity_id} -> {key} (run `gateway bdtx rebuild` to re-read the past)")
    return EXIT_OK


def _rule(args: argparse.Namespace, sessions: sessionmaker[Session]) -> int:
    try:
        with sessions.begin() as session:
            row = mappings.set_module_rule(session, args.module_code, args.rule, args.threshold)
            print(f"{row.module_key}: {row.rule} threshold {row.threshold}")
    except BdtxError as exc:
        return _fail(exc)
    return EXIT_OK


def _pending(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        for actor in summary.pending_actors(session):
            modules = ", ".join(f"{code} ({year}, {n})" for code, year, n in actor.modules)
            print(f"{actor.actor_ifi}\t{actor.name or ''}\t{actor.email or ''}\t{modules}")
    return EXIT_OK
