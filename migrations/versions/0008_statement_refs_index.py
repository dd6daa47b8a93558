"""Partial index of StatementRef statements (the StatementRef filter rule, voiding lookups)

Revision ID: 0008_statement_refs_index
Revises: 0007_merge
Create Date: 2026-12-03 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_statement_refs_index"
down_revision: str | None = "0007_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHERE = sa.text("object_type = 'StatementRef'")


def upgrade() -> None:
    op.create_index(
        "ix_xapi_statement_refs",
        "xapi_statement",
        ["seq"],
        sqlite_where=WHERE,
        postgresql_where=WHERE,
    )


def downgrade() -> None:
    op.drop_index("ix_xapi_statement_refs", table_name="xapi_statement")
