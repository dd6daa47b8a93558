"""BDTX module codes (BDTX.md, "Module codes"): lenient parsing, one canonical form."""

from __future__ import annotations

import unicodedata

import pytest

from gateway.catalog.codes import ModuleCode, parse_module_code
from gateway.catalog.errors import CatalogError, ModuleCodeError
from gateway.catalog.terms import Audience, Level

ACCEPTED: list[tuple[str, str, str]] = [
    # (input, key, display)
    ("GVPT15", "GVPT15", "GVPT 15"),
    ("GVPT 15", "GVPT15", "GVPT 15"),
    ("gvpt-015", "GVPT15", "GVPT 15"),
    ("GVPT 01", "GVPT1", "GVPT 1"),
    (" GVMN 2 ", "GVMN2", "GVMN 2"),
    ("GVMN  2", "GVMN2", "GVMN 2"),
    ("GVMN\t2", "GVMN2", "GVMN 2"),
    ("GVMN\u00a02", "GVMN2", "GVMN 2"),  # no-break space from Word
    ("gvmn.7", "GVMN7", "GVMN 7"),
    ("QLMN_08", "QLMN8", "QLMN 8"),
    ("QLMN - 29", "QLMN29", "QLMN 29"),
    ("QLMN -29", "QLMN29", "QLMN 29"),
    ("QLPT 18", "QLPT18", "QLPT 18"),
    ("qlpt18", "QLPT18", "QLPT 18"),
    ("Mô đun GVMN 25", "GVMN25", "GVMN 25"),
    ("MÔ ĐUN GVMN 25", "GVMN25", "GVMN 25"),
    ("mô đun: gvmn 25", "GVMN25", "GVMN 25"),
    ("Mo dun GVMN 25", "GVMN25", "GVMN 25"),
    ("Module GVPT 15", "GVPT15", "GVPT 15"),
    ("module: GVPT-15", "GVPT15", "GVPT 15"),
    ("MĐ QLPT 18", "QLPT18", "QLPT 18"),
    ("mđ qlpt 18", "QLPT18", "QLPT 18"),
    ("ＧＶＰＴ１５", "GVPT15", "GVPT 15"),  # full-width letters and digits
    ("GVPT １５", "GVPT15", "GVPT 15"),  # full-width digits only
    (unicodedata.normalize("NFD", "Mô đun GVMN 33"), "GVMN33", "GVMN 33"),
    (unicodedata.normalize("NFD", "MĐ QLMN 17"), "QLMN17", "QLMN 17"),
    ("GVPT 999", "GVPT999", "GVPT 999"),
    ("GVPT 0999", "GVPT999", "GVPT 999"),
]

REJECTED: list[tuple[str, str]] = [
    # (input, a fragment of the reason)
    ("Mô đun 3", "2018"),  # the 2018-curriculum training, not a BDTX code
    ("MÔ ĐUN 9", "2018"),
    ("Module 1", "2018"),
    ("3", "2018"),
    ("GVXX 1", "GVMN/GVPT/QLMN/QLPT"),
    ("XXPT 1", "GVMN/GVPT/QLMN/QLPT"),
    ("GV 1", "MN or PT"),
    ("QL-1", "MN or PT"),
    ("GVPT", "number missing"),
    ("GVPT -", "number missing"),
    ("GVPT 0", "1 to 999"),
    ("GVPT 000", "1 to 999"),
    ("GVPT 1000", "1 to 999"),
    ("GVPT 15 abc", "GVMN/GVPT/QLMN/QLPT"),
    ("GVPT 1.5", "GVMN/GVPT/QLMN/QLPT"),
    ("GV PT 15", "GVMN/GVPT/QLMN/QLPT"),
    ("GVPT 15-", "GVMN/GVPT/QLMN/QLPT"),
    ("GVPT ١٥", "GVMN/GVPT/QLMN/QLPT"),  # Arabic-Indic digits are not NFKC-folded
    ("Mô đun", "nothing after"),
    ("", "empty"),
    ("   ", "empty"),
]


@pytest.mark.parametrize(("text", "key", "display"), ACCEPTED)
def test_accepted_spellings_parse_to_one_canonical_code(text: str, key: str, display: str) -> None:
    """BDTX.md: NFKC, uppercase, trim, drop "Mô đun"/"Module"/"MĐ", drop leading zeros."""
    code = parse_module_code(text)
    assert (code.key, code.display, str(code)) == (key, display, display)


@pytest.mark.parametrize(("text", "reason"), REJECTED)
def test_rejected_inputs_are_named_in_the_error(text: str, reason: str) -> None:
    """BDTX.md: unknown codes are rejected; "Mô đun 1…9" are never mapped automatically."""
    with pytest.raises(ModuleCodeError) as caught:
        parse_module_code(text)
    assert repr(text) in str(caught.value)
    assert reason in caught.value.reason
    assert caught.value.text == text


def test_module_code_error_is_a_catalog_value_error() -> None:
    """Callers may catch the package base or ValueError."""
    with pytest.raises(CatalogError):
        parse_module_code("GVXX 1")
    with pytest.raises(ValueError):
        parse_module_code("GVXX 1")


@pytest.mark.parametrize(
    ("text", "audience", "level"),
    [
        ("GVMN 2", Audience.GV, Level.MN),
        ("GVPT 15", Audience.GV, Level.PT),
        ("QLMN 8", Audience.CBQL, Level.MN),
        ("QLPT 18", Audience.CBQL, Level.PT),
    ],
)
def test_prefix_implies_audience_and_level(text: str, audience: Audience, level: Level) -> None:
    """GV/QL say who the module is for, MN/PT which programme's list it belongs to."""
    code = parse_module_code(text)
    assert (code.audience, code.level) == (audience, level)


def test_canonical_forms_parse_back_to_the_same_code() -> None:
    """The stored key and the display form are themselves accepted spellings."""
    code = parse_module_code("gvpt-015")
    assert parse_module_code(code.key) == code == parse_module_code(code.display)
    assert code == ModuleCode("GVPT", 15)
    assert hash(code) == hash(ModuleCode("GVPT", 15))


def test_codes_sort_by_prefix_then_number() -> None:
    """Numeric order, not string order: GVMN 7 before GVMN 21."""
    codes = [parse_module_code(text) for text in ("GVMN 21", "QLMN 8", "GVMN 7", "GVMN 2")]
    assert [c.display for c in sorted(codes)] == ["GVMN 2", "GVMN 7", "GVMN 21", "QLMN 8"]


@pytest.mark.parametrize(("prefix", "number"), [("GVXX", 1), ("GVPT", 0), ("GVPT", 1000)])
def test_a_module_code_cannot_be_built_invalid(prefix: str, number: int) -> None:
    """The dataclass checks itself, so no invalid code exists past the parser."""
    with pytest.raises(ModuleCodeError):
        ModuleCode(prefix, number)
