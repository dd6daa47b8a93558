"""School years: which BDTX year a moment belongs to.

The boundary is not published (BDTX.md, "School year" [assumed]); by default a year runs
from 1 August 00:00 to 31 July 24:00 Vietnam time and is named ``"2025-2026"``. The
boundary and the time zone come from :class:`~gateway.bdtx.settings.BdtxSettings`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from gateway.bdtx.errors import BdtxInputError

_YEAR_NAME = re.compile(r"^([0-9]{4})\s*[-/–]\s*([0-9]{4})$")


@dataclass(frozen=True)
class YearBoundary:
    """Month and day a school year starts on, in a time zone."""

    month: int = 8
    day: int = 1
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))

    def year_of(self, moment: datetime) -> str:
        """The name of the school year ``moment`` falls in, e.g. ``"2025-2026"``."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        local = moment.astimezone(self.zone)
        first = local.year if (local.month, local.day) >= (self.month, self.day) else local.year - 1
        return f"{first}-{first + 1}"

    def bounds(self, name: str) -> tuple[datetime, datetime]:
        """Start (inclusive) and end (exclusive) of a named school year, in UTC."""
        first = parse_year_name(name)
        start = datetime(first, self.month, self.day, tzinfo=self.zone)
        end = datetime(first + 1, self.month, self.day, tzinfo=self.zone)
        return start.astimezone(UTC), end.astimezone(UTC)


def parse_year_name(name: str) -> int:
    """The first calendar year of ``"2025-2026"`` (also ``2025/2026``); refuses others."""
    match = _YEAR_NAME.match(name.strip())
    if match is None or int(match.group(2)) != int(match.group(1)) + 1:
        raise BdtxInputError(
            "school_year",
            f"năm học phải có dạng 2025-2026 / school year must look like 2025-2026: {name!r}",
        )
    return int(match.group(1))


def canonical_year(name: str) -> str:
    """``"2025/2026"`` -> ``"2025-2026"``."""
    first = parse_year_name(name)
    return f"{first}-{first + 1}"


def parse_timestamp(text: str) -> datetime:
    """An xAPI timestamp (ISO 8601) as an aware UTC datetime."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def utc_text(moment: datetime) -> str:
    """Fixed-width UTC form with milliseconds (string order is time order)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
