"""Tables of the LTI tool: registrations, deployments, the tool's keys, logins, launches.

Times are naive UTC (SQLite keeps no time zone; both databases then compare alike).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from learning_store.models import Base, BigIntPK

URL = String(2048)

# Registration and deployment states.
PENDING = "pending"
ACTIVE = "active"
DISABLED = "disabled"

# Tool key states: signs and is published / published until ``retire_at`` / gone.
KEY_ACTIVE = "active"
KEY_RETIRING = "retiring"
KEY_RETIRED = "retired"


class LtiPlatform(Base):
    """A registration: one client id the tool holds on one platform (issuer)."""

    __tablename__ = "lti_platform"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    auth_login_url: Mapped[str] = mapped_column(URL)
    auth_token_url: Mapped[str] = mapped_column(URL)
    key_set_url: Mapped[str] = mapped_column(URL)
    # ``aud`` of the client assertion when the platform wants other than its token URL.
    auth_audience: Mapped[str | None] = mapped_column(URL, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    # "manual" (CLI/API) or "dynamic" (LTI Dynamic Registration).
    source: Mapped[str] = mapped_column(String(16), default="manual")
    # Product family from the platform's openid-configuration, e.g. "moodle", "canvas".
    product: Mapped[str] = mapped_column(String(100), default="")
    # What the platform answered to the dynamic registration, for audits.
    registration_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column()

    __table_args__ = (
        UniqueConstraint("issuer", "client_id", name="uq_lti_platform_issuer_client"),
    )


class LtiDeployment(Base):
    """A deployment of a registration (Canvas makes one per course install)."""

    __tablename__ = "lti_deployment"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    platform_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("lti_platform.id", name="fk_lti_deployment_platform", ondelete="CASCADE"),
    )
    deployment_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    first_seen_at: Mapped[datetime] = mapped_column()
    last_launch_at: Mapped[datetime | None] = mapped_column(nullable=True)

    __table_args__ = (
        UniqueConstraint("platform_id", "deployment_id", name="uq_lti_deployment_platform_dep"),
    )


class LtiToolKey(Base):
    """One RSA key of the tool; the private half is stored encrypted with the secret key."""

    __tablename__ = "lti_tool_key"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    kid: Mapped[str] = mapped_column(String(100))
    # PKCS#8 PEM encrypted with GATEWAY_SECRET_KEY.
    private_pem: Mapped[str] = mapped_column(Text)
    public_jwk_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=KEY_ACTIVE)
    created_at: Mapped[datetime] = mapped_column()
    retire_at: Mapped[datetime | None] = mapped_column(nullable=True)

    __table_args__ = (UniqueConstraint("kid", name="uq_lti_tool_key_kid"),)


class LtiLogin(Base):
    """An OIDC login initiation: its ``state`` and ``nonce``, each good for one launch."""

    __tablename__ = "lti_login"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    state: Mapped[str] = mapped_column(String(100))
    nonce: Mapped[str] = mapped_column(String(100))
    platform_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("lti_platform.id", name="fk_lti_login_platform", ondelete="CASCADE"),
    )
    target_link_uri: Mapped[str] = mapped_column(URL)
    # The frame the platform offers for LTI Platform Storage, if any.
    storage_target: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)

    __table_args__ = (
        UniqueConstraint("state", name="uq_lti_login_state"),
        UniqueConstraint("nonce", name="uq_lti_login_nonce"),
        Index("ix_lti_login_expires", "expires_at"),
    )


class LtiLaunch(Base):
    """A validated launch: who, from which platform, course and link, with which services."""

    __tablename__ = "lti_launch"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    # Public, unguessable id (launch tokens and the outbox refer to it).
    launch_id: Mapped[str] = mapped_column(String(64))
    platform_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("lti_platform.id", name="fk_lti_launch_platform")
    )
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_id: Mapped[str] = mapped_column(String(255))
    message_type: Mapped[str] = mapped_column(String(40))
    user_sub: Mapped[str | None] = mapped_column(String(255), nullable=True)
    user_name: Mapped[str | None] = mapped_column(String(300), nullable=True)
    user_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    roles_json: Mapped[str] = mapped_column(Text, default="[]")
    context_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    context_title: Mapped[str | None] = mapped_column(String(500), nullable=True)
    resource_link_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    resource_link_title: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # Canonical catalog key (e.g. "GVPT15") from the ``module_code`` custom parameter.
    module_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    temis_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    custom_json: Mapped[str] = mapped_column(Text, default="{}")
    # The AGS endpoint claim (scope, lineitems, lineitem) and the NRPS memberships URL.
    ags_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    nrps_url: Mapped[str | None] = mapped_column(URL, nullable=True)
    # Every claim of the id_token (pylti1p3's launch data).
    claims_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column()

    __table_args__ = (
        UniqueConstraint("launch_id", name="uq_lti_launch_launch_id"),
        Index("ix_lti_launch_user", "platform_id", "user_sub"),
        Index("ix_lti_launch_context", "platform_id", "context_id"),
    )


class LtiCacheEntry(Base):
    """pylti1p3's launch data storage, kept in the database so every replica sees it."""

    __tablename__ = "lti_cache"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value_json: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)
