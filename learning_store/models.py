"""Tables of the learning store.

Every query filter of the xAPI statement API is answered from an indexed column here:
the statement row carries the actor, verb, object and registration keys, and two side
tables carry the agents and activities a statement relates to (for ``related_agents`` and
``related_activities``). The statement itself is kept as the exact JSON the LRS returns.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL wants a 64-bit key.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")
IRI = String(2048)
IFI = String(1024)


class Base(DeclarativeBase):
    """Declarative base shared by every package's tables (one Alembic history)."""


class Client(Base):
    """A credential (key and hashed secret) an LMS or content package uses for Basic auth."""

    __tablename__ = "xapi_client"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(300))
    scopes: Mapped[str] = mapped_column(String(500))
    authority_json: Mapped[str] = mapped_column(Text)
    # A client restricted to one agent (cmi5 fetch tokens, launch tokens); null = any.
    agent_ifi: Mapped[str | None] = mapped_column(IFI, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created: Mapped[str] = mapped_column(String(40))
    expires: Mapped[str | None] = mapped_column(String(40), nullable=True)


class Statement(Base):
    """One stored statement; ``seq`` is its position in the ordered feed."""

    __tablename__ = "xapi_statement"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    statement_id: Mapped[str] = mapped_column(String(36), unique=True)
    stored: Mapped[str] = mapped_column(String(32))
    timestamp: Mapped[str] = mapped_column(String(40))
    verb_id: Mapped[str] = mapped_column(IRI)
    actor_ifi: Mapped[str] = mapped_column(IFI)
    object_type: Mapped[str] = mapped_column(String(16))
    # Activity id, agent/group IFI, StatementRef target id, or '' for a SubStatement.
    object_key: Mapped[str] = mapped_column(IRI)
    registration: Mapped[str | None] = mapped_column(String(36), nullable=True)
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    is_voiding: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[str] = mapped_column(String(16))
    client_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    has_attachments: Mapped[bool] = mapped_column(Boolean, default=False)
    full_json: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        Index("ix_xapi_statement_stored", "stored"),
        Index("ix_xapi_statement_verb", "verb_id", "seq"),
        Index("ix_xapi_statement_actor", "actor_ifi", "seq"),
        Index("ix_xapi_statement_object", "object_key", "seq"),
        Index("ix_xapi_statement_registration", "registration", "seq"),
        # Statements targeting statements (voidings, mostly: few). The StatementRef filter
        # rule walks them by feed position, and each stored batch looks for voidings of its
        # new ids; this small partial index serves both without a table scan.
        Index(
            "ix_xapi_statement_refs",
            "seq",
            sqlite_where=text("object_type = 'StatementRef'"),
            postgresql_where=text("object_type = 'StatementRef'"),
        ),
    )


class StatementAgent(Base):
    """An agent a statement mentions; ``direct`` marks the actor and the object."""

    __tablename__ = "xapi_statement_agent"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("xapi_statement.seq", ondelete="CASCADE")
    )
    ifi: Mapped[str] = mapped_column(IFI)
    direct: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (Index("ix_xapi_statement_agent_ifi", "ifi", "seq"),)


class StatementActivity(Base):
    """An activity a statement mentions; ``direct`` marks the statement's object."""

    __tablename__ = "xapi_statement_activity"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    seq: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("xapi_statement.seq", ondelete="CASCADE")
    )
    activity_id: Mapped[str] = mapped_column(IRI)
    direct: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (Index("ix_xapi_statement_activity_id", "activity_id", "seq"),)


class Attachment(Base):
    """Attachment content, addressed by its SHA-2 hash and shared between statements."""

    __tablename__ = "xapi_attachment"

    sha2: Mapped[str] = mapped_column(String(128), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(255))
    length: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class Activity(Base):
    """The latest full definition the LRS holds of an activity (Activities resource)."""

    __tablename__ = "xapi_activity"

    activity_id: Mapped[str] = mapped_column(IRI, primary_key=True)
    definition_json: Mapped[str] = mapped_column(Text)


class Document(Base):
    """A State, Activity Profile or Agent Profile document.

    Empty strings stand for "not given" in the key columns so that the unique constraint
    holds on every database (NULLs never collide).
    """

    __tablename__ = "xapi_document"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    activity_id: Mapped[str] = mapped_column(IRI, default="")
    agent_ifi: Mapped[str] = mapped_column(IFI, default="")
    registration: Mapped[str] = mapped_column(String(36), default="")
    document_id: Mapped[str] = mapped_column(String(1024))
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(80))
    updated: Mapped[str] = mapped_column(String(40))

    __table_args__ = (
        UniqueConstraint(
            "kind",
            "activity_id",
            "agent_ifi",
            "registration",
            "document_id",
            name="uq_xapi_document_key",
        ),
        Index("ix_xapi_document_lookup", "kind", "activity_id", "agent_ifi", "updated"),
    )
