"""học liệu catalog: releases, modules and immutable module versions

Revision ID: 0002_catalog
Revises: 0001_learning_store
Create Date: 2026-12-03 16:41:24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_catalog"
down_revision: str | None = "0001_learning_store"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants a 64-bit key.
_BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "catalog_release",
        sa.Column("id", _BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=500), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number", name="uq_catalog_release_number"),
    )
    op.create_table(
        "catalog_module",
        sa.Column("id", _BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("levels", sa.String(length=32), nullable=False),
        sa.Column("audience", sa.String(length=8), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=False),
        sa.Column("block", sa.String(length=8), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("activity_id", sa.String(length=2048), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.CheckConstraint("periods > 0", name="ck_catalog_module_periods_positive"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("activity_id", name="uq_catalog_module_activity_id"),
        sa.UniqueConstraint("key", name="uq_catalog_module_key"),
    )
    op.create_table(
        "catalog_module_version",
        sa.Column("id", _BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("release_id", sa.BigInteger(), nullable=False),
        sa.Column("module_id", sa.BigInteger(), nullable=False),
        sa.Column("module_key", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("levels", sa.String(length=32), nullable=False),
        sa.Column("audience", sa.String(length=8), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=False),
        sa.Column("block", sa.String(length=8), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"], ["catalog_module.id"], name="fk_catalog_module_version_module"
        ),
        sa.ForeignKeyConstraint(
            ["release_id"], ["catalog_release.id"], name="fk_catalog_module_version_release"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "release_id", "module_id", name="uq_catalog_module_version_release_module"
        ),
    )
    with op.batch_alter_table("catalog_module_version", schema=None) as batch_op:
        batch_op.create_index(
            "ix_catalog_module_version_module", ["module_id", "release_id"], unique=False
        )
        batch_op.create_index("ix_catalog_module_version_key", ["module_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("catalog_module_version", schema=None) as batch_op:
        batch_op.drop_index("ix_catalog_module_version_key")
        batch_op.drop_index("ix_catalog_module_version_module")
    op.drop_table("catalog_module_version")
    op.drop_table("catalog_module")
    op.drop_table("catalog_release")
