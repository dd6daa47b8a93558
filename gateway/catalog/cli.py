"""``gateway catalog …``: import, export and list the catalog from the command line.

An import first prints what it would change and applies only after ``--yes`` or a "y" at
the prompt, so a wrong file never silently rewrites the catalog.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from gateway.catalog import service
from gateway.catalog.errors import CatalogError
from gateway.catalog.releases import ReleaseDiff, apply_release, current_rows, diff_release
from gateway.catalog.seed import ensure_seeded
from gateway.catalog.tables import ModuleRow, TableFormat, detect_format, read_table, write_table
from gateway.catalog.terms import format_levels

SessionFactoryProvider = Callable[[], sessionmaker[Session]]
Confirm = Callable[[str], bool]

EXIT_OK = 0
EXIT_NOT_APPLIED = 1
EXIT_BAD_INPUT = 2


def register_cli(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    session_factory_provider: SessionFactoryProvider,
    *,
    confirm: Confirm | None = None,
) -> argparse.ArgumentParser:
    """Add ``catalog import|export|list|releases``; each sets ``handler(args) -> exit code``.

    ``confirm`` asks the import question; by default it prompts on a terminal and refuses
    otherwise (a script must say ``--yes``).
    """
    ask = confirm or _ask_on_terminal
    catalog = subparsers.add_parser(
        "catalog",
        help="danh mục học liệu / learning-module catalog",
        description="Danh mục học liệu BDTX / BDTX learning-module catalog",
    )
    commands = catalog.add_subparsers(dest="catalog_command", metavar="COMMAND", required=True)

    importing = commands.add_parser(
        "import",
        help="nhập bảng danh mục (CSV, TSV, XLSX) / import a catalog table",
        description=(
            "So sánh bảng với danh mục hiện tại rồi tạo phát hành mới / compare the table "
            "with the current catalog, then create a new release"
        ),
    )
    importing.add_argument("file", type=Path, help="bảng theo mẫu phụ lục / annex-layout table")
    importing.add_argument("--yes", "-y", action="store_true", help="áp dụng không hỏi / apply")
    importing.add_argument("--label", help="nhãn phát hành / release label")
    importing.add_argument("--note", help="ghi chú / note")
    importing.add_argument("--format", choices=[f.value for f in TableFormat])
    importing.set_defaults(
        handler=lambda args: run_import(args, session_factory_provider(), confirm=ask)
    )

    exporting = commands.add_parser(
        "export",
        help="xuất danh mục hiện tại / export the current catalog",
        description="Xuất theo mẫu phụ lục / export in the annex layout ('-' = stdout)",
    )
    exporting.add_argument("file", help="tệp đích hoặc - / output file or -")
    exporting.add_argument("--format", choices=[f.value for f in TableFormat])
    exporting.set_defaults(handler=lambda args: run_export(args, session_factory_provider()))

    listing = commands.add_parser("list", help="liệt kê mô đun / list modules")
    listing.add_argument(
        "--all", action="store_true", help="kể cả mô đun đã gỡ / include removed modules"
    )
    listing.set_defaults(handler=lambda args: run_list(args, session_factory_provider()))

    releases = commands.add_parser("releases", help="các lần phát hành / list releases")
    releases.set_defaults(handler=lambda args: run_releases(args, session_factory_provider()))
    return catalog


def run_import(
    args: argparse.Namespace, session_factory: sessionmaker[Session], *, confirm: Confirm
) -> int:
    """Show the diff of ``args.file`` and apply it as a release when confirmed."""
    path: Path = args.file
    try:
        rows = read_table(path, TableFormat(args.format) if args.format else None)
    except CatalogError as exc:
        print(exc.message, file=sys.stderr)
        return EXIT_BAD_INPUT
    label: str = args.label or f"Nhập từ / imported from {path.name}"
    with session_factory() as session:
        ensure_seeded(session)
        diff = diff_release(session, rows)
        print(format_diff(diff))
        if diff.is_empty:
            session.commit()
            print("Không có thay đổi, không tạo phát hành / no changes, no release created")
            return EXIT_OK
        if not args.yes and not confirm(
            "Áp dụng thành phát hành mới? / Apply as a release? [y/N] "
        ):
            print(
                "Chưa áp dụng; chạy lại với --yes để áp dụng / "
                "not applied; run again with --yes to apply"
            )
            return EXIT_NOT_APPLIED
        try:
            result = apply_release(session, rows, label, source=path.name, note=args.note)
        except CatalogError as exc:
            session.rollback()
            print(exc.message, file=sys.stderr)
            return EXIT_BAD_INPUT
        if result.diff != diff or result.release is None:
            # Someone else released in between: what was shown is not what would happen.
            session.rollback()
            print(
                "Danh mục vừa thay đổi, hãy chạy lại / the catalog changed meanwhile, run again",
                file=sys.stderr,
            )
            return EXIT_NOT_APPLIED
        session.commit()
        print(
            f"Đã tạo phát hành số {result.release.number} / created release "
            f"{result.release.number}: {result.release.label}"
        )
    return EXIT_OK


def run_export(args: argparse.Namespace, session_factory: sessionmaker[Session]) -> int:
    """Write the active catalog in the annex layout."""
    target: str = args.file
    try:
        if args.format:
            table_format = TableFormat(args.format)
        elif target == "-":
            table_format = TableFormat.TSV
        else:
            table_format = detect_format(target)
    except CatalogError as exc:
        print(exc.message + " (--format csv|tsv|xlsx)", file=sys.stderr)
        return EXIT_BAD_INPUT
    if target == "-" and table_format is TableFormat.XLSX:
        print("XLSX cần tên tệp / XLSX needs a file name", file=sys.stderr)
        return EXIT_BAD_INPUT
    with session_factory() as session:
        ensure_seeded(session)
        session.commit()
        rows = current_rows(session)
    content = write_table(rows, table_format)
    if target == "-":
        sys.stdout.write(content.decode("utf-8-sig"))
        return EXIT_OK
    try:
        Path(target).write_bytes(content)
    except OSError as exc:
        print(f"Không ghi được / cannot write {target}: {exc.strerror}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"Đã xuất {len(rows)} mô đun / exported {len(rows)} modules: {target}")
    return EXIT_OK


def run_list(args: argparse.Namespace, session_factory: sessionmaker[Session]) -> int:
    """Print the modules, one line each."""
    with session_factory() as session:
        ensure_seeded(session)
        session.commit()
        release = service.latest_release(session)
        modules = service.list_modules(session, include_inactive=args.all)
        if release is not None:
            print(f"Phát hành số / release {release.number}: {release.label} ({release.created})")
        for module in modules:
            state = "" if module.active else "  [đã gỡ / removed]"
            print(
                f"{module.code.display:<9} {module.periods:>3} tiết  {module.audience:<4} "
                f"{module.levels:<8} {module.title}{state}"
            )
        print(f"{len(modules)} mô đun / modules")
    return EXIT_OK


def run_releases(_args: argparse.Namespace, session_factory: sessionmaker[Session]) -> int:
    """Print the releases, newest first."""
    with session_factory() as session:
        ensure_seeded(session)
        session.commit()
        for summary in service.list_releases(session):
            release = summary.release
            print(
                f"#{release.number}  {release.created}  {release.label}  "
                f"(+{summary.added} ~{summary.changed} -{summary.removed})"
                + (f"  [{release.source}]" if release.source else "")
            )
    return EXIT_OK


def format_diff(diff: ReleaseDiff) -> str:
    """The diff as people read it, Vietnamese first."""
    lines = ["So với danh mục hiện tại / compared with the current catalog:"]
    lines.append(f"  Thêm / added: {len(diff.added)}")
    for row in diff.added:
        restored = " (khôi phục / restored)" if row.code.key in diff.restored else ""
        lines.append(f"    + {_describe(row)}{restored}")
    lines.append(f"  Thay đổi / changed: {len(diff.changed)}")
    for change in diff.changed:
        lines.append(f"    ~ {change.row.code.display} · {change.row.title}")
        for field in change.changes:
            lines.append(f"        {field.label}: {field.before} → {field.after}")
    lines.append(f"  Gỡ bỏ / removed: {len(diff.removed)}")
    for row in diff.removed:
        lines.append(f"    - {_describe(row)}")
    lines.append(f"  Không đổi / unchanged: {len(diff.unchanged)}")
    return "\n".join(lines)


def _describe(row: ModuleRow) -> str:
    return (
        f"{row.code.display} · {row.title} · {row.periods} tiết/periods · "
        f"{format_levels(row.levels)} · {row.audience}"
    )


def _ask_on_terminal(prompt: str) -> bool:
    if not sys.stdin.isatty():
        return False
    try:
        answer = input(prompt)
    except EOFError:
        return False
    return answer.strip().casefold() in ("y", "yes", "c", "có", "co")
