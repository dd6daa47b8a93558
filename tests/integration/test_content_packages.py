"""Package upload: good packages are installed whole, bad ones leave nothing anywhere.

Each malicious or broken package must be refused with a message naming the problem, and
afterwards the content folder holds nothing of it and the database no row (issue #4,
"Must show" 3).
"""

from __future__ import annotations

import io
import stat
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from gateway.catalog.content import current_package, install_package, package_file
from gateway.catalog.content_demo import build_demo_package
from gateway.catalog.content_errors import ContentNotFoundError, PackageError
from gateway.catalog.content_models import ContentPackage
from gateway.catalog.content_settings import ContentSettings
from gateway.catalog.errors import UnknownModuleError
from gateway.catalog.models import CatalogModule
from gateway.catalog.seed import ensure_seeded
from gateway.db import Database

NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
GIB = 1024 * 1024 * 1024


def cmi5_xml(url: str = "index.html", extra_au: str = "") -> str:
    """A minimal valid course structure with one AU at ``url``."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="{NS}">
  <course id="https://example.org/c"><title><langstring>C</langstring></title>
    <description><langstring>d</langstring></description></course>
  <au id="https://example.org/c/au" moveOn="Completed"><title><langstring>A</langstring></title>
    <description><langstring>d</langstring></description><url>{url}</url></au>{extra_au}
</courseStructure>"""


def make_zip(entries: list[tuple[str | zipfile.ZipInfo, bytes | str]]) -> bytes:
    """A zip with exactly these entries (a ZipInfo for special attributes)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return buffer.getvalue()


def good_package() -> bytes:
    """A valid package."""
    return make_zip([("cmi5.xml", cmi5_xml()), ("index.html", "<p>hi</p>")])


def symlink_entry(name: str, target: str) -> zipfile.ZipInfo:
    """A zip entry that unpacks as a symbolic link on Unix."""
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.fixture(scope="session")
def gigabyte_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ~1 MB zip whose one entry expands to 1 GiB of zeros (made once per session)."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.zip"
    zero = bytes(8 * 1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("cmi5.xml", cmi5_xml())
        archive.writestr("index.html", "x")
        with archive.open("video.mp4", "w", force_zip64=True) as handle:
            for _ in range(GIB // len(zero)):
                handle.write(zero)
    return path


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh, seeded database."""
    database = Database(database_url)
    database.transaction(ensure_seeded)
    yield database.sessions
    database.dispose()


@pytest.fixture
def settings(tmp_path: Path) -> ContentSettings:
    """Content in a fresh folder; small limits so the limit tests stay fast."""
    return ContentSettings(
        dir=tmp_path / "content",
        max_package_bytes=8 * 1024 * 1024,
        max_unpacked_bytes=64 * 1024 * 1024,
        max_files=50,
        allowed_hosts="cdn.example.org",
    )


def install(
    sessions: sessionmaker[Session],
    settings: ContentSettings,
    content: bytes,
    tmp_path: Path,
    module: str = "GVPT 15",
) -> ContentPackage:
    """Upload ``content`` for a module through the one install path."""
    upload = tmp_path / "upload.bin"
    upload.write_bytes(content)
    with sessions() as session:
        return install_package(session, module, upload, "upload.zip", settings)


def assert_nothing_left(sessions: sessionmaker[Session], settings: ContentSettings) -> None:
    """No file or folder in the content folder, no package row."""
    leftovers = list(settings.dir.rglob("*")) if settings.dir.exists() else []
    assert leftovers == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ContentPackage)) == 0


def test_a_good_package_is_unpacked_in_place_and_recorded(
    sessions: sessionmaker[Session], settings: ContentSettings, tmp_path: Path
) -> None:
    """A valid zip ends up as one folder named by its storage key and one current row."""
    row = install(sessions, settings, good_package(), tmp_path)
    folders = [p.name for p in settings.dir.iterdir()]
    assert folders == [row.storage_key]
    assert (settings.dir / row.storage_key / "index.html").read_text() == "<p>hi</p>"
    with sessions() as session:
        current = current_package(session, "GVPT15")
        assert current is not None and current.id == row.id and current.kind == "cmi5"
        assert current.file_count == 2 and current.title == "C"
        with pytest.raises(ContentNotFoundError):
            package_file(settings, current, "../../etc/passwd")
        assert package_file(settings, current, "index.html").is_file()


def test_a_new_package_replaces_the_current_one_and_keeps_the_old_files(
    sessions: sessionmaker[Session], settings: ContentSettings, tmp_path: Path
) -> None:
    """Sessions launched from the old package keep working: its folder stays."""
    first = install(sessions, settings, good_package(), tmp_path)
    second = install(sessions, settings, good_package(), tmp_path)
    with sessions() as session:
        rows = {r.id: r.current for r in session.scalars(select(ContentPackage))}
    assert rows == {first.id: False, second.id: True}
    assert {p.name for p in settings.dir.iterdir()} == {first.storage_key, second.storage_key}


def test_the_demo_package_passes_the_same_checks(
    sessions: sessionmaker[Session], settings: ContentSettings, tmp_path: Path
) -> None:
    """The built-in demo course is a valid cmi5 package."""
    with sessions() as session:
        module = session.scalar(select(CatalogModule).where(CatalogModule.key == "GVMN25"))
        assert module is not None
        content = build_demo_package(module)
    row = install(sessions, settings, content, tmp_path, "GVMN 25")
    assert row.kind == "cmi5" and row.file_count == 4


def test_a_standalone_course_structure_needs_absolute_urls_on_allowed_hosts(
    sessions: sessionmaker[Session], settings: ContentSettings, tmp_path: Path
) -> None:
    """cmi5 14.2: a course structure without a zip; every AU URL fully qualified."""
    row = install(sessions, settings, cmi5_xml("https://cdn.example.org/au.html").encode(),
                  tmp_path)  # fmt: skip
    assert row.kind == "cmi5" and row.file_count == 1


def test_an_xapi_package_with_tincan_xml_is_installed(
    sessions: sessionmaker[Session], settings: ContentSettings, tmp_path: Path
) -> None:
    """A TinCan package: the activity with a launch URL is its entry point."""
    tincan = """<?xml version="1.0" encoding="utf-8"?>
<tincan xmlns="http://projecttincan.com/tincan.xsd"><activities>
  <activity id="https://example.org/tc/course" type="http://adlnet.gov/expapi/activities/course">
    <name lang="en-US">TinCan course</name><launch lang="und">story.html</launch>
  </activity></activities></tincan>"""
    row = install(
        sessions, settings, make_zip([("tincan.xml", tincan), ("story.html", "s")]), tmp_path
    )
    assert row.kind == "xapi" and row.publisher_id == "https://example.org/tc/course"


MALICIOUS: list[tuple[str, list[tuple[str | zipfile.ZipInfo, bytes | str]], str]] = [
    ("zip slip", [("cmi5.xml", cmi5_xml()), ("index.html", "x"), ("../evil.html", "x")],
     "zip slip"),
    ("nested zip slip", [("cmi5.xml", cmi5_xml()), ("index.html", "x"),
                         ("a/../../evil.html", "x")], "zip slip"),
    ("absolute path", [("cmi5.xml", cmi5_xml()), ("index.html", "x"), ("/etc/cron.d/evil", "x")],
     "absolute path"),
    ("drive letter", [("cmi5.xml", cmi5_xml()), ("index.html", "x"), ("C:/evil.bat", "x")],
     "absolute path"),
    ("backslashes", [("cmi5.xml", cmi5_xml()), ("index.html", "x"), ("..\\evil.html", "x")],
     "backslash"),
    ("symlink", [("cmi5.xml", cmi5_xml()), (symlink_entry("index.html", "/etc/passwd"),
                                           "/etc/passwd")], "symbolic link"),
    ("case collision", [("cmi5.xml", cmi5_xml()), ("index.html", "x"), ("INDEX.html", "y")],
     "ignoring case"),
    ("no cmi5.xml", [("index.html", "x")], "no cmi5.xml"),
    ("cmi5.xml in a folder", [("course/cmi5.xml", cmi5_xml()), ("course/index.html", "x")],
     "zip the folder's contents"),
    ("not well-formed cmi5.xml", [("cmi5.xml", "<courseStructure"), ("index.html", "x")],
     "not well-formed XML"),
    ("cmi5.xml against the schema", [("cmi5.xml", cmi5_xml().replace("moveOn=\"Completed\"",
                                      "moveOn=\"Whenever\"")), ("index.html", "x")], "@moveOn"),
    ("entity expansion", [("cmi5.xml", '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><a/>'),
                          ("index.html", "x")], "DOCTYPE"),
    ("AU host not allowed", [("cmi5.xml", cmi5_xml("https://evil.example.com/au.html"))],
     "not in the allowed list"),
    ("AU URL outside the package", [("cmi5.xml", cmi5_xml("../index.html"))],
     "does not name a file inside the package"),
    ("AU file missing", [("cmi5.xml", cmi5_xml("start.html")), ("index.html", "x")],
     "has no file 'start.html'"),
    ("AU URL with a launch parameter", [("cmi5.xml", cmi5_xml("index.html?fetch=x")),
                                        ("index.html", "x")], "reserves for the LMS"),
    ("javascript AU URL", [("cmi5.xml", cmi5_xml("javascript:alert(1)"))], "http or https"),
    ("too many files", [("cmi5.xml", cmi5_xml()), ("index.html", "x")]
     + [(f"f{n}.txt", "x") for n in range(60)], "at most 50"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("entries", "expected"),
    [pytest.param(entries, expected, id=name) for name, entries, expected in MALICIOUS],
)
def test_malicious_and_broken_packages_leave_nothing_behind(
    sessions: sessionmaker[Session],
    settings: ContentSettings,
    tmp_path: Path,
    entries: list[tuple[str | zipfile.ZipInfo, bytes | str]],
    expected: str,
) -> None:
    """Refused with a message naming the problem; no file, no folder, no row."""
    with pytest.raises(PackageError) as raised:
        install(sessions, settings, make_zip(entries), tmp_path)
    assert expected in raised.value.message
    assert_nothing_left(sessions, settings)


def test_a_one_gigabyte_zip_bomb_is_refused_before_unpacking(
    sessions: sessionmaker[Session],
    settings: ContentSettings,
    tmp_path: Path,
    gigabyte_bomb: Path,
) -> None:
    """A zip that expands 1 GiB from about a megabyte: ratio and size limits."""
    assert gigabyte_bomb.stat().st_size < 8 * 1024 * 1024
    with pytest.raises(PackageError) as raised:
        install(sessions, settings, gigabyte_bomb.read_bytes(), tmp_path)
    assert "zip bomb" in raised.value.message
    assert raised.value.status_code == 413
    assert_nothing_left(sessions, settings)


def test_a_header_that_lies_about_its_size_gains_nothing(
    sessions: sessionmaker[Session], settings: ContentSettings, tmp_path: Path
) -> None:
    """Unpacking counts real bytes: an entry declaring 1 KB but holding 1 MB is refused."""
    payload = bytes(1024 * 1024)
    content = bytearray(
        make_zip([("cmi5.xml", cmi5_xml()), ("index.html", "x"), ("big.bin", payload)])
    )
    # Rewrite big.bin's uncompressed size (local header and central directory) to 1024.
    declared = len(payload).to_bytes(4, "little")
    assert content.count(declared) == 2
    content = bytearray(bytes(content).replace(declared, (1024).to_bytes(4, "little")))
    with pytest.raises(PackageError):
        install(sessions, settings, bytes(content), tmp_path)
    assert_nothing_left(sessions, settings)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"PK\x03\x04 this is not really a zip", "neither a zip package nor a cmi5.xml"),
        (bytes(9 * 1024 * 1024), "larger than"),
    ],
    ids=["empty", "not a zip", "too large"],
)
def test_files_that_are_no_package_at_all(
    sessions: sessionmaker[Session],
    settings: ContentSettings,
    tmp_path: Path,
    content: bytes,
    expected: str,
) -> None:
    """Empty, garbage and oversized uploads are refused up front."""
    with pytest.raises(PackageError) as raised:
        install(sessions, settings, content, tmp_path)
    assert expected in raised.value.message
    assert_nothing_left(sessions, settings)


def test_a_failing_commit_removes_the_unpacked_folder(
    sessions: sessionmaker[Session], settings: ContentSettings, tmp_path: Path
) -> None:
    """The folder is renamed in before the commit; if the commit fails it goes again."""

    def explode(session: Session, _row: ContentPackage) -> None:
        def fail(_session: Session) -> None:
            raise RuntimeError("commit failed")

        from sqlalchemy import event

        event.listen(session, "before_commit", fail, once=True)

    upload = tmp_path / "upload.zip"
    upload.write_bytes(good_package())
    with sessions() as session, pytest.raises(RuntimeError):
        install_package(session, "GVPT15", upload, "u.zip", settings, on_installed=explode)
    assert_nothing_left(sessions, settings)


def test_unknown_modules_are_refused_before_anything_is_written(
    sessions: sessionmaker[Session], settings: ContentSettings, tmp_path: Path
) -> None:
    """Only catalog modules get content."""
    with pytest.raises(UnknownModuleError):
        install(sessions, settings, good_package(), tmp_path, module="GVPT 99")
    assert_nothing_left(sessions, settings)


def test_the_migration_builds_exactly_the_content_models(database_url: str) -> None:
    """0006_content creates the tables of ``content_models``, nothing more, nothing less."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect

    import gateway.catalog.content_models  # noqa: F401  (registers the tables)
    from learning_store.database import make_engine
    from learning_store.models import Base

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            differences = [
                d
                for d in compare_metadata(context, Base.metadata)
                if "content_" in repr(d) or "cmi5_" in repr(d)
            ]
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert differences == []
    assert {"content_package", "cmi5_registration", "cmi5_session", "cmi5_progress"} <= tables
