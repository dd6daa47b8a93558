"""The annex vocabulary: school levels (Cấp học) and audiences (Đối tượng).

The dispatch's annex writes a level cell like ``Phổ thông, GDTX``: one module serving
several levels. Cells are read leniently (case, diacritics, full names or abbreviations)
and stored canonically: levels as a comma-separated list in the fixed order MN, PT, GDTX.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

from gateway.catalog.errors import TermError
from gateway.catalog.text import search_key


class Level(StrEnum):
    """School level: preschool, general education, continuing-education centres."""

    MN = "MN"
    PT = "PT"
    GDTX = "GDTX"


class Audience(StrEnum):
    """Who a module is for: teachers (GV) or school managers (CBQL)."""

    GV = "GV"
    CBQL = "CBQL"


# Catalog modules are job-related modules, the CT03 block of the yearly 120 periods.
DEFAULT_BLOCK = "CT03"

LEVEL_ORDER: tuple[Level, ...] = (Level.MN, Level.PT, Level.GDTX)

# Keys are search_key() forms, so case and diacritics never matter.
_LEVEL_NAMES: dict[str, Level] = {
    "mn": Level.MN,
    "mam non": Level.MN,
    "giao duc mam non": Level.MN,
    "gdmn": Level.MN,
    "pt": Level.PT,
    "pho thong": Level.PT,
    "giao duc pho thong": Level.PT,
    "gdpt": Level.PT,
    "gdtx": Level.GDTX,
    "giao duc thuong xuyen": Level.GDTX,
}
_AUDIENCE_NAMES: dict[str, Audience] = {
    "gv": Audience.GV,
    "giao vien": Audience.GV,
    "cbql": Audience.CBQL,
    "ql": Audience.CBQL,
    "can bo quan ly": Audience.CBQL,
}
# Labels used when writing a table, chosen so the seed exports as the annex reads.
LEVEL_LABELS: dict[Level, str] = {Level.MN: "MN", Level.PT: "Phổ thông", Level.GDTX: "GDTX"}

_LEVEL_SEPARATORS = re.compile(r"\s*(?:[,;/+&]|\bva\b)\s*")


def parse_level(text: str) -> Level:
    """One level from ``MN``, ``mầm non``, ``Phổ thông``, ``GDTX`` and the like."""
    level = _LEVEL_NAMES.get(search_key(text))
    if level is None:
        raise TermError(f"Cấp học không hợp lệ / unknown level {text!r} (MN, PT/Phổ thông, GDTX)")
    return level


def parse_levels(text: str) -> tuple[Level, ...]:
    """Levels of a cell such as ``Phổ thông, GDTX`` (commas, semicolons, slashes or "và")."""
    parts = [part for part in _LEVEL_SEPARATORS.split(search_key(text)) if part]
    if not parts:
        raise TermError("Cấp học trống / level is empty")
    return sort_levels(parse_level(part) for part in parts)


def sort_levels(levels: Iterable[Level]) -> tuple[Level, ...]:
    """Distinct levels in the canonical order MN, PT, GDTX."""
    present = set(levels)
    return tuple(level for level in LEVEL_ORDER if level in present)


def format_levels(levels: Iterable[Level]) -> str:
    """Storage form: ``"PT,GDTX"``."""
    return ",".join(sort_levels(levels))


def levels_from_storage(value: str) -> tuple[Level, ...]:
    """Inverse of :func:`format_levels`."""
    return sort_levels(Level(part) for part in value.split(",") if part)


def level_label(levels: Iterable[Level]) -> str:
    """Table form: ``"Phổ thông, GDTX"``, as the dispatch's annex writes it."""
    return ", ".join(LEVEL_LABELS[level] for level in sort_levels(levels))


def parse_audience(text: str) -> Audience:
    """An audience from ``GV``, ``giáo viên``, ``CBQL``, ``cán bộ quản lý``."""
    audience = _AUDIENCE_NAMES.get(search_key(text))
    if audience is None:
        raise TermError(f"Đối tượng không hợp lệ / unknown audience {text!r} (GV, CBQL)")
    return audience
