"""Reading and writing the catalog table in the dispatch annex's layout."""

from __future__ import annotations

import io
import unicodedata

import pytest
from openpyxl import Workbook, load_workbook

from gateway.catalog.errors import TableError
from gateway.catalog.seed import seed_rows
from gateway.catalog.tables import (
    HEADERS,
    ModuleRow,
    TableFormat,
    detect_format,
    parse_grid,
    parse_table,
    write_table,
)
from gateway.catalog.terms import format_levels
from tests.catalog_annex import ANNEX

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

CODE = "Mã mô đun BDTX tương ứng"
PERIODS = "số tiết"


def summary(rows: list[ModuleRow]) -> list[tuple[str, str, int, str, str]]:
    """Rows as comparable tuples."""
    return [
        (r.code.display, r.title, r.periods, format_levels(r.levels), r.audience.value)
        for r in rows
    ]


def tsv(*lines: str) -> bytes:
    """A TSV table with the annex header followed by the given lines."""
    return ("\t".join(HEADERS) + "\n" + "".join(line + "\n" for line in lines)).encode()


def errors_of(content: bytes, table_format: TableFormat = TableFormat.TSV) -> set[tuple[int, str]]:
    """(row, column) of every error the table raises."""
    with pytest.raises(TableError) as caught:
        parse_table(content, table_format)
    return {(error.row, error.column) for error in caught.value.errors}


def test_the_annex_reads_as_the_twelve_seed_modules() -> None:
    """BDTX.md seed table: codes, titles, periods, levels and audiences of all 12 modules."""
    rows = parse_table(ANNEX.encode(), TableFormat.TSV)
    assert summary(rows) == EXPECTED
    assert [row.row for row in rows] == list(range(2, 14))
    assert {row.block for row in rows} == {"CT03"}


def test_the_packaged_seed_is_the_annex() -> None:
    """The seed file is the annex itself, parsed by the same code as any import."""
    assert seed_rows() == parse_table(ANNEX.encode(), TableFormat.TSV)


@pytest.mark.parametrize(
    "header",
    [
        ["STT", "CẤP HỌC", "ĐỐI TƯỢNG", "MÔ ĐUN", "SỐ TIẾT", "MÃ MÔ ĐUN BDTX TƯƠNG ỨNG"],
        ["stt", "cap hoc", "doi tuong", "mo dun", "so tiet", "ma mo dun bdtx tuong ung"],
        [unicodedata.normalize("NFD", h) for h in HEADERS],
        [" STT ", "Cấp học:", "Đối tượng", "Tên mô đun", "Số tiết (tiết)", "Mã mô đun"],
        ["No.", "Level", "Audience", "Title", "Periods", "Code"],
    ],
    ids=["upper", "no-diacritics", "nfd", "variants", "english"],
)
def test_headers_match_without_case_diacritics_or_unicode_form(header: list[str]) -> None:
    """Header names are compared after NFC, casefolding and stripping diacritics."""
    content = "\t".join(header) + "\n" + ANNEX.split("\n", 1)[1]
    assert summary(parse_table(content.encode(), TableFormat.TSV)) == EXPECTED


def test_columns_may_come_in_any_order_with_extra_columns() -> None:
    """A province's sheet may add a note column or reorder the annex's."""
    grid = [
        ["Mã mô đun", "Ghi chú", "Mô đun", "Đối tượng", "Cấp học", "Số tiết"],
        ["GVMN 2", "mới", "Quản lý cảm xúc", "GV", "MN", "20"],
    ]
    assert summary(parse_grid(grid)) == [("GVMN 2", "Quản lý cảm xúc", 20, "MN", "GV")]


def test_title_lines_and_blank_rows_around_the_table_are_skipped() -> None:
    """The annex is usually pasted with its title; blank rows and a lone STT are not modules."""
    content = (
        "DANH MỤC HỌC LIỆU SỐ ĐÃ CẬP NHẬT TRÊN TEMIS\n"
        "(Kèm theo Công văn số /NGCBQLGD-PTNGCB ngày tháng 01 năm 2026)\n"
        "\n" + ANNEX + "\n\t\t\t\t\t\n13\t\t\t\t\t\n"
    )
    rows = parse_table(content.encode(), TableFormat.TSV)
    assert summary(rows) == EXPECTED
    assert rows[0].row == 5


def test_csv_with_commas_quotes_and_a_bom() -> None:
    """Excel's "CSV UTF-8": a BOM, and titles with commas quoted."""
    content = (
        "\ufeffSTT,Cấp học,Đối tượng,Mô đun,số tiết,Mã mô đun BDTX tương ứng\r\n"
        '12,"Phổ thông, GDTX",CBQL,"Ứng dụng CNTT, trong quản lý",40,QLPT 18\r\n'
    ).encode()
    assert summary(parse_table(content, TableFormat.CSV)) == [
        ("QLPT 18", "Ứng dụng CNTT, trong quản lý", 40, "PT,GDTX", "CBQL")
    ]


def test_csv_with_semicolons() -> None:
    """Excel in Vietnamese locales separates CSV fields with ";"."""
    content = (
        "STT;Cấp học;Đối tượng;Mô đun;số tiết;Mã mô đun BDTX tương ứng\n"
        "1;MN;GV;Quản lý cảm xúc, bản thân;20;GVMN 2\n"
    ).encode()
    assert summary(parse_table(content, TableFormat.CSV)) == [
        ("GVMN 2", "Quản lý cảm xúc, bản thân", 20, "MN", "GV")
    ]


def test_utf16_text_is_read() -> None:
    """Excel's "Unicode text" export is UTF-16 with a BOM."""
    assert summary(parse_table(ANNEX.encode("utf-16"), TableFormat.TSV)) == EXPECTED


def test_non_utf8_text_is_refused_with_advice() -> None:
    """A legacy-encoded file would garble every title; say how to save it instead."""
    with pytest.raises(TableError, match="UTF-8"):
        parse_table(ANNEX.encode("utf-8")[:-1] + b"\xff\xfe\xfd", TableFormat.TSV)


def test_xlsx_with_a_title_row_and_numeric_cells() -> None:
    """Excel stores STT and periods as numbers (ints or floats)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["DANH MỤC HỌC LIỆU SỐ ĐÃ CẬP NHẬT TRÊN TEMIS"])
    sheet.append(list(HEADERS))
    sheet.append([1, "MN", "GV", "Quản lý cảm xúc", 20, "GVMN 2"])
    sheet.append([2.0, "Phổ thông, GDTX", "GV", "Ứng dụng CNTT", 40.0, "gvpt-015"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows = parse_table(buffer.getvalue(), TableFormat.XLSX)
    assert summary(rows) == [
        ("GVMN 2", "Quản lý cảm xúc", 20, "MN", "GV"),
        ("GVPT 15", "Ứng dụng CNTT", 40, "PT,GDTX", "GV"),
    ]
    assert [row.row for row in rows] == [3, 4]


def test_a_broken_xlsx_is_a_table_error() -> None:
    """A truncated download must not surface as a zipfile traceback."""
    with pytest.raises(TableError, match="XLSX"):
        parse_table(b"PK\x03\x04not really a workbook", TableFormat.XLSX)


def test_every_bad_cell_is_reported_with_row_and_column() -> None:
    """Nothing is imported until the whole table is right, so report all errors at once."""
    content = tsv(
        "1\tMN\tGV\tQuản lý cảm xúc\t20\tGVMN 2",
        "2\tMN\tGV\tMô đun lạ\t20\tGVXX 9",
        "3\tMN\tGV\tSố tiết chữ\thai mươi\tGVMN 7",
        "4\tMN\tGV\t\t20\tGVMN 8",
    )
    assert errors_of(content) == {(3, CODE), (4, PERIODS), (5, "Mô đun")}
    with pytest.raises(TableError) as caught:
        parse_table(content, TableFormat.TSV)
    message = str(caught.value)
    assert "row 3" in message and "GVXX 9" in message
    assert "row 4" in message and "hai mươi" in message


def test_the_2018_curriculum_training_is_refused_in_a_table() -> None:
    """BDTX.md trap: "Mô đun 3" is not a BDTX code and is never mapped."""
    with pytest.raises(TableError, match="2018"):
        parse_table(tsv("1\tPT\tGV\tMô đun 3 GDPT 2018\t40\tMô đun 3"), TableFormat.TSV)


@pytest.mark.parametrize("cell", ["40", "40 tiết", "４０", "40.0", " 40 "])
def test_period_cells_accepted(cell: str) -> None:
    """Whole numbers, with the unit or as Excel renders them."""
    rows = parse_table(tsv(f"1\tMN\tGV\tT\t{cell}\tGVMN 2"), TableFormat.TSV)
    assert rows[0].periods == 40


@pytest.mark.parametrize("cell", ["", "0", "-20", "121", "20.5", "hai mươi", "20/40"])
def test_period_cells_rejected(cell: str) -> None:
    """Periods are a whole number from 1 to a year's 120."""
    assert errors_of(tsv(f"1\tMN\tGV\tT\t{cell}\tGVMN 2")) == {(2, PERIODS)}


def test_duplicate_codes_name_the_first_row() -> None:
    """Two spellings of one code are one module listed twice."""
    content = tsv("1\tPT\tGV\tA\t40\tGVPT15", "2\tPT\tGV\tB\t40\tGVPT 15")
    with pytest.raises(TableError, match="dòng 2") as caught:
        parse_table(content, TableFormat.TSV)
    assert [(e.row, e.column) for e in caught.value.errors] == [(3, CODE)]


def test_audience_must_match_the_code() -> None:
    """A QL code is a managers' module; "GV" beside it is a typo somewhere."""
    assert errors_of(tsv("1\tMN\tGV\tA\t20\tQLMN 8")) == {(2, "Đối tượng")}


@pytest.mark.parametrize(("levels", "code"), [("PT", "GVMN 2"), ("MN", "GVPT 15")])
def test_levels_must_match_the_code(levels: str, code: str) -> None:
    """MN codes are preschool only; PT codes serve PT and GDTX (BDTX.md)."""
    assert errors_of(tsv(f"1\t{levels}\tGV\tA\t20\t{code}")) == {(2, "Cấp học")}


def test_gdtx_only_is_a_valid_level_for_a_pt_code() -> None:
    """GDTX teachers use the GVPT module list."""
    rows = parse_table(tsv("1\tGDTX\tGV\tA\t40\tGVPT 15"), TableFormat.TSV)
    assert format_levels(rows[0].levels) == "GDTX"


def test_a_table_without_the_header_is_refused() -> None:
    """Without the header nothing says which column is which."""
    with pytest.raises(TableError, match="header"):
        parse_table(ANNEX.split("\n", 1)[1].encode(), TableFormat.TSV)


def test_a_header_without_rows_is_refused() -> None:
    """An empty table would remove every module; refuse it."""
    with pytest.raises(TableError, match="no module rows"):
        parse_table(tsv(), TableFormat.TSV)


def test_titles_are_stored_nfc_with_single_spaces() -> None:
    """Titles compare equal whatever Unicode form or spacing the file used."""
    title = unicodedata.normalize("NFD", "Giáo dục  kỹ luật\u00a0tích cực")
    rows = parse_table(tsv(f"1\tMN\tGV\t{title}\t40\tGVMN 25"), TableFormat.TSV)
    assert rows[0].title == "Giáo dục kỹ luật tích cực"


@pytest.mark.parametrize("table_format", list(TableFormat))
def test_written_tables_read_back_unchanged(table_format: TableFormat) -> None:
    """Export then import is the identity: same rows, same row numbers."""
    rows = parse_table(ANNEX.encode(), TableFormat.TSV)
    assert parse_table(write_table(rows, table_format), table_format) == rows


def test_tsv_export_reproduces_the_annex_with_canonical_codes() -> None:
    """The export is the annex layout; only "GVPT15" is written canonically."""
    rows = parse_table(ANNEX.encode(), TableFormat.TSV)
    exported = write_table(rows, TableFormat.TSV).decode()
    assert exported == ANNEX.replace("\tGVPT15\n", "\tGVPT 15\n")


def test_csv_export_has_a_bom_for_excel() -> None:
    """Without the BOM Excel opens UTF-8 CSV as ANSI and garbles Vietnamese."""
    content = write_table(seed_rows(), TableFormat.CSV)
    assert content.startswith(b"\xef\xbb\xbf")
    assert '"Phổ thông, GDTX"' in content.decode("utf-8-sig")


def test_xlsx_export_keeps_numbers_numeric() -> None:
    """STT and periods stay numbers so sums work in Excel."""
    content = write_table(seed_rows(), TableFormat.XLSX)
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert [cell.value for cell in sheet[1]] == list(HEADERS)
    assert [cell.value for cell in sheet[13]] == [
        12,
        "Phổ thông, GDTX",
        "CBQL",
        "Ứng dụng CNTT trong quản lý nhà trường",
        40,
        "QLPT 18",
    ]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("danh-muc.csv", b"", TableFormat.CSV),
        ("danh-muc.TSV", b"", TableFormat.TSV),
        ("danh-muc.txt", b"", TableFormat.TSV),
        ("danh-muc.xlsx", b"", TableFormat.XLSX),
        ("download", b"PK\x03\x04....", TableFormat.XLSX),
    ],
)
def test_detect_format(name: str, content: bytes, expected: TableFormat) -> None:
    """By extension, or by the ZIP signature for an XLSX without one."""
    assert detect_format(name, content) is expected


@pytest.mark.parametrize(("name", "fragment"), [("old.xls", "xlsx"), ("table.pdf", "unknown")])
def test_unsupported_formats_are_named(name: str, fragment: str) -> None:
    """Old .xls and anything else get a clear refusal."""
    with pytest.raises(TableError, match=fragment):
        detect_format(name)
