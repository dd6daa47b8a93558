"""Tables of module content: packages, and the cmi5 registrations and sessions of learners.

A package row is written in the same transaction that moves its unpacked folder into
place, so the database never names a folder that is not there (see ``packages``). Old
packages are kept (``current`` false): sessions launched from them keep working.
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


class ContentPackage(Base):
    """An uploaded cmi5 course or xAPI (tincan.xml) package of one catalog module."""

    __tablename__ = "content_package"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    # Name of the folder under GATEWAY_CONTENT_DIR and of the URL /content/files/{key}/.
    storage_key: Mapped[str] = mapped_column(String(40))
    module_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("catalog_module.id", name="fk_content_package_module")
    )
    module_key: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(8))  # "cmi5" | "xapi"
    title: Mapped[str] = mapped_column(String(500))
    # The course id of cmi5.xml, or the first activity id of tincan.xml.
    publisher_id: Mapped[str] = mapped_column(IRI)
    # The parsed structure (``cmi5.structure.Course.to_json`` or the tincan activities).
    structure_json: Mapped[str] = mapped_column(Text)
    filename: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    unpacked_bytes: Mapped[int] = mapped_column(BigInteger)
    file_count: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))  # "upload" | "demo"
    created: Mapped[str] = mapped_column(String(32))
    current: Mapped[bool] = mapped_column(Boolean, default=True)

    __table_args__ = (
        UniqueConstraint("storage_key", name="uq_content_package_storage_key"),
        Index("ix_content_package_module", "module_key", "current"),
    )


class Cmi5Registration(Base):
    """cmi5 8.1.4: one learner's enrollment in one module's course (one per package)."""

    __tablename__ = "cmi5_registration"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    registration: Mapped[str] = mapped_column(String(36))
    package_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("content_package.id", name="fk_cmi5_registration_package")
    )
    module_key: Mapped[str] = mapped_column(String(16))
    actor_ifi: Mapped[str] = mapped_column(IFI)
    actor_json: Mapped[str] = mapped_column(Text)
    # The LMS-generated course activity id (the module's catalog IRI).
    course_activity_id: Mapped[str] = mapped_column(IRI)
    created: Mapped[str] = mapped_column(String(32))

    __table_args__ = (
        UniqueConstraint("registration", name="uq_cmi5_registration_registration"),
        Index("ix_cmi5_registration_learner", "actor_ifi", "module_key"),
    )


class Cmi5Session(Base):
    """One AU launch (cmi5 9.6.3.1 session id) and what the AU has said in it so far."""

    __tablename__ = "cmi5_session"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    session_id: Mapped[str] = mapped_column(String(36))
    registration_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("cmi5_registration.id", name="fk_cmi5_session_registration")
    )
    au_publisher_id: Mapped[str] = mapped_column(IRI)
    au_activity_id: Mapped[str] = mapped_column(IRI)
    launch_mode: Mapped[str] = mapped_column(String(8))
    move_on: Mapped[str] = mapped_column(String(24))
    mastery_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    # SHA-256 of the secret in the fetch URL; the secret itself is never stored.
    fetch_key_hash: Mapped[str] = mapped_column(String(64))
    token_fetched: Mapped[bool] = mapped_column(Boolean, default=False)
    # The xAPI client created by the fetch (the AU's credentials).
    client_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # launched -> initialized -> terminated, or abandoned.
    state: Mapped[str] = mapped_column(String(12))
    # cmi5 defined verbs the AU used in this session, comma-separated (short names).
    verbs: Mapped[str] = mapped_column(String(200), default="")
    launch_url: Mapped[str] = mapped_column(Text)
    launched: Mapped[str] = mapped_column(String(32))
    last_statement: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ended: Mapped[str | None] = mapped_column(String(32), nullable=True)
    expires: Mapped[str] = mapped_column(String(32))

    __table_args__ = (
        UniqueConstraint("session_id", name="uq_cmi5_session_session_id"),
        UniqueConstraint("fetch_key_hash", name="uq_cmi5_session_fetch_key"),
        Index("ix_cmi5_session_client", "client_id"),
        Index("ix_cmi5_session_state", "state", "launched"),
        Index("ix_cmi5_session_registration", "registration_id", "au_publisher_id"),
    )


class Cmi5Progress(Base):
    """Per registration, what an AU, block or course has reached (moveOn, cmi5 9.3.9)."""

    __tablename__ = "cmi5_progress"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    registration_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("cmi5_registration.id", name="fk_cmi5_progress_registration")
    )
    # Publisher id from the course structure (AU, block or course).
    node_id: Mapped[str] = mapped_column(IRI)
    kind: Mapped[str] = mapped_column(String(8))  # "au" | "block" | "course"
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    passed: Mapped[bool] = mapped_column(Boolean, default=False)
    satisfied: Mapped[bool] = mapped_column(Boolean, default=False)
    updated: Mapped[str] = mapped_column(String(32))

    __table_args__ = (UniqueConstraint("registration_id", "node_id", name="uq_cmi5_progress_node"),)
