"""BDTX ledger: people, identities, activity mappings, module rules, LTI launches,
evidence, voids, credits and the feed cursor.

Revision ID: 0004_bdtx
Revises: 0003_outbox
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_bdtx"
down_revision: str | None = "0003_outbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bdtx_activity_map",
        sa.Column("activity_id", sa.String(length=2048), nullable=False),
        sa.Column("module_key", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("activity_id"),
    )
    op.create_table(
        "bdtx_cursor",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "bdtx_evidence",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column("actor_ifi", sa.String(length=1024), nullable=False),
        sa.Column("module_key", sa.String(length=16), nullable=False),
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("completion", sa.Boolean(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=True),
        sa.Column("satisfied", sa.Boolean(), nullable=False),
        sa.Column("scaled", sa.Float(), nullable=True),
        sa.Column("occurred", sa.String(length=32), nullable=False),
        sa.Column("stored", sa.String(length=32), nullable=False),
        sa.Column("registration", sa.String(length=36), nullable=True),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("statement_id", name="uq_bdtx_evidence_statement"),
    )
    with op.batch_alter_table("bdtx_evidence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bdtx_evidence_actor_module", ["actor_ifi", "module_key"], unique=False
        )
        batch_op.create_index("ix_bdtx_evidence_seq", ["seq"], unique=False)
    op.create_table(
        "bdtx_launch",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("registration", sa.String(length=36), nullable=True),
        sa.Column("actor_ifi", sa.String(length=1024), nullable=False),
        sa.Column("module_key", sa.String(length=16), nullable=True),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("deployment_id", sa.String(length=200), nullable=False),
        sa.Column("user_sub", sa.String(length=255), nullable=False),
        sa.Column("context_id", sa.String(length=255), nullable=True),
        sa.Column("resource_link_id", sa.String(length=255), nullable=True),
        sa.Column("lineitem", sa.String(length=2048), nullable=True),
        sa.Column("lineitems", sa.String(length=2048), nullable=True),
        sa.Column("score_maximum", sa.Float(), nullable=False),
        sa.Column("launched", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("bdtx_launch", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bdtx_launch_actor", ["actor_ifi", "module_key", "launched"], unique=False
        )
        batch_op.create_index("ix_bdtx_launch_registration", ["registration"], unique=False)
    op.create_table(
        "bdtx_module_rule",
        sa.Column("module_key", sa.String(length=16), nullable=False),
        sa.Column("rule", sa.String(length=8), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=True),
        sa.Column("updated", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("module_key"),
    )
    op.create_table(
        "bdtx_person",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("temis_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("school_code", sa.String(length=64), nullable=False),
        sa.Column("school_name", sa.String(length=300), nullable=False),
        sa.Column("province", sa.String(length=100), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("created", sa.String(length=32), nullable=False),
        sa.Column("updated", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("temis_id", name="uq_bdtx_person_temis_id"),
    )
    with op.batch_alter_table("bdtx_person", schema=None) as batch_op:
        batch_op.create_index("ix_bdtx_person_school", ["school_code"], unique=False)
    op.create_table(
        "bdtx_void",
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column("voiding_id", sa.String(length=36), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("statement_id"),
    )
    op.create_table(
        "bdtx_credit",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=1100), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_ifi", sa.String(length=1024), nullable=True),
        sa.Column("module_key", sa.String(length=16), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("block", sa.String(length=8), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("scaled", sa.Float(), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("earned_at", sa.String(length=32), nullable=False),
        sa.Column("evidence_json", sa.Text(), nullable=False),
        sa.Column("launch_json", sa.Text(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["bdtx_person.id"], name="fk_bdtx_credit_person"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subject", "module_key", "school_year", name="uq_bdtx_credit_subject"),
    )
    with op.batch_alter_table("bdtx_credit", schema=None) as batch_op:
        batch_op.create_index("ix_bdtx_credit_actor", ["actor_ifi"], unique=False)
        batch_op.create_index("ix_bdtx_credit_person", ["person_id", "school_year"], unique=False)
    op.create_table(
        "bdtx_identity",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("ifi", sa.String(length=1024), nullable=False),
        sa.Column("person_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["bdtx_person.id"], name="fk_bdtx_identity_person"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ifi", name="uq_bdtx_identity_ifi"),
    )
    with op.batch_alter_table("bdtx_identity", schema=None) as batch_op:
        batch_op.create_index("ix_bdtx_identity_person", ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bdtx_identity", schema=None) as batch_op:
        batch_op.drop_index("ix_bdtx_identity_person")
    op.drop_table("bdtx_identity")
    with op.batch_alter_table("bdtx_credit", schema=None) as batch_op:
        batch_op.drop_index("ix_bdtx_credit_person")
        batch_op.drop_index("ix_bdtx_credit_actor")
    op.drop_table("bdtx_credit")
    op.drop_table("bdtx_void")
    with op.batch_alter_table("bdtx_person", schema=None) as batch_op:
        batch_op.drop_index("ix_bdtx_person_school")
    op.drop_table("bdtx_person")
    op.drop_table("bdtx_module_rule")
    with op.batch_alter_table("bdtx_launch", schema=None) as batch_op:
        batch_op.drop_index("ix_bdtx_launch_registration")
        batch_op.drop_index("ix_bdtx_launch_actor")
    op.drop_table("bdtx_launch")
    with op.batch_alter_table("bdtx_evidence", schema=None) as batch_op:
        batch_op.drop_index("ix_bdtx_evidence_seq")
        batch_op.drop_index("ix_bdtx_evidence_actor_module")
    op.drop_table("bdtx_evidence")
    op.drop_table("bdtx_cursor")
    op.drop_table("bdtx_activity_map")
