"""Reading and writing the catalog table in the layout of the dispatch's annex.

The annex ("Danh mục học liệu số đã cập nhật trên TEMIS") has the columns STT, Cấp học,
Đối tượng, Mô đun, số tiết, Mã mô đun BDTX tương ứng. Provinces and the Ministry pass it
around as Word tables pasted into Excel, CSV exports with ``,`` or ``;``, and TSV, so
headers are matched leniently (case, diacritics, Unicode form), a title line above the
header is skipped, and every bad cell is reported with its row and column before anything
is stored.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

from gateway.catalog.codes import ModuleCode, parse_module_code
from gateway.catalog.errors import CatalogError, RowError, TableError
from gateway.catalog.terms import (
    DEFAULT_BLOCK,
    Audience,
    Level,
    level_label,
    parse_audience,
    parse_levels,
)
from gateway.catalog.text import normalize_text, search_key

# One school year's whole BDTX is 120 periods; a single module above that is a typo.
MAX_PERIODS = 120
MAX_TITLE_LENGTH = 500
# How far down a header row is looked for (title lines, blank lines above it).
HEADER_SEARCH_ROWS = 20

HEADERS: tuple[str, ...] = (
    "STT",
    "Cấp học",
    "Đối tượng",
    "Mô đun",
    "số tiết",
    "Mã mô đun BDTX tương ứng",
)


class TableFormat(StrEnum):
    """File formats the catalog reads and writes."""

    CSV = "csv"
    TSV = "tsv"
    XLSX = "xlsx"


class Column(StrEnum):
    """The annex columns, by role."""

    STT = "stt"
    LEVEL = "level"
    AUDIENCE = "audience"
    TITLE = "title"
    PERIODS = "periods"
    CODE = "code"


REQUIRED_COLUMNS: tuple[Column, ...] = (
    Column.LEVEL,
    Column.AUDIENCE,
    Column.TITLE,
    Column.PERIODS,
    Column.CODE,
)

# Header cells after _header_key(); Vietnamese from the annex, English from our exports
# of other tools.
_COLUMN_NAMES: dict[str, Column] = {
    "stt": Column.STT,
    "so thu tu": Column.STT,
    "tt": Column.STT,
    "no": Column.STT,
    "#": Column.STT,
    "cap hoc": Column.LEVEL,
    "level": Column.LEVEL,
    "levels": Column.LEVEL,
    "doi tuong": Column.AUDIENCE,
    "audience": Column.AUDIENCE,
    "mo dun": Column.TITLE,
    "ten mo dun": Column.TITLE,
    "hoc lieu": Column.TITLE,
    "ten hoc lieu": Column.TITLE,
    "module": Column.TITLE,
    "title": Column.TITLE,
    "so tiet": Column.PERIODS,
    "tiet": Column.PERIODS,
    "periods": Column.PERIODS,
    "ma mo dun bdtx tuong ung": Column.CODE,
    "ma mo dun bdtx": Column.CODE,
    "ma mo dun": Column.CODE,
    "ma bdtx": Column.CODE,
    "code": Column.CODE,
    "module code": Column.CODE,
}

_PERIODS = re.compile(r"^([0-9]+)(?:[.,]0+)?(?:\s*tiet)?$")
# Parenthesised units and punctuation: "Số tiết (tiết):" is "so tiet".
_HEADER_NOISE = re.compile(r"\([^)]*\)|[^\w\s#]")


@dataclass(frozen=True)
class ModuleRow:
    """One module line of a catalog table; ``row`` is its 1-based row in the file."""

    row: int
    code: ModuleCode
    title: str
    periods: int
    levels: tuple[Level, ...]
    audience: Audience
    block: str = DEFAULT_BLOCK


def detect_format(name: str, content: bytes = b"") -> TableFormat:
    """The format from the file name, or from the content for an unknown extension."""
    suffix = Path(name).suffix.lower()
    if suffix == ".xlsx" or content.startswith(b"PK\x03\x04"):
        return TableFormat.XLSX
    if suffix in (".tsv", ".tab", ".txt"):
        return TableFormat.TSV
    if suffix == ".csv":
        return TableFormat.CSV
    if suffix == ".xls":
        raise TableError(
            "Tệp .xls (Excel 97-2003) không được hỗ trợ, hãy lưu thành .xlsx / "
            ".xls files are not supported, save the sheet as .xlsx"
        )
    raise TableError(
        f"Không nhận ra định dạng tệp {name!r} (cần .csv, .tsv hoặc .xlsx) / "
        f"unknown file format {name!r} (expected .csv, .tsv or .xlsx)"
    )


def read_table(path: Path | str, table_format: TableFormat | None = None) -> list[ModuleRow]:
    """Read and check a catalog table file; raises :class:`TableError` listing every bad cell."""
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise TableError(f"Không đọc được tệp / cannot read {path}: {exc.strerror}") from exc
    return parse_table(content, table_format or detect_format(path.name, content))


def parse_table(content: bytes, table_format: TableFormat) -> list[ModuleRow]:
    """Parse the bytes of a catalog table in the given format."""
    if table_format is TableFormat.XLSX:
        return parse_grid(_xlsx_grid(content))
    text = _decode(content)
    if table_format is TableFormat.TSV:
        return parse_grid(_text_grid(text, "\t"))
    # Excel writes ";" for CSV where the decimal mark is ",", as in Vietnamese locales.
    first_error: TableError | None = None
    for delimiter in (",", ";", "\t"):
        grid = _text_grid(text, delimiter)
        try:
            _find_header(grid)
        except TableError as exc:
            first_error = first_error or exc
            continue
        return parse_grid(grid)
    assert first_error is not None
    raise first_error


def parse_grid(grid: Sequence[Sequence[object]]) -> list[ModuleRow]:
    """Check a grid of cells (first row = row 1) and return its module rows, in order."""
    header_index, columns = _find_header(grid)
    names = {column: name for column, (_position, name) in columns.items()}
    errors: list[RowError] = []
    rows: list[ModuleRow] = []
    first_row_of: dict[str, int] = {}
    for index in range(header_index + 1, len(grid)):
        record = grid[index]
        cells = {
            column: _cell_text(record[position]).strip() if position < len(record) else ""
            for column, (position, _name) in columns.items()
        }
        # Blank lines and a lone STT left at the end of a pasted table are not modules.
        if not any(value for column, value in cells.items() if column is not Column.STT):
            continue
        row_number = index + 1
        row, row_errors = _parse_row(row_number, cells, names)
        errors.extend(row_errors)
        if row is None:
            continue
        if row.code.key in first_row_of:
            errors.append(
                RowError(
                    row_number,
                    names[Column.CODE],
                    f"mã {row.code.display} trùng với dòng {first_row_of[row.code.key]} / "
                    f"code {row.code.display} repeats row {first_row_of[row.code.key]}",
                )
            )
            continue
        first_row_of[row.code.key] = row_number
        rows.append(row)
    if errors:
        raise TableError(errors)
    if not rows:
        raise TableError("Bảng không có dòng mô đun nào / the table has no module rows")
    return rows


def write_table(rows: Iterable[ModuleRow], table_format: TableFormat) -> bytes:
    """The rows in the annex layout; STT is renumbered from 1."""
    grid: list[list[str | int]] = [list(HEADERS)]
    for number, row in enumerate(rows, start=1):
        grid.append(
            [
                number,
                level_label(row.levels),
                row.audience.value,
                row.title,
                row.periods,
                row.code.display,
            ]
        )
    if table_format is TableFormat.XLSX:
        return _xlsx_bytes(grid)
    buffer = io.StringIO()
    if table_format is TableFormat.TSV:
        csv.writer(buffer, delimiter="\t", lineterminator="\n").writerows(grid)
        return buffer.getvalue().encode("utf-8")
    csv.writer(buffer).writerows(grid)
    # The BOM makes Excel open a UTF-8 CSV with its Vietnamese letters intact.
    return buffer.getvalue().encode("utf-8-sig")


def _parse_row(
    row_number: int, cells: dict[Column, str], names: dict[Column, str]
) -> tuple[ModuleRow | None, list[RowError]]:
    errors: list[RowError] = []

    def fail(column: Column, message: str) -> None:
        errors.append(RowError(row_number, names[column], message))

    code: ModuleCode | None = None
    try:
        code = parse_module_code(cells[Column.CODE])
    except CatalogError as exc:
        fail(Column.CODE, exc.message)

    title = normalize_text(cells[Column.TITLE])
    if not title:
        fail(Column.TITLE, "tên mô đun trống / module title is empty")
    elif len(title) > MAX_TITLE_LENGTH:
        fail(Column.TITLE, f"dài quá {MAX_TITLE_LENGTH} ký tự / longer than {MAX_TITLE_LENGTH}")

    periods = _parse_periods(cells[Column.PERIODS])
    if periods is None:
        fail(
            Column.PERIODS,
            f"số tiết phải là số nguyên từ 1 đến {MAX_PERIODS}, không phải "
            f"{cells[Column.PERIODS]!r} / periods must be a whole number from 1 to "
            f"{MAX_PERIODS}, not {cells[Column.PERIODS]!r}",
        )

    levels: tuple[Level, ...] | None = None
    try:
        levels = parse_levels(cells[Column.LEVEL])
    except CatalogError as exc:
        fail(Column.LEVEL, exc.message)

    audience: Audience | None = None
    try:
        audience = parse_audience(cells[Column.AUDIENCE])
    except CatalogError as exc:
        fail(Column.AUDIENCE, exc.message)

    if code is not None and audience is not None and audience is not code.audience:
        fail(
            Column.AUDIENCE,
            f"đối tượng {audience} không khớp mã {code.display} ({code.audience}) / "
            f"audience {audience} does not match code {code.display} ({code.audience})",
        )
    if code is not None and levels is not None and not _levels_fit(code, levels):
        allowed = "MN" if code.level is Level.MN else "PT, GDTX"
        fail(
            Column.LEVEL,
            f"cấp học {','.join(levels)} không khớp mã {code.display} (chỉ {allowed}) / "
            f"levels {','.join(levels)} do not match code {code.display} (only {allowed})",
        )

    if errors or code is None or periods is None or levels is None or audience is None:
        return None, errors
    return ModuleRow(row_number, code, title, periods, levels, audience), []


def _levels_fit(code: ModuleCode, levels: tuple[Level, ...]) -> bool:
    # GDTX centres' teachers and managers follow the PT module lists (BDTX.md).
    if code.level is Level.MN:
        return levels == (Level.MN,)
    return set(levels) <= {Level.PT, Level.GDTX}


def _parse_periods(text: str) -> int | None:
    match = _PERIODS.match(search_key(unicodedata.normalize("NFKC", text)))
    if match is None:
        return None
    periods = int(match.group(1))
    return periods if 1 <= periods <= MAX_PERIODS else None


def _find_header(grid: Sequence[Sequence[object]]) -> tuple[int, dict[Column, tuple[int, str]]]:
    """The header row's index and, per column role, its position and header text."""
    for index, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
        columns: dict[Column, tuple[int, str]] = {}
        for position, cell in enumerate(cells):
            column = _COLUMN_NAMES.get(_header_key(_cell_text(cell)))
            if column is not None and column not in columns:
                columns[column] = (position, normalize_text(_cell_text(cell)))
        if all(column in columns for column in REQUIRED_COLUMNS):
            return index, columns
    raise TableError(
        "Không tìm thấy dòng tiêu đề có các cột / no header row with the columns: "
        + ", ".join(HEADERS[1:])
    )


def _header_key(text: str) -> str:
    return " ".join(_HEADER_NOISE.sub(" ", search_key(text)).split())


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return content.decode("utf-16")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(
            "Tệp phải là văn bản UTF-8 (trong Excel: Lưu thành CSV UTF-8) / "
            "the file must be UTF-8 text (in Excel: Save as CSV UTF-8)"
        ) from exc


def _text_grid(text: str, delimiter: str) -> list[list[str]]:
    return [list(record) for record in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx_grid(content: bytes) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        # Real-world workbooks trip openpyxl's warnings (unknown extensions, no default
        # style); they say nothing about the cells we read.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and XML errors alike
        raise TableError(f"Không đọc được tệp XLSX / cannot read the XLSX file: {exc}") from exc
    try:
        sheet = workbook.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _xlsx_bytes(grid: list[list[str | int]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Danh mục học liệu"
    for record in grid:
        sheet.append(record)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEF", (6, 16, 10, 80, 8, 26), strict=True):
        sheet.column_dimensions[letter].width = width
    for row in sheet.iter_rows(min_row=2, min_col=4, max_col=4):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
