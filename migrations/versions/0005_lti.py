"""lti: registrations, deployments, tool keys, logins, launches, launch data cache

Revision ID: 0005_lti
Revises: 0003_outbox
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_lti"
down_revision: str | None = "0003_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIGINT_PK = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "lti_platform",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("auth_login_url", sa.String(length=2048), nullable=False),
        sa.Column("auth_token_url", sa.String(length=2048), nullable=False),
        sa.Column("key_set_url", sa.String(length=2048), nullable=False),
        sa.Column("auth_audience", sa.String(length=2048), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("product", sa.String(length=100), nullable=False),
        sa.Column("registration_json", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer", "client_id", name="uq_lti_platform_issuer_client"),
    )
    op.create_table(
        "lti_deployment",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("platform_id", sa.BigInteger(), nullable=False),
        sa.Column("deployment_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.Column("last_launch_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["platform_id"],
            ["lti_platform.id"],
            name="fk_lti_deployment_platform",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform_id", "deployment_id", name="uq_lti_deployment_platform_dep"),
    )
    op.create_table(
        "lti_tool_key",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("kid", sa.String(length=100), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("public_jwk_json", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("retire_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kid", name="uq_lti_tool_key_kid"),
    )
    op.create_table(
        "lti_login",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("state", sa.String(length=100), nullable=False),
        sa.Column("nonce", sa.String(length=100), nullable=False),
        sa.Column("platform_id", sa.BigInteger(), nullable=False),
        sa.Column("target_link_uri", sa.String(length=2048), nullable=False),
        sa.Column("storage_target", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["platform_id"], ["lti_platform.id"], name="fk_lti_login_platform", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("state", name="uq_lti_login_state"),
        sa.UniqueConstraint("nonce", name="uq_lti_login_nonce"),
    )
    op.create_index("ix_lti_login_expires", "lti_login", ["expires_at"], unique=False)
    op.create_table(
        "lti_launch",
        sa.Column("id", BIGINT_PK, autoincrement=True, nullable=False),
        sa.Column("launch_id", sa.String(length=64), nullable=False),
        sa.Column("platform_id", sa.BigInteger(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("deployment_id", sa.String(length=255), nullable=False),
        sa.Column("message_type", sa.String(length=40), nullable=False),
        sa.Column("user_sub", sa.String(length=255), nullable=True),
        sa.Column("user_name", sa.String(length=300), nullable=True),
        sa.Column("user_email", sa.String(length=320), nullable=True),
        sa.Column("roles_json", sa.Text(), nullable=False),
        sa.Column("context_id", sa.String(length=255), nullable=True),
        sa.Column("context_title", sa.String(length=500), nullable=True),
        sa.Column("resource_link_id", sa.String(length=255), nullable=True),
        sa.Column("resource_link_title", sa.String(length=500), nullable=True),
        sa.Column("module_code", sa.String(length=16), nullable=True),
        sa.Column("temis_id", sa.String(length=100), nullable=True),
        sa.Column("custom_json", sa.Text(), nullable=False),
        sa.Column("ags_json", sa.Text(), nullable=True),
        sa.Column("nrps_url", sa.String(length=2048), nullable=True),
        sa.Column("claims_json", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["platform_id"], ["lti_platform.id"], name="fk_lti_launch_platform"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("launch_id", name="uq_lti_launch_launch_id"),
    )
    op.create_index("ix_lti_launch_user", "lti_launch", ["platform_id", "user_sub"], unique=False)
    op.create_index(
        "ix_lti_launch_context", "lti_launch", ["platform_id", "context_id"], unique=False
    )
    op.create_table(
        "lti_cache",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("value_json", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("lti_cache")
    op.drop_index("ix_lti_launch_context", table_name="lti_launch")
    op.drop_index("ix_lti_launch_user", table_name="lti_launch")
    op.drop_table("lti_launch")
    op.drop_index("ix_lti_login_expires", table_name="lti_login")
    op.drop_table("lti_login")
    op.drop_table("lti_tool_key")
    op.drop_table("lti_deployment")
    op.drop_table("lti_platform")
