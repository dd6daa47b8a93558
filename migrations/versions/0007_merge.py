"""one history after the ledger, LTI and content branches

Revision ID: 0007_merge
Revises: 0004_bdtx, 0005_lti, 0006_content
Create Date: 2026-12-03 17:44:42.278749
"""

from collections.abc import Sequence

revision: str = "0007_merge"
down_revision: str | tuple[str, ...] | None = ("0004_bdtx", "0005_lti", "0006_content")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
