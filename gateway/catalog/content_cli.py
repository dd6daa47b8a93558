"""``gateway content …``: upload packages, install the demo courses, abandon stale sessions."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from gateway.catalog.cmi5.progress import abandon_stale_sessions
from gateway.catalog.content import InstallHook, PackageSummary, install_package, list_packages
from gateway.catalog.content_demo import install_missing_demos
from gateway.catalog.content_settings import ContentSettings, get_content_settings
from gateway.catalog.errors import CatalogError
from gateway.catalog.seed import ensure_seeded

SessionFactoryProvider = Callable[[], sessionmaker[Session]]
EXIT_OK = 0
EXIT_BAD_INPUT = 2


def register_cli(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    session_factory_provider: SessionFactoryProvider,
    public_url_provider: Callable[[], str],
    *,
    settings_provider: Callable[[], ContentSettings] = get_content_settings,
    on_installed: InstallHook | None = None,
) -> argparse.ArgumentParser:
    """Add ``content upload|list|install-demo|abandon-stale``."""
    content = subparsers.add_parser(
        "content",
        help="học liệu của mô đun (gói cmi5/xAPI) / module content packages",
        description="Gói học liệu cmi5 hoặc xAPI của các mô đun / module content packages",
    )
    commands = content.add_subparsers(dest="content_command", metavar="COMMAND", required=True)

    upload = commands.add_parser(
        "upload", help="tải lên gói cmi5 (zip có cmi5.xml) hoặc xAPI (tincan.xml) / upload"
    )
    upload.add_argument("file", type=Path, help="gói zip hoặc cmi5.xml / zip or cmi5.xml")
    upload.add_argument("--module", required=True, help="mã mô đun, ví dụ / code, e.g. 'GVPT 15'")

    def run_upload(args: argparse.Namespace) -> int:
        path: Path = args.file
        if not path.is_file():
            print(f"Không có tệp / no such file: {path}", file=sys.stderr)
            return EXIT_BAD_INPUT
        with session_factory_provider()() as session:
            try:
                row = install_package(
                    session, args.module, path, path.name, settings_provider(),
                    on_installed=on_installed,
                )  # fmt: skip
            except CatalogError as exc:
                print(exc.message, file=sys.stderr)
                return EXIT_BAD_INPUT
            summary = PackageSummary.of(row)
        print(
            f"Đã cài / installed {summary.kind} package {summary.title!r} for {summary.module_key}"
            f": {summary.assignable_units} AU(s), {summary.file_count} files, "
            f"/content/files/{summary.storage_key}/"
        )
        return EXIT_OK

    upload.set_defaults(handler=run_upload)

    listing = commands.add_parser("list", help="liệt kê gói / list packages")

    def run_list(_args: argparse.Namespace) -> int:
        with session_factory_provider()() as session:
            for row in list_packages(session):
                summary = PackageSummary.of(row)
                mark = "*" if summary.current else " "
                print(
                    f"{mark} {summary.module_key}\t{summary.kind}\t{summary.source}\t"
                    f"{summary.created[:19]}\t{summary.title}"
                )
        return EXIT_OK

    listing.set_defaults(handler=run_list)

    demo = commands.add_parser(
        "install-demo", help="cài học liệu minh họa cho mô đun chưa có / install demo courses"
    )
    demo.add_argument(
        "--replace", action="store_true", help="dựng lại gói minh họa / rebuild demo packages"
    )

    def run_demo(args: argparse.Namespace) -> int:
        sessions = session_factory_provider()
        with sessions.begin() as session:
            ensure_seeded(session)
        done = install_missing_demos(
            sessions, settings_provider(), replace_demos=args.replace, on_installed=on_installed
        )
        print(
            f"Đã cài học liệu minh họa cho {len(done)} mô đun / demo content installed for "
            f"{len(done)} modules" + (f": {', '.join(done)}" if done else "")
        )
        return EXIT_OK

    demo.set_defaults(handler=run_demo)

    stale = commands.add_parser(
        "abandon-stale", help="ghi 'abandoned' cho phiên bỏ dở / abandon idle AU sessions"
    )
    stale.add_argument("--idle-seconds", type=int, help="mặc định / default from settings")

    def run_stale(args: argparse.Namespace) -> int:
        settings = settings_provider()
        idle = timedelta(seconds=args.idle_seconds or settings.abandon_after_seconds)
        with session_factory_provider().begin() as session:
            count = abandon_stale_sessions(session, public_url=public_url_provider(), idle=idle)
        print(f"abandoned: {count}")
        return EXIT_OK

    stale.set_defaults(handler=run_stale)
    return content
