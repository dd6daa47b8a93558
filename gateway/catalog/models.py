"""Tables of the học liệu catalog.

A module's code, periods and audience must never change under a credit already earned,
yet the Ministry "updates the catalog regularly". So every import is a numbered
*release*, and every change a release makes to a module is an immutable *module version*
row (added, changed or removed). Credits reference a version; ``catalog_module`` holds the
current state, denormalised from the latest version, for listing and search.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from gateway.catalog.codes import ModuleCode, parse_module_code
from gateway.catalog.terms import DEFAULT_BLOCK, Audience, Level, levels_from_storage
from learning_store.models import Base, BigIntPK


class CatalogRelease(Base):
    """One accepted version of the catalog table (the seed is release 1)."""

    __tablename__ = "catalog_release"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    number: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    # ISO 8601 UTC, as the learning store writes times.
    created: Mapped[str] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(500), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (UniqueConstraint("number", name="uq_catalog_release_number"),)


class CatalogModule(Base):
    """A module as the catalog offers it now; its history is in ``catalog_module_version``."""

    __tablename__ = "catalog_module"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    # Canonical code without a space, e.g. "GVPT15" (codes.ModuleCode.key).
    key: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(500))
    # Comma-separated in the order MN, PT, GDTX, e.g. "PT,GDTX".
    levels: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(8))
    periods: Mapped[int] = mapped_column(Integer)
    block: Mapped[str] = mapped_column(String(8), default=DEFAULT_BLOCK)
    description: Mapped[str] = mapped_column(Text, default="")
    # Fixed when the module is first stored: statements already sent carry this IRI.
    activity_id: Mapped[str] = mapped_column(String(2048))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Row order of the last imported table (STT), so exports read like the source.
    position: Mapped[int] = mapped_column(Integer, default=0)
    # text.search_key() of code, title and description, for accent-free search.
    search_text: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        UniqueConstraint("key", name="uq_catalog_module_key"),
        UniqueConstraint("activity_id", name="uq_catalog_module_activity_id"),
        CheckConstraint("periods > 0", name="ck_catalog_module_periods_positive"),
    )

    @property
    def code(self) -> ModuleCode:
        """The parsed code (``display`` gives ``GVPT 15``)."""
        return parse_module_code(self.key)

    @property
    def level_set(self) -> tuple[Level, ...]:
        """Levels as enum members in canonical order."""
        return levels_from_storage(self.levels)

    @property
    def audience_term(self) -> Audience:
        """Audience as an enum member."""
        return Audience(self.audience)


class CatalogModuleVersion(Base):
    """What a release made of a module: immutable, so credits can point at it."""

    __tablename__ = "catalog_module_version"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    release_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("catalog_release.id", name="fk_catalog_module_version_release")
    )
    module_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("catalog_module.id", name="fk_catalog_module_version_module")
    )
    module_key: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(500))
    levels: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(8))
    periods: Mapped[int] = mapped_column(Integer)
    block: Mapped[str] = mapped_column(String(8))
    # True when this release took the module out of the catalog (values are the last ones).
    removed: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint(
            "release_id", "module_id", name="uq_catalog_module_version_release_module"
        ),
        Index("ix_catalog_module_version_module", "module_id", "release_id"),
        Index("ix_catalog_module_version_key", "module_key"),
    )
