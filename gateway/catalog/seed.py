"""The catalog's first release: the 12 modules annexed to the January 2026 dispatch.

The data is the annex itself (``data/seed_2026_01.tsv``, copied verbatim, ``GVPT15``
included), read through the same parser as any import, so the seed can never drift from
what an import of the same table would store.
"""

from __future__ import annotations

import logging
from importlib.resources import files

from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from gateway.catalog.models import CatalogRelease
from gateway.catalog.releases import apply_release, lock_catalog
from gateway.catalog.tables import ModuleRow, TableFormat, parse_table

logger = logging.getLogger(__name__)

SEED_FILE = "seed_2026_01.tsv"
SEED_LABEL = "Công văn 01/2026"
SEED_NOTE = (
    "Danh mục học liệu số đã cập nhật trên TEMIS, kèm theo Công văn tháng 01/2026 của "
    "Cục Nhà giáo và Cán bộ quản lý giáo dục / digital learning materials annexed to the "
    "January 2026 dispatch"
)


def seed_rows() -> list[ModuleRow]:
    """The annex rows packaged with the gateway."""
    content = files("gateway.catalog").joinpath("data", SEED_FILE).read_bytes()
    return parse_table(content, TableFormat.TSV)


def ensure_seeded(session: Session, *, activity_base: str | None = None) -> CatalogRelease | None:
    """Store the seed as release 1 unless any release exists; returns it when it was stored.

    Idempotent, and safe when several replicas start at once on PostgreSQL (the catalog
    lock is taken before looking). The caller commits.
    """
    if session.scalar(select(func.count()).select_from(CatalogRelease)):
        return None
    lock_catalog(session)
    if session.scalar(select(func.count()).select_from(CatalogRelease)):
        return None
    result = apply_release(
        session,
        seed_rows(),
        SEED_LABEL,
        source=SEED_FILE,
        note=SEED_NOTE,
        activity_base=activity_base,
    )
    return result.release


def seed_at_startup(
    sessions: sessionmaker[Session], *, activity_base: str | None = None
) -> CatalogRelease | None:
    """Seed in a transaction of its own when the app starts; never stop the app for it.

    An unmigrated database is left alone (``/readyz`` reports it; ``gateway db upgrade``
    comes first). Another process seeding at the same moment, which the PostgreSQL lock
    rules out but SQLite can only report as a lock or duplicate-key error, is fine.
    """
    with sessions() as session:
        if not inspect(session.connection()).has_table(CatalogRelease.__tablename__):
            logger.warning("catalog tables missing; run `gateway db upgrade`, then restart")
            return None
    try:
        with sessions.begin() as session:
            return ensure_seeded(session, activity_base=activity_base)
    except (IntegrityError, OperationalError):
        with sessions() as session:
            if session.scalar(select(func.count()).select_from(CatalogRelease)):
                logger.info("catalog already seeded by another process")
                return None
        raise
