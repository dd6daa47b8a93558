"""Index statements by object type, so queries walk StatementRefs without a table scan

Revision ID: 0008_statement_type_index
Revises: 0007_merge
Create Date: 2026-12-03 18:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_statement_type_index"
down_revision: str | None = "0007_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_xapi_statement_type", "xapi_statement", ["object_type", "seq"])


def downgrade() -> None:
    op.drop_index("ix_xapi_statement_type", table_name="xapi_statement")
