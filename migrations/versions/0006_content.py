"""content: module packages, cmi5 registrations, sessions and progress

Revision ID: 0006_content
Revises: 0003_outbox
Create Date: 2026-12-04 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_content"
down_revision: str | None = "0003_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "content_package",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("storage_key", sa.String(length=40), nullable=False),
        sa.Column("module_id", sa.BigInteger(), nullable=False),
        sa.Column("module_key", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("publisher_id", sa.String(length=2048), nullable=False),
        sa.Column("structure_json", sa.Text(), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("unpacked_bytes", sa.BigInteger(), nullable=False),
        sa.Column("file_count", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created", sa.String(length=32), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["module_id"], ["catalog_module.id"], name="fk_content_package_module"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("storage_key", name="uq_content_package_storage_key"),
    )
    op.create_index(
        "ix_content_package_module", "content_package", ["module_key", "current"], unique=False
    )
    op.create_table(
        "cmi5_registration",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("registration", sa.String(length=36), nullable=False),
        sa.Column("package_id", sa.BigInteger(), nullable=False),
        sa.Column("module_key", sa.String(length=16), nullable=False),
        sa.Column("actor_ifi", sa.String(length=1024), nullable=False),
        sa.Column("actor_json", sa.Text(), nullable=False),
        sa.Column("course_activity_id", sa.String(length=2048), nullable=False),
        sa.Column("created", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["package_id"], ["content_package.id"], name="fk_cmi5_registration_package"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("registration", name="uq_cmi5_registration_registration"),
    )
    op.create_index(
        "ix_cmi5_registration_learner",
        "cmi5_registration",
        ["actor_ifi", "module_key"],
        unique=False,
    )
    op.create_table(
        "cmi5_session",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("registration_id", sa.BigInteger(), nullable=False),
        sa.Column("au_publisher_id", sa.String(length=2048), nullable=False),
        sa.Column("au_activity_id", sa.String(length=2048), nullable=False),
        sa.Column("launch_mode", sa.String(length=8), nullable=False),
        sa.Column("move_on", sa.String(length=24), nullable=False),
        sa.Column("mastery_score", sa.Float(), nullable=True),
        sa.Column("fetch_key_hash", sa.String(length=64), nullable=False),
        sa.Column("token_fetched", sa.Boolean(), nullable=False),
        sa.Column("client_id", sa.BigInteger(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("verbs", sa.String(length=200), nullable=False),
        sa.Column("launch_url", sa.Text(), nullable=False),
        sa.Column("launched", sa.String(length=32), nullable=False),
        sa.Column("last_statement", sa.String(length=32), nullable=True),
        sa.Column("ended", sa.String(length=32), nullable=True),
        sa.Column("expires", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"], ["cmi5_registration.id"], name="fk_cmi5_session_registration"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", name="uq_cmi5_session_session_id"),
        sa.UniqueConstraint("fetch_key_hash", name="uq_cmi5_session_fetch_key"),
    )
    op.create_index("ix_cmi5_session_client", "cmi5_session", ["client_id"], unique=False)
    op.create_index("ix_cmi5_session_state", "cmi5_session", ["state", "launched"], unique=False)
    op.create_index(
        "ix_cmi5_session_registration",
        "cmi5_session",
        ["registration_id", "au_publisher_id"],
        unique=False,
    )
    op.create_table(
        "cmi5_progress",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("registration_id", sa.BigInteger(), nullable=False),
        sa.Column("node_id", sa.String(length=2048), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("satisfied", sa.Boolean(), nullable=False),
        sa.Column("updated", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"], ["cmi5_registration.id"], name="fk_cmi5_progress_registration"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("registration_id", "node_id", name="uq_cmi5_progress_node"),
    )


def downgrade() -> None:
    op.drop_table("cmi5_progress")
    op.drop_index("ix_cmi5_session_registration", table_name="cmi5_session")
    op.drop_index("ix_cmi5_session_state", table_name="cmi5_session")
    op.drop_index("ix_cmi5_session_client", table_name="cmi5_session")
    op.drop_table("cmi5_session")
    op.drop_index("ix_cmi5_registration_learner", table_name="cmi5_registration")
    op.drop_table("cmi5_registration")
    op.drop_index("ix_content_package_module", table_name="content_package")
    op.drop_table("content_package")
