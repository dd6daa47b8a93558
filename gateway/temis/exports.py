"""The ``file`` connector: a school's year of results as XLSX or CSV for manual upload.

One row per credited module (person, module, school year), in the columns of a BDTX
result record (BDTX.md, "A BDTX result record"), Vietnamese headers first. CSV is UTF-8
with a byte-order mark so that Excel opens Vietnamese text correctly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.bdtx.deliveries import RESULT_DONE, idempotency_key
from gateway.bdtx.models import CREDITED, Credit, Person
from gateway.bdtx.settings import BdtxSettings
from gateway.bdtx.years import canonical_year
from gateway.catalog.codes import parse_module_code
from gateway.catalog.models import CatalogModuleVersion

HEADERS: tuple[str, ...] = (
    "STT",
    "Mã định danh TEMIS",
    "Họ và tên",
    "Đối tượng",
    "Cấp học",
    "Mã trường",
    "Tên trường",
    "Tỉnh/Thành phố",
    "Năm học",
    "Khối nội dung",
    "Mã mô đun",
    "Tên mô đun",
    "Số tiết",
    "Điểm",
    "Kết quả",
    "Ngày hoàn thành",
    "Hình thức",
    "Mã giao dịch",
)


class ExportFormat(StrEnum):
    """Export file formats."""

    CSV = "csv"
    XLSX = "xlsx"


@dataclass(frozen=True)
class SchoolExport:
    """One school's file."""

    school_code: str
    school_year: str
    rows: list[list[str | int | float]]

    def filename(self, fmt: ExportFormat) -> str:
        """``bdtx_<school>_<year>.<ext>``, safe for any file system."""
        safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in self.school_code)
        return f"bdtx_{safe}_{self.school_year}.{fmt.value}"


def school_exports(
    session: Session, settings: BdtxSettings, year: str, school_code: str | None = None
) -> list[SchoolExport]:
    """The rows of every school (or one) for a school year."""
    year = canonical_year(year)
    query = (
        select(Credit, Person, CatalogModuleVersion.title)
        .join(Person, Person.id == Credit.person_id)
        .join(CatalogModuleVersion, CatalogModuleVersion.id == Credit.version_id)
        .where(Credit.school_year == year, Credit.status == CREDITED)
        .order_by(Person.school_code, Person.name, Person.temis_id, Credit.module_key)
    )
    if school_code is not None:
        query = query.where(Person.school_code == school_code)
    grouped: dict[str, list[list[str | int | float]]] = {}
    for credit, person, title in session.execute(query):
        rows = grouped.setdefault(person.school_code, [])
        rows.append(
            [
                len(rows) + 1,
                person.temis_id,
                person.name,
                person.role,
                person.level,
                person.school_code,
                person.school_name,
                person.province,
                year,
                credit.block,
                parse_module_code(credit.module_key).display,
                title,
                credit.periods,
                "" if credit.score is None else credit.score,
                RESULT_DONE,
                credit.earned_at[:10],
                "LMS kết nối TEMIS",
                idempotency_key(
                    person.temis_id, credit.module_key, year, settings.source, credit.revision
                ),
            ]
        )
    return [SchoolExport(code, year, rows) for code, rows in grouped.items()]


def render(export: SchoolExport, fmt: ExportFormat) -> bytes:
    """The file's bytes."""
    if fmt is ExportFormat.CSV:
        return _csv([list(HEADERS), *export.rows])
    return _xlsx([list(HEADERS), *export.rows], export.school_code, export.school_year)


def _csv(grid: Sequence[Sequence[str | int | float]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(grid)
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx(grid: Sequence[Sequence[str | int | float]], school: str, year: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = f"BDTX {year}"[:31]
    for record in grid:
        sheet.append(list(record))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = (6, 18, 28, 10, 8, 14, 30, 16, 11, 10, 12, 60, 8, 7, 14, 14, 18, 36)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    workbook.properties.title = f"BDTX {school} {year}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
