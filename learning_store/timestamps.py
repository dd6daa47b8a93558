"""The LRS's own clock and the fixed-width UTC form used for ``stored`` comparisons."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Current time in UTC (one place to change for tests that need a fixed clock)."""
    return datetime.now(UTC)


def to_stored_form(moment: datetime) -> str:
    """``2026-01-02T03:04:05.678Z``: fixed width, so string order is time order.

    Milliseconds, like the ``stored`` property the LRS returns: a client that passes a
    returned ``stored`` back as ``since`` must not get that same statement again.
    """
    return to_xapi_form(moment)


def to_xapi_form(moment: datetime) -> str:
    """ISO 8601 with millisecond precision and a Z, as the LRS writes timestamps."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )
