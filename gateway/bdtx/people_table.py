"""Reading a people table (CSV or XLSX) for ``gateway people import`` and the API.

Columns are matched leniently (case, diacritics, Vietnamese or English names); every bad
cell is reported with its row and column before anything is stored. Layout (one person a
row; the first four columns and the school code are required):

``Mã TEMIS | Họ và tên | Đối tượng (GV/CBQL) | Cấp học (MN/PT/GDTX) | Mã trường |
Tên trường | Tỉnh/Thành phố | Email | LMS (homePage) | Tài khoản LMS``

The last two give an LMS account (``homePage`` is the LMS's address, as in an LTI
launch's ``iss`` or an xAPI ``account.homePage``); the e-mail links ``mbox`` statements.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Sequence
from pathlib import Path

from gateway.bdtx.errors import BdtxInputError, CellError, PeopleTableError
from gateway.bdtx.people import PersonData, account_ifi, check_person
from gateway.catalog.text import search_key

COLUMNS: dict[str, str] = {
    "temis_id": "Mã TEMIS",
    "name": "Họ và tên",
    "role": "Đối tượng",
    "level": "Cấp học",
    "school_code": "Mã trường",
    "school_name": "Tên trường",
    "province": "Tỉnh/Thành phố",
    "email": "Email",
    "lms_homepage": "LMS",
    "lms_account": "Tài khoản LMS",
}
REQUIRED = ("temis_id", "name", "role", "level", "school_code")
_NAMES: dict[str, str] = {
    "ma temis": "temis_id",
    "ma dinh danh": "temis_id",
    "ma dinh danh temis": "temis_id",
    "temis id": "temis_id",
    "temis_id": "temis_id",
    "ho va ten": "name",
    "ho ten": "name",
    "name": "name",
    "doi tuong": "role",
    "vai tro": "role",
    "chuc vu": "role",
    "role": "role",
    "cap hoc": "level",
    "level": "level",
    "ma truong": "school_code",
    "school code": "school_code",
    "school_code": "school_code",
    "ten truong": "school_name",
    "truong": "school_name",
    "school": "school_name",
    "school_name": "school_name",
    "tinh thanh pho": "province",
    "tinh": "province",
    "province": "province",
    "email": "email",
    "e mail": "email",
    "thu dien tu": "email",
    "lms": "lms_homepage",
    "lms homepage": "lms_homepage",
    "lms_homepage": "lms_homepage",
    "homepage": "lms_homepage",
    "tai khoan lms": "lms_account",
    "tai khoan": "lms_account",
    "lms account": "lms_account",
    "lms_account": "lms_account",
    "account": "lms_account",
}
_NOISE = re.compile(r"\([^)]*\)|[^\w\s]")
HEADER_SEARCH_ROWS = 10


def _key(cell: object) -> str:
    return " ".join(_NOISE.sub(" ", search_key(_text(cell))).split())


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_people_file(path: Path | str) -> list[tuple[PersonData, list[str]]]:
    """Read and check a people file (``.csv`` or ``.xlsx``)."""
    path = Path(path)
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise PeopleTableError(f"không đọc được / cannot read {path}: {exc.strerror}") from exc
    return parse_people(content, path.name)


def parse_people(content: bytes, name: str = "people.csv") -> list[tuple[PersonData, list[str]]]:
    """Check a people table's bytes; :class:`PeopleTableError` lists every bad cell."""
    grid: Sequence[Sequence[object]]
    if name.lower().endswith(".xlsx") or content.startswith(b"PK\x03\x04"):
        grid = _xlsx_grid(content)
    else:
        grid = _csv_grid(content)
    return parse_grid(grid)


def parse_grid(grid: Sequence[Sequence[object]]) -> list[tuple[PersonData, list[str]]]:
    """Rows of people and the identity IFIs given for each."""
    header_at, columns = _find_header(grid)
    errors: list[CellError] = []
    rows: list[tuple[PersonData, list[str]]] = []
    seen: dict[str, int] = {}
    for offset, record in enumerate(grid[header_at + 1 :], start=header_at + 2):
        values = {
            field: _text(record[i]) if i < len(record) else "" for field, i in columns.items()
        }
        if not any(values.values()):
            continue
        try:
            data = check_person(
                temis_id=values.get("temis_id"),
                name=values.get("name"),
                role=values.get("role"),
                level=values.get("level"),
                school_code=values.get("school_code"),
                school_name=values.get("school_name"),
                province=values.get("province"),
                email=values.get("email"),
            )
        except BdtxInputError as exc:
            errors.append(CellError(offset, COLUMNS.get(exc.field, exc.field), _reason(exc)))
            continue
        if data.temis_id in seen:
            errors.append(
                CellError(
                    offset,
                    COLUMNS["temis_id"],
                    f"trùng với dòng / same as row {seen[data.temis_id]}",
                )
            )
            continue
        seen[data.temis_id] = offset
        ifis: list[str] = []
        homepage, account = values.get("lms_homepage", ""), values.get("lms_account", "")
        if account and not homepage:
            errors.append(
                CellError(offset, COLUMNS["lms_homepage"], "cần khi có tài khoản / required")
            )
            continue
        if homepage and account:
            ifis.append(account_ifi(homepage, account))
        rows.append((data, ifis))
    if errors:
        raise PeopleTableError(errors)
    if not rows:
        raise PeopleTableError("bảng không có dòng nào / the table has no rows")
    return rows


def _reason(exc: BdtxInputError) -> str:
    prefix = f"{exc.field}: "
    return exc.message[len(prefix) :] if exc.message.startswith(prefix) else exc.message


def _find_header(grid: Sequence[Sequence[object]]) -> tuple[int, dict[str, int]]:
    for at, record in enumerate(grid[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for i, cell in enumerate(record):
            field = _NAMES.get(_key(cell))
            if field is not None and field not in columns:
                columns[field] = i
        if all(field in columns for field in REQUIRED):
            return at, columns
    raise PeopleTableError(
        "không tìm thấy dòng tiêu đề có các cột / no header row with the columns "
        + ", ".join(COLUMNS[f] for f in REQUIRED)
    )


def _csv_grid(content: bytes) -> list[list[str]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PeopleTableError(
            "tệp phải là UTF-8 (Excel: CSV UTF-8) / the file must be UTF-8 text"
        ) from exc
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    return [list(record) for record in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx_grid(content: bytes) -> list[list[object]]:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError and XML errors alike
        raise PeopleTableError(f"không đọc được XLSX / cannot read the XLSX file: {exc}") from exc
    try:
        return [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    finally:
        workbook.close()
