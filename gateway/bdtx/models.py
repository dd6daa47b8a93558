"""Tables of the ledger.

The ledger is derived data: ``bdtx_evidence`` holds what the feed said (one row per
statement that can count for a module), ``bdtx_void`` the voidings it saw, and
``bdtx_credit`` what follows from them for each person (or, while nobody is linked, for
each unknown actor), module and school year. ``bdtx_cursor`` is the feed position all of
that was computed up to. People, identities, activity mappings, module rules and LTI
launches are inputs an admin or the LTI tool maintains.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from learning_store.models import IFI, IRI, Base, BigIntPK

# Credit states: credited and withdrawn credits belong to a person and are delivered;
# pending ones belong to an actor nobody is linked to yet and are not.
CREDITED = "credited"
WITHDRAWN = "withdrawn"
PENDING = "pending"

# Module completion rules.
RULE_XAPI = "xapi"  # completed + passed with a scaled score >= threshold
RULE_CMI5 = "cmi5"  # satisfied


class Person(Base):
    """A teacher or school manager as TEMIS knows them."""

    __tablename__ = "bdtx_person"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    # TEMIS identifier; its format is not published, so an opaque string.
    temis_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(8))  # GV | CBQL
    level: Mapped[str] = mapped_column(String(8))  # MN | PT | GDTX
    school_code: Mapped[str] = mapped_column(String(64))
    school_name: Mapped[str] = mapped_column(String(300), default="")
    province: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    created: Mapped[str] = mapped_column(String(32))
    updated: Mapped[str] = mapped_column(String(32))

    __table_args__ = (
        UniqueConstraint("temis_id", name="uq_bdtx_person_temis_id"),
        Index("ix_bdtx_person_school", "school_code"),
    )


class Identity(Base):
    """An LMS identity (xAPI agent IFI); ``person_id`` is null while nobody is linked."""

    __tablename__ = "bdtx_identity"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    # The learning store's IFI key, e.g. ``Agent|account|https://lms|42``.
    ifi: Mapped[str] = mapped_column(IFI)
    person_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("bdtx_person.id", name="fk_bdtx_identity_person"), nullable=True
    )
    # What the LMS told us about the actor, shown to admins for unlinked identities.
    name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    source: Mapped[str] = mapped_column(String(16))  # import | lti | api | cli
    created: Mapped[str] = mapped_column(String(32))

    __table_args__ = (
        UniqueConstraint("ifi", name="uq_bdtx_identity_ifi"),
        Index("ix_bdtx_identity_person", "person_id"),
    )


class Cursor(Base):
    """How far a feed consumer has read; advanced in the same transaction as its effects."""

    __tablename__ = "bdtx_cursor"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    updated: Mapped[str] = mapped_column(String(32))


class ActivityMapping(Base):
    """An activity IRI (content hosted in the LMS) that counts for a catalog module."""

    __tablename__ = "bdtx_activity_map"

    activity_id: Mapped[str] = mapped_column(IRI, primary_key=True)
    module_key: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[str] = mapped_column(String(32))


class ModuleRule(Base):
    """How completion of a module is shown; modules without a row use the xAPI rule."""

    __tablename__ = "bdtx_module_rule"

    module_key: Mapped[str] = mapped_column(String(16), primary_key=True)
    rule: Mapped[str] = mapped_column(String(8), default=RULE_XAPI)
    # Scaled score a pass must reach; null = the configured default (0.5).
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated: Mapped[str] = mapped_column(String(32))


class Launch(Base):
    """An LTI launch of a module, recorded by the LTI tool for grade passback."""

    __tablename__ = "bdtx_launch"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    # The xAPI registration the launched content uses, when the tool knows it.
    registration: Mapped[str | None] = mapped_column(String(36), nullable=True)
    actor_ifi: Mapped[str] = mapped_column(IFI)
    module_key: Mapped[str | None] = mapped_column(String(16), nullable=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(200))
    deployment_id: Mapped[str] = mapped_column(String(200), default="")
    user_sub: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    resource_link_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    lineitem: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    lineitems: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    score_maximum: Mapped[float] = mapped_column(Float, default=10.0)
    launched: Mapped[str] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_bdtx_launch_registration", "registration"),
        Index("ix_bdtx_launch_actor", "actor_ifi", "module_key", "launched"),
    )


class Evidence(Base):
    """A stored statement that can count for a module (completion, pass, fail, satisfied)."""

    __tablename__ = "bdtx_evidence"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    statement_id: Mapped[str] = mapped_column(String(36))
    actor_ifi: Mapped[str] = mapped_column(IFI)
    module_key: Mapped[str] = mapped_column(String(16))
    # The catalog module version in force when the statement was stored.
    version_id: Mapped[int] = mapped_column(BigInteger)
    school_year: Mapped[str] = mapped_column(String(9))
    completion: Mapped[bool] = mapped_column(Boolean, default=False)
    # True passed, False failed, null neither.
    success: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    satisfied: Mapped[bool] = mapped_column(Boolean, default=False)
    scaled: Mapped[float | None] = mapped_column(Float, nullable=True)
    # When it happened (statement timestamp, UTC, fixed width) and when it was stored.
    occurred: Mapped[str] = mapped_column(String(32))
    stored: Mapped[str] = mapped_column(String(32))
    registration: Mapped[str | None] = mapped_column(String(36), nullable=True)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("statement_id", name="uq_bdtx_evidence_statement"),
        Index("ix_bdtx_evidence_actor_module", "actor_ifi", "module_key"),
        Index("ix_bdtx_evidence_seq", "seq"),
    )


class Void(Base):
    """A statement id the feed voided (the voided statement may come later or never)."""

    __tablename__ = "bdtx_void"

    statement_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    voiding_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(BigInteger)


class Credit(Base):
    """One module credit per subject (person or unknown actor), module and school year."""

    __tablename__ = "bdtx_credit"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    # ``person:<id>`` or ``actor:<ifi>`` (pending).
    subject: Mapped[str] = mapped_column(String(1100))
    person_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("bdtx_person.id", name="fk_bdtx_credit_person"), nullable=True
    )
    actor_ifi: Mapped[str | None] = mapped_column(IFI, nullable=True)
    module_key: Mapped[str] = mapped_column(String(16))
    school_year: Mapped[str] = mapped_column(String(9))
    status: Mapped[str] = mapped_column(String(12))
    block: Mapped[str] = mapped_column(String(8))
    periods: Mapped[int] = mapped_column(Integer)
    version_id: Mapped[int] = mapped_column(BigInteger)
    # Best qualifying scaled score (0..1) and the same on the 0-10 scale TEMIS uses.
    scaled: Mapped[float | None] = mapped_column(Float, nullable=True)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    earned_at: Mapped[str] = mapped_column(String(32))
    # Statement ids that earned it (JSON list, feed order).
    evidence_json: Mapped[str] = mapped_column(Text)
    # The LTI launch it came from (JSON object) or null.
    launch_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Bumped whenever a delivered value changes; part of the idempotency key.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated: Mapped[str] = mapped_column(String(32))

    __table_args__ = (
        UniqueConstraint("subject", "module_key", "school_year", name="uq_bdtx_credit_subject"),
        Index("ix_bdtx_credit_person", "person_id", "school_year"),
        Index("ix_bdtx_credit_actor", "actor_ifi"),
    )
