"""Naive-UTC clock shared by the LTI tables (SQLite keeps no time zone)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)
