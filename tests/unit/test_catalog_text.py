"""Title normalisation, accent-free search keys and the annex vocabulary."""

from __future__ import annotations

import unicodedata

import pytest

from gateway.catalog.errors import TermError
from gateway.catalog.terms import (
    Audience,
    Level,
    format_levels,
    level_label,
    levels_from_storage,
    parse_audience,
    parse_levels,
)
from gateway.catalog.text import normalize_text, search_key


def test_normalize_text_composes_trims_and_collapses_whitespace() -> None:
    """NFD input (macOS, some PDFs) and Word's no-break spaces give the NFC title."""
    raw = unicodedata.normalize("NFD", "  Giáo dục\u00a0 kỹ luật\n\ttích cực  ")
    normalized = normalize_text(raw)
    assert normalized == "Giáo dục kỹ luật tích cực"
    assert unicodedata.is_normalized("NFC", normalized)


def test_normalize_text_keeps_case_and_punctuation() -> None:
    """Titles are shown as the Ministry wrote them."""
    title = "Ứng dụng công nghệ thông tin (CNTT) để nâng cao chất lượng"
    assert normalize_text(title) == title


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("kỷ luật", "ky luat"),
        ("Giáo dục KỸ LUẬT tích cực", "giao duc ky luat tich cuc"),
        ("Đánh giá", "danh gia"),
        ("đường", "duong"),
        ("ỨNG DỤNG CNTT", "ung dung cntt"),
        (unicodedata.normalize("NFD", "Phổ thông"), "pho thong"),
        ("  nhiều   khoảng  trắng ", "nhieu khoang trang"),
        ("ＧＶＰＴ１５", "gvpt15"),
    ],
)
def test_search_key_drops_diacritics_and_case(text: str, key: str) -> None:
    """ "ky luat" must find "kỷ luật": diacritics stripped, đ as d, casefolded."""
    assert search_key(text) == key


def test_search_key_finds_both_spellings_of_ky_luat() -> None:
    """The annex writes "kỹ luật" (tilde); people type "kỷ luật" (hook) or no marks."""
    assert search_key("kỷ luật") == search_key("kỹ luật") == search_key("KY LUAT")


@pytest.mark.parametrize(
    ("cell", "levels"),
    [
        ("MN", (Level.MN,)),
        ("mầm non", (Level.MN,)),
        ("Phổ thông, GDTX", (Level.PT, Level.GDTX)),
        ("GDTX; PT", (Level.PT, Level.GDTX)),
        ("pho thong va giao duc thuong xuyen", (Level.PT, Level.GDTX)),
        ("PT/GDTX", (Level.PT, Level.GDTX)),
        ("PT, PT", (Level.PT,)),
        (unicodedata.normalize("NFD", "Phổ thông"), (Level.PT,)),
    ],
)
def test_level_cells_are_read_leniently(cell: str, levels: tuple[Level, ...]) -> None:
    """The annex's "Phổ thông, GDTX" means levels PT and GDTX."""
    assert parse_levels(cell) == levels


@pytest.mark.parametrize("cell", ["", "THCS", "MN, đại học", ","])
def test_unknown_levels_are_rejected(cell: str) -> None:
    """Only MN, PT and GDTX are BDTX levels (TT 19/2019)."""
    with pytest.raises(TermError):
        parse_levels(cell)


def test_levels_storage_and_table_forms() -> None:
    """Stored as "PT,GDTX" in fixed order; written back as the annex writes it."""
    levels = (Level.GDTX, Level.PT)
    assert format_levels(levels) == "PT,GDTX"
    assert levels_from_storage("PT,GDTX") == (Level.PT, Level.GDTX)
    assert level_label(levels) == "Phổ thông, GDTX"
    assert level_label((Level.MN,)) == "MN"


@pytest.mark.parametrize(
    ("cell", "audience"),
    [
        ("GV", Audience.GV),
        ("gv", Audience.GV),
        ("Giáo viên", Audience.GV),
        ("CBQL", Audience.CBQL),
        ("QL", Audience.CBQL),
        ("cán bộ quản lý", Audience.CBQL),
    ],
)
def test_audience_cells(cell: str, audience: Audience) -> None:
    """Teachers (GV) or school managers (CBQL)."""
    assert parse_audience(cell) == audience


def test_unknown_audience_is_rejected() -> None:
    """A learner or a parent is not a BDTX audience."""
    with pytest.raises(TermError, match="học sinh"):
        parse_audience("học sinh")
