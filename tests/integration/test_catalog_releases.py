"""The catalog on real databases: migration, seed, import diff and apply, and the CLI.

Each test runs on SQLite and on PostgreSQL (``database_url`` from tests/conftest.py), on
a fresh schema built by the migrations.
"""

from __future__ import annotations

import argparse
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from openpyxl import load_workbook
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from gateway.catalog import seed, service
from gateway.catalog.cli import register_cli
from gateway.catalog.codes import parse_module_code
from gateway.catalog.errors import CatalogError, TableError
from gateway.catalog.models import CatalogModule, CatalogModuleVersion, CatalogRelease
from gateway.catalog.releases import FieldChange, apply_release, current_rows, diff_release
from gateway.catalog.seed import SEED_FILE, SEED_LABEL, ensure_seeded, seed_at_startup
from gateway.catalog.tables import TableFormat, parse_table
from gateway.migrate import alembic_config, upgrade
from learning_store.database import make_engine, make_session_factory
from learning_store.models import Base
from tests.catalog_annex import ANNEX

ACTIVITY_BASE = "https://gateway.test/catalog/modules/"


# (code as displayed, title, periods, levels as stored, audience): BDTX.md's seed table.
# fmt: off
EXPECTED = [
    ("GVMN 2", "Quản lý cảm xúc bản thân của người GVMN trong hoạt động nghề nghiệp", 20, "MN", "GV"),  # noqa: E501
    ("GVMN 7", "Phát triển Chương trình GDMN phù hợp với sự phát triển của trẻ em và bối cảnh địa phương", 20, "MN", "GV"),  # noqa: E501
    ("GVMN 21", "Phát hiện, sàng lọc và tổ chức các hoạt động chăm sóc, giáo dục đáp ứng trẻ em có nhu cầu đặc biệt", 20, "MN", "GV"),  # noqa: E501
    ("GVMN 33", "Ứng dụng công nghệ thông tin (CNTT) để nâng cao chất lượng chăm sóc, giáo dục trẻ em trong cơ sở GDMN", 20, "MN", "GV"),  # noqa: E501
    ("GVMN 25", "Giáo dục kỹ luật tích cực cho trẻ em lứa tuổi mầm non", 40, "MN", "GV"),
    ("QLMN 29", "Quản trị việc xây dựng môi trường giáo dục an toàn, lành mạnh, thân thiện trong cơ sở GDMN", 20, "MN", "CBQL"),  # noqa: E501
    ("QLMN 8", "Tổ chức sinh hoạt chuyên môn hiệu quả ở cơ sở GDMN", 20, "MN", "CBQL"),
    ("QLMN 24", "Quản trị cơ sở vật chất, trang thiết bị trong trường mầm non đáp ứng được yêu cầu đổi mới giáo dục", 20, "MN", "CBQL"),  # noqa: E501
    ("QLMN 17", "Tổ chức công tác giáo dục hòa nhập trẻ khuyết tật trong cơ sở GDMN", 20, "MN", "CBQL"),  # noqa: E501
    ("QLMN 10", "Quản lý và giải quyết các xung đột trong cơ sở GDMN và với cha mẹ trẻ mầm non", 20, "MN", "CBQL"),  # noqa: E501
    ("GVPT 15", "Ứng dụng CNTT khai thác và sử dụng thiết bị công nghệ trong dạy học và giáo dục học sinh phổ thông", 40, "PT,GDTX", "GV"),  # noqa: E501
    ("QLPT 18", "Ứng dụng CNTT trong quản lý nhà trường", 40, "PT,GDTX", "CBQL"),
]
# fmt: on


@dataclass(frozen=True)
class Counts:
    """Rows in the catalog tables."""

    releases: int
    modules: int
    versions: int


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions over a fresh, migrated and seeded database."""
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    with factory.begin() as session:
        ensure_seeded(session, activity_base=ACTIVITY_BASE)
    yield factory
    engine.dispose()


def counts(factory: sessionmaker[Session]) -> Counts:
    """How many releases, modules and versions are stored."""
    with factory() as session:
        return Counts(
            *(
                session.scalar(select(func.count()).select_from(model)) or 0
                for model in (CatalogRelease, CatalogModule, CatalogModuleVersion)
            )
        )


def stored_summary(session: Session) -> list[tuple[str, str, int, str, str]]:
    """Active modules as (code, title, periods, levels, audience), in catalog order."""
    return [
        (m.code.display, m.title, m.periods, m.levels, m.audience)
        for m in service.list_modules(session)
    ]


def changed_table() -> bytes:
    """The annex with GVMN 2 at 40 periods, QLMN 10 removed and GVMN 40 added."""
    lines = ANNEX.splitlines(keepends=True)
    lines = [line.replace("\t20\tGVMN 2\n", "\t40\tGVMN 2\n") for line in lines]
    lines = [line for line in lines if not line.endswith("\tQLMN 10\n")]
    lines.append("13\tMN\tGV\tGiáo dục STEM cho trẻ mầm non\t20\tGVMN 40\n")
    return "".join(lines).encode()


def test_the_migration_builds_exactly_the_catalog_models(database_url: str) -> None:
    """Schema changes go through Alembic: the migrated tables match the models."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            differences = [
                d for d in compare_metadata(context, Base.metadata) if "catalog_" in repr(d)
            ]
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert differences == []
    assert {"catalog_release", "catalog_module", "catalog_module_version"} <= tables


def test_the_migration_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    """0002_catalog is reversible on its own (it drops only its own tables)."""
    url = f"sqlite:///{tmp_path / 'updown.db'}"
    upgrade(url, "0002_catalog")
    command.downgrade(alembic_config(url), "0001_learning_store")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
        assert not {t for t in tables if t.startswith("catalog_")}
        assert "xapi_statement" in tables
    finally:
        engine.dispose()
    upgrade(url, "0002_catalog")


def test_the_seed_is_release_1_with_the_twelve_annex_modules(
    sessions: sessionmaker[Session],
) -> None:
    """BDTX.md "The seed's catalog": 12 modules of the January 2026 dispatch as release 1."""
    with sessions() as session:
        assert stored_summary(session) == EXPECTED
        releases = service.list_releases(session)
        modules = service.list_modules(session)
    assert [(r.release.number, r.release.label, r.release.source) for r in releases] == [
        (1, SEED_LABEL, SEED_FILE)
    ]
    assert (releases[0].added, releases[0].changed, releases[0].removed) == (12, 0, 0)
    assert {m.block for m in modules} == {"CT03"}
    assert all(m.activity_id == ACTIVITY_BASE + m.key for m in modules)
    assert counts(sessions) == Counts(releases=1, modules=12, versions=12)


def test_seeding_is_idempotent(sessions: sessionmaker[Session]) -> None:
    """Every start calls ensure_seeded; only the first stores anything."""
    with sessions.begin() as session:
        assert ensure_seeded(session, activity_base=ACTIVITY_BASE) is None
    assert counts(sessions) == Counts(releases=1, modules=12, versions=12)


def test_seed_at_startup_seeds_once(database_url: str) -> None:
    """The app's start-up hook seeds a fresh database in its own transaction, once."""
    engine = make_engine(database_url)
    factory = make_session_factory(engine)
    try:
        first = seed_at_startup(factory, activity_base=ACTIVITY_BASE)
        assert first is not None and first.number == 1
        assert seed_at_startup(factory, activity_base=ACTIVITY_BASE) is None
        assert counts(factory) == Counts(releases=1, modules=12, versions=12)
    finally:
        engine.dispose()


def test_seed_at_startup_leaves_an_unmigrated_database_alone(tmp_path: Path) -> None:
    """Before `gateway db upgrade` the app still starts; /readyz reports the schema."""
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert seed_at_startup(make_session_factory(engine)) is None
        with engine.connect() as connection:
            assert inspect(connection).get_table_names() == []
    finally:
        engine.dispose()


def test_seed_at_startup_tolerates_another_process_seeding_first(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two replicas starting together: the loser's duplicate-key error is not fatal."""
    engine = make_engine(database_url)
    factory = make_session_factory(engine)

    def racing(session: Session, *, activity_base: str | None = None) -> None:
        with factory.begin() as other:
            ensure_seeded(other, activity_base=ACTIVITY_BASE)
        raise IntegrityError("INSERT INTO catalog_release", {}, Exception("duplicate key"))

    monkeypatch.setattr(seed, "ensure_seeded", racing)
    try:
        assert seed_at_startup(factory, activity_base=ACTIVITY_BASE) is None
        assert counts(factory).releases == 1
    finally:
        engine.dispose()


def test_importing_the_annex_reproduces_the_seed_and_diffs_empty(
    sessions: sessionmaker[Session],
) -> None:
    """The annex imported as a table is exactly the seed: empty diff, no new release."""
    rows = parse_table(ANNEX.encode(), TableFormat.TSV)
    with sessions.begin() as session:
        assert [
            (r.code.display, r.title, r.periods, ",".join(r.levels), r.audience.value) for r in rows
        ] == stored_summary(session)
        diff = diff_release(session, rows)
        assert diff.is_empty
        assert len(diff.unchanged) == 12
        result = apply_release(session, rows, "Công văn 01/2026 (lần 2)")
        assert result.release is None
    assert counts(sessions) == Counts(releases=1, modules=12, versions=12)


def test_a_changed_table_shows_exactly_its_changes_and_applies_as_release_2(
    sessions: sessionmaker[Session],
) -> None:
    """One module's periods changed, one added, one removed: that diff, then a release."""
    rows = parse_table(changed_table(), TableFormat.TSV)
    with sessions.begin() as session:
        diff = diff_release(session, rows)
        assert [r.code.key for r in diff.added] == ["GVMN40"]
        assert [(c.row.code.key, c.changes) for c in diff.changed] == [
            ("GVMN2", (FieldChange("periods", 20, 40),))
        ]
        assert [r.code.key for r in diff.removed] == ["QLMN10"]
        assert len(diff.unchanged) == 10
        result = apply_release(
            session,
            rows,
            "Công văn 03/2026",
            source="cv-03-2026.tsv",
            activity_base=ACTIVITY_BASE,
        )
        assert result.diff == diff
        assert result.release is not None and result.release.number == 2

    assert counts(sessions) == Counts(releases=2, modules=13, versions=15)
    with sessions() as session:
        active = {m.key: m for m in service.list_modules(session)}
        assert "QLMN10" not in active
        assert active["GVMN2"].periods == 40
        assert active["GVMN40"].activity_id == ACTIVITY_BASE + "GVMN40"
        summary = service.list_releases(session)[0]
        assert (summary.added, summary.changed, summary.removed) == (1, 1, 1)
        assert diff_release(session, rows).is_empty


def test_earlier_versions_stay_as_they_were(sessions: sessionmaker[Session]) -> None:
    """Credits reference a version: its periods and code never change afterwards."""
    gvmn2 = parse_module_code("GVMN 2")
    with sessions() as session:
        before = service.current_version(session, gvmn2)
        assert before is not None
        before_id, before_periods = before.id, before.periods
    with sessions.begin() as session:
        apply_release(session, parse_table(changed_table(), TableFormat.TSV), "Công văn 03/2026")
    with sessions() as session:
        old = session.get(CatalogModuleVersion, before_id)
        assert old is not None and (old.periods, old.module_key) == (before_periods, "GVMN2")
        now = service.current_version(session, gvmn2)
        assert now is not None and now.id != before_id and now.periods == 40
        assert service.current_version(session, parse_module_code("QLMN 10")) is None
        removed = service.get_module(session, parse_module_code("QLMN 10"))
        assert not removed.active
        history = service.module_history(session, removed)
        assert [(h.release.number, h.change) for h in history] == [(1, "added"), (2, "removed")]


def test_a_removed_module_comes_back_with_its_activity_iri(
    sessions: sessionmaker[Session],
) -> None:
    """Re-importing the annex restores QLMN 10; statements sent earlier still match it."""
    with sessions.begin() as session:
        apply_release(session, parse_table(changed_table(), TableFormat.TSV), "Công văn 03/2026")
    with sessions.begin() as session:
        result = apply_release(
            session,
            parse_table(ANNEX.encode(), TableFormat.TSV),
            "Khôi phục",
            activity_base="https://elsewhere.test/",
        )
        assert result.diff.restored == frozenset({"QLMN10"})
    with sessions() as session:
        assert stored_summary(session) == EXPECTED
        module = service.get_module(session, parse_module_code("QLMN 10"))
        assert module.activity_id == ACTIVITY_BASE + "QLMN10"
        assert service.find_module_by_activity(session, module.activity_id) is module
        history = service.module_history(session, module)
        assert [h.change for h in history] == ["added", "removed", "restored"]
        # GVMN 40 was only in release 2; the annex removes it again.
        assert not service.get_module(session, parse_module_code("GVMN 40")).active


def test_a_release_needs_a_label(sessions: sessionmaker[Session]) -> None:
    """Every release is named so people can tell them apart."""
    with sessions() as session, pytest.raises(CatalogError, match="label"):
        apply_release(session, parse_table(changed_table(), TableFormat.TSV), "   ")


# --- the command line -------------------------------------------------------------------


@dataclass
class Cli:
    """Runs ``gateway catalog …`` against the test database."""

    factory: sessionmaker[Session]
    answer: bool = False

    def __call__(self, *argv: str) -> int:
        parser = argparse.ArgumentParser(prog="gateway")
        commands = parser.add_subparsers(dest="command", required=True)
        register_cli(commands, lambda: self.factory, confirm=self._confirm)
        args = parser.parse_args(["catalog", *argv])
        handler: Callable[[argparse.Namespace], int] = args.handler
        return handler(args)

    def _confirm(self, _prompt: str) -> bool:
        return self.answer


@pytest.fixture
def cli(sessions: sessionmaker[Session]) -> Cli:
    """The catalog CLI over the seeded test database."""
    return Cli(sessions)


def test_cli_rejects_bad_rows_with_their_numbers_and_stores_nothing(
    cli: Cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown code and non-numeric periods: both named by row and column, no writes."""
    lines = changed_table().decode().splitlines(keepends=True)
    lines[3] = lines[3].replace("GVMN 21", "GVXX 21")  # file row 4
    lines[6] = lines[6].replace("\t20\t", "\thai mươi\t")  # file row 7
    path = tmp_path / "bad.tsv"
    path.write_text("".join(lines), encoding="utf-8")
    before = counts(cli.factory)

    assert cli("import", str(path), "--yes") == 2

    err = capsys.readouterr().err
    assert "row 4" in err and "Mã mô đun BDTX tương ứng" in err and "GVXX 21" in err
    assert "row 7" in err and "số tiết" in err and "hai mươi" in err
    assert counts(cli.factory) == before
    with pytest.raises(TableError) as caught:
        parse_table(path.read_bytes(), TableFormat.TSV)
    assert sorted((e.row, e.column) for e in caught.value.errors) == [
        (4, "Mã mô đun BDTX tương ứng"),
        (7, "số tiết"),
    ]


def test_cli_import_prints_the_diff_and_waits_for_yes(
    cli: Cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --yes (and no "y" at the prompt) nothing is applied."""
    path = tmp_path / "cv-03.tsv"
    path.write_bytes(changed_table())

    assert cli("import", str(path)) == 1
    out = capsys.readouterr().out
    assert "+ GVMN 40" in out
    assert "~ GVMN 2" in out and "Số tiết / periods: 20 → 40" in out
    assert "- QLMN 10" in out
    assert "Không đổi / unchanged: 10" in out
    assert "--yes" in out
    assert counts(cli.factory).releases == 1

    cli.answer = True
    assert cli("import", str(path), "--label", "Công văn 03/2026") == 0
    assert "phát hành số 2" in capsys.readouterr().out
    with cli.factory() as session:
        assert [r.release.label for r in service.list_releases(session)] == [
            "Công văn 03/2026",
            SEED_LABEL,
        ]


def test_cli_import_with_yes_applies(cli: Cli, tmp_path: Path) -> None:
    """--yes is for scripts: no prompt."""
    path = tmp_path / "cv-03.tsv"
    path.write_bytes(changed_table())
    assert cli("import", str(path), "--yes", "--note", "thử") == 0
    assert counts(cli.factory) == Counts(releases=2, modules=13, versions=15)
    with cli.factory() as session:
        latest = service.latest_release(session)
        assert latest is not None
        assert (latest.source, latest.note) == ("cv-03.tsv", "thử")


@pytest.mark.parametrize("table_format", list(TableFormat))
def test_cli_export_reimports_as_no_change(
    cli: Cli, tmp_path: Path, capsys: pytest.CaptureFixture[str], table_format: TableFormat
) -> None:
    """Export writes the annex layout; importing it back changes nothing."""
    path = tmp_path / f"danh-muc.{table_format.value}"
    assert cli("export", str(path)) == 0
    assert cli("import", str(path), "--yes") == 0
    assert "no changes" in capsys.readouterr().out
    assert counts(cli.factory) == Counts(releases=1, modules=12, versions=12)
    if table_format is TableFormat.XLSX:
        sheet = load_workbook(io.BytesIO(path.read_bytes())).worksheets[0]
        assert sheet["F12"].value == "GVPT 15"


def test_cli_export_to_stdout_is_tsv(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    """``export -`` pipes the table, annex layout, canonical codes."""
    assert cli("export", "-") == 0
    assert capsys.readouterr().out == ANNEX.replace("\tGVPT15\n", "\tGVPT 15\n")


def test_cli_export_reflects_the_latest_release(cli: Cli, tmp_path: Path) -> None:
    """After a release the export is the new table."""
    path = tmp_path / "cv-03.tsv"
    path.write_bytes(changed_table())
    assert cli("import", str(path), "--yes") == 0
    out = tmp_path / "out.csv"
    assert cli("export", str(out), "--format", "csv") == 0
    with cli.factory() as session:
        exported = parse_table(out.read_bytes(), TableFormat.CSV)
        assert [replace(r, row=0) for r in exported] == [
            replace(r, row=0) for r in current_rows(session)
        ]
        assert diff_release(session, exported).is_empty


def test_cli_list_and_releases(
    cli: Cli, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Removed modules show only with --all, marked as removed."""
    path = tmp_path / "cv-03.tsv"
    path.write_bytes(changed_table())
    assert cli("import", str(path), "--yes", "--label", "Công văn 03/2026") == 0
    capsys.readouterr()

    assert cli("list") == 0
    out = capsys.readouterr().out
    assert "GVMN 40" in out and "QLMN 10" not in out and "12 mô đun" in out
    assert cli("list", "--all") == 0
    out = capsys.readouterr().out
    assert "QLMN 10" in out and "removed" in out and "13 mô đun" in out
    assert cli("releases") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("#2") and "(+1 ~1 -1)" in lines[0]
    assert lines[1].startswith("#1") and SEED_LABEL in lines[1]


def test_cli_refuses_an_unknown_export_format(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    """A file name without a known extension needs --format."""
    assert cli("export", "danh-muc.pdf") == 2
    assert "--format" in capsys.readouterr().err
