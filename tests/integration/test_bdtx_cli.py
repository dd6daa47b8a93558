"""``gateway people``, ``gateway bdtx`` and ``gateway temis`` as a user runs them (processes)."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from gateway.bdtx import ledger, outbox
from gateway.bdtx.models import Identity, Person
from gateway.bdtx.settings import BdtxSettings
from gateway.catalog.models import CatalogModule
from gateway.catalog.seed import ensure_seeded
from gateway.db import Database
from learning_store.statements import WriteContext, store_statements

GATEWAY = str(Path(sys.executable).parent / "gateway")
LMS = "https://lms.sogd-hanoi.example"


def _run(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GATEWAY_DATABASE_URL": database_url}
    return subprocess.run([GATEWAY, *args], env=env, capture_output=True, text=True, timeout=60)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """The test database with the seed catalog."""
    db = Database(database_url)
    db.transaction(ensure_seeded)
    yield db
    db.dispose()


def _people_xlsx(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["DANH SÁCH GIÁO VIÊN NĂM HỌC 2025-2026"])  # a title line above the header
    sheet.append(["Mã TEMIS", "Họ và tên", "Đối tượng", "Cấp học", "Mã trường", "Tên trường",
                  "Tỉnh/Thành phố", "Email", "LMS", "Tài khoản LMS"])  # fmt: skip
    sheet.append([79001, "Nguyễn Thị An", "Giáo viên", "Mầm non", "HN-MN-0042",
                  "MN Hoa Sen", "Hà Nội", "an@school.edu.vn", LMS, "gv-001"])  # fmt: skip
    sheet.append(["079002", "Trần Văn Bình", "CBQL", "PT", "HN-MN-0042", "MN Hoa Sen",
                  "Hà Nội", None, None, None])  # fmt: skip
    book.save(path)


def test_people_import_links_identities(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    """``gateway people import FILE`` (XLSX): people saved, account and e-mail linked."""
    path = tmp_path / "people.xlsx"
    _people_xlsx(path)
    dry = _run(database_url, "people", "import", str(path), "--dry-run")
    assert dry.returncode == 1 and "2" in dry.stdout
    assert database.transaction(lambda s: s.scalar(select(func.count()).select_from(Person))) == 0
    done = _run(database_url, "people", "import", str(path))
    assert done.returncode == 0, done.stderr
    assert "created 2" in done.stdout
    ifis = database.transaction(lambda s: sorted(s.scalars(select(Identity.ifi))))
    assert ifis == [
        f"Agent|account|{LMS}|gv-001",
        "Agent|mbox_sha1sum|" + hashlib.sha1(b"mailto:an@school.edu.vn").hexdigest(),
        "Agent|mbox|mailto:an@school.edu.vn",
    ]
    listed = _run(database_url, "people", "list", "--school", "HN-MN-0042")
    assert listed.stdout.splitlines() == [
        "79001\tNguyễn Thị An\tGV\tMN\tHN-MN-0042",
        "079002\tTrần Văn Bình\tCBQL\tPT\tHN-MN-0042",
    ]


def test_a_bad_people_file_names_every_bad_cell_and_stores_nothing(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    """Bad input: every bad cell with its row and column; nothing stored."""
    path = tmp_path / "people.csv"
    path.write_text(
        "Mã TEMIS;Họ và tên;Đối tượng;Cấp học;Mã trường\n"
        "079001;Nguyễn Thị An;GV;MN;HN-1\n"
        ";Không Mã;GV;MN;HN-1\n"
        "079003;Lê Chi;hiệu trưởng;MN;HN-1\n"
        "079001;Trùng Mã;GV;MN;HN-1\n",
        encoding="utf-8",
    )
    bad = _run(database_url, "people", "import", str(path))
    assert bad.returncode == 2
    assert "row 3, cột / column 'Mã TEMIS'" in bad.stderr
    assert "row 4, cột / column 'Đối tượng'" in bad.stderr
    assert "row 5, cột / column 'Mã TEMIS'" in bad.stderr and "row 2" in bad.stderr
    assert database.transaction(lambda s: s.scalar(select(func.count()).select_from(Person))) == 0


def _earn(database: Database, database_url: str, tmp_path: Path) -> None:
    """Teacher 079001 finishes GVMN 25 with 9/10 on 1 October 2025."""
    path = tmp_path / "people.xlsx"
    _people_xlsx(path)
    assert _run(database_url, "people", "import", str(path)).returncode == 0
    iri = database.transaction(
        lambda s: s.scalar(select(CatalogModule.activity_id).where(CatalogModule.key == "GVMN25"))
    )
    actor = {"objectType": "Agent", "account": {"homePage": LMS, "name": "gv-001"}}
    statements = [
        {"id": str(uuid.uuid4()), "actor": actor, "object": {"id": iri},
         "verb": {"id": f"http://adlnet.gov/expapi/verbs/{verb}"},
         "timestamp": "2025-10-01T09:00:00+07:00", "result": {"score": {"scaled": 0.9}}}
        for verb in ("completed", "passed")
    ]  # fmt: skip
    context = WriteContext({"objectType": "Agent", "mbox": "mailto:t@t.vn"}, None, "1.0")
    database.transaction(store_statements, statements, context)
    assert database.transaction(ledger.consume, BdtxSettings()).read == 2


def test_export_per_school_and_year(database: Database, database_url: str, tmp_path: Path) -> None:
    """File connector: XLSX and CSV per school and year in the result-record layout."""
    _earn(database, database_url, tmp_path)
    out = tmp_path / "exports"
    done = _run(database_url, "temis", "export", "--year", "2025-2026", "--format", "csv",
                "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    content = (out / "bdtx_HN-MN-0042_2025-2026.csv").read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with a BOM
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[1] == [
        "1", "79001", "Nguyễn Thị An", "GV", "MN", "HN-MN-0042", "MN Hoa Sen", "Hà Nội",
        "2025-2026", "CT03", "GVMN 25", "Giáo dục kỹ luật tích cực cho trẻ em lứa tuổi mầm non",
        "40", "9.0", "Hoàn thành", "2025-10-01", "LMS kết nối TEMIS",
        "79001:GVMN25:2025-2026:lms:r1",
    ]  # fmt: skip
    assert len(rows) == 2
    xlsx = _run(database_url, "temis", "export", "--year", "2025-2026", "--school", "HN-MN-0042",
                "--out", str(out))  # fmt: skip
    assert xlsx.returncode == 0, xlsx.stderr
    sheet = load_workbook(out / "bdtx_HN-MN-0042_2025-2026.xlsx").active
    assert sheet is not None
    assert [c.value for c in sheet[2]][10:13] == ["GVMN 25", rows[1][11], 40]
    nothing = _run(database_url, "temis", "export", "--year", "2024-2025", "--out", str(out))
    assert nothing.returncode == 1
    bad = _run(database_url, "temis", "export", "--year", "2025", "--out", str(out))
    assert bad.returncode == 2 and "school_year" in bad.stderr


def test_status_and_retry_of_dead_letters(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    """``gateway temis status`` shows the queue; ``gateway temis retry`` revives dead letters."""
    _earn(database, database_url, tmp_path)
    [item] = database.transaction(outbox.claim, ["temis.http"], 10)
    database.transaction(
        outbox.mark_failed, item.id, "HTTP 409: conflict", outbox.RetryPolicy(), True
    )
    status = _run(database_url, "temis", "status")
    assert status.returncode == 0
    assert "ledger: feed position 2 of 2 (lag 0)" in status.stdout
    assert "temis.http            0          0          0          1" in status.stdout
    assert "HTTP 409: conflict" in status.stdout
    retried = _run(database_url, "temis", "retry")
    assert retried.returncode == 0 and "queued again: 1" in retried.stdout
    assert database.transaction(outbox.status_counts) == {("temis.http", "pending"): 1}
    assert _run(database_url, "temis", "retry").returncode == 1
    rebuilt = _run(database_url, "bdtx", "rebuild")
    assert rebuilt.returncode == 0 and "0 credits changed" in rebuilt.stdout
