"""Registrations (platforms) and their deployments: the use cases behind CLI and API.

Functions take the session first and never commit: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from gateway.lti.errors import LtiError, NotFoundError
from gateway.lti.models import (
    ACTIVE,
    DISABLED,
    PENDING,
    LtiDeployment,
    LtiLaunch,
    LtiLogin,
    LtiPlatform,
)
from gateway.lti.timeutil import utcnow

STATUSES = (PENDING, ACTIVE, DISABLED)


@dataclass(frozen=True)
class PlatformView:
    """A registration with its deployments, as lists show it."""

    platform: LtiPlatform
    deployments: list[LtiDeployment]


def check_url(value: str, field: str) -> str:
    """An absolute http(s) URL, or :class:`LtiError` naming the field."""
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LtiError(f"{field}: cần URL http(s) đầy đủ / an absolute http(s) URL is required")
    return value.strip()


def add_platform(
    session: Session,
    *,
    issuer: str,
    client_id: str,
    auth_login_url: str,
    auth_token_url: str,
    key_set_url: str,
    name: str = "",
    auth_audience: str | None = None,
    deployment_ids: tuple[str, ...] = (),
    status: str = ACTIVE,
    source: str = "manual",
    product: str = "",
    registration_json: str | None = None,
) -> LtiPlatform:
    """Register a platform (issuer + client id) with its first deployments."""
    if status not in STATUSES:
        raise LtiError(f"trạng thái không hợp lệ / invalid status {status!r}")
    if not issuer.strip() or not client_id.strip():
        raise LtiError("Thiếu issuer hoặc client_id / issuer and client_id are required")
    existing = find_platform(session, issuer.strip(), client_id.strip())
    if existing is not None:
        raise LtiError(
            f"Đã có đăng ký #{existing.id} cho issuer và client_id này / "
            f"registration #{existing.id} already has this issuer and client_id"
        )
    platform = LtiPlatform(
        issuer=issuer.strip(),
        client_id=client_id.strip(),
        name=name.strip(),
        auth_login_url=check_url(auth_login_url, "auth_login_url"),
        auth_token_url=check_url(auth_token_url, "auth_token_url"),
        key_set_url=check_url(key_set_url, "key_set_url"),
        auth_audience=auth_audience or None,
        status=status,
        source=source,
        product=product,
        registration_json=registration_json,
        created_at=utcnow(),
    )
    session.add(platform)
    session.flush()
    for deployment_id in deployment_ids:
        add_deployment(session, platform.id, deployment_id, status=ACTIVE)
    return platform


def find_platform(session: Session, issuer: str, client_id: str) -> LtiPlatform | None:
    """The registration of this issuer and client id, whatever its status."""
    return session.scalar(
        select(LtiPlatform).where(LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id)
    )


def platforms_of_issuer(session: Session, issuer: str) -> list[LtiPlatform]:
    """Every registration of one issuer."""
    return list(session.scalars(select(LtiPlatform).where(LtiPlatform.issuer == issuer)))


def get_platform(session: Session, platform_id: int) -> LtiPlatform:
    """The registration with this id, or :class:`NotFoundError`."""
    platform = session.get(LtiPlatform, platform_id)
    if platform is None:
        raise NotFoundError(f"Không có đăng ký #{platform_id} / no registration #{platform_id}")
    return platform


def list_platforms(session: Session) -> list[PlatformView]:
    """Every registration with its deployments, oldest first."""
    platforms = list(session.scalars(select(LtiPlatform).order_by(LtiPlatform.id)))
    deployments = list(session.scalars(select(LtiDeployment).order_by(LtiDeployment.id)))
    return [PlatformView(p, [d for d in deployments if d.platform_id == p.id]) for p in platforms]


def set_platform_status(session: Session, platform_id: int, status: str) -> LtiPlatform:
    """Activate or disable a registration."""
    if status not in STATUSES:
        raise LtiError(f"trạng thái không hợp lệ / invalid status {status!r}")
    platform = get_platform(session, platform_id)
    platform.status = status
    return platform


def remove_platform(session: Session, platform_id: int) -> None:
    """Delete a registration that never launched; one with launches can only be disabled."""
    platform = get_platform(session, platform_id)
    launches = session.scalar(
        select(func.count()).select_from(LtiLaunch).where(LtiLaunch.platform_id == platform.id)
    )
    if launches:
        raise LtiError(
            f"Đăng ký #{platform.id} đã có {launches} lượt mở, hãy vô hiệu hoá thay vì xoá / "
            f"registration #{platform.id} has {launches} launches: disable it instead"
        )
    session.execute(delete(LtiLogin).where(LtiLogin.platform_id == platform.id))
    session.execute(delete(LtiDeployment).where(LtiDeployment.platform_id == platform.id))
    session.delete(platform)


def add_deployment(
    session: Session, platform_id: int, deployment_id: str, status: str = ACTIVE
) -> LtiDeployment:
    """Add (or re-state) a deployment of a registration."""
    if status not in STATUSES:
        raise LtiError(f"trạng thái không hợp lệ / invalid status {status!r}")
    platform = get_platform(session, platform_id)
    deployment = find_deployment(session, platform.id, deployment_id)
    if deployment is None:
        deployment = LtiDeployment(
            platform_id=platform.id,
            deployment_id=deployment_id,
            status=status,
            first_seen_at=utcnow(),
        )
        session.add(deployment)
        session.flush()
    else:
        deployment.status = status
    return deployment


def find_deployment(session: Session, platform_id: int, deployment_id: str) -> LtiDeployment | None:
    """The deployment of this registration, whatever its status."""
    return session.scalar(
        select(LtiDeployment).where(
            LtiDeployment.platform_id == platform_id,
            LtiDeployment.deployment_id == deployment_id,
        )
    )


def set_deployment_status(
    session: Session, platform_id: int, deployment_id: str, status: str
) -> LtiDeployment:
    """Activate or disable a deployment (e.g. one recorded as pending at a launch)."""
    if status not in STATUSES:
        raise LtiError(f"trạng thái không hợp lệ / invalid status {status!r}")
    deployment = find_deployment(session, platform_id, deployment_id)
    if deployment is None:
        raise NotFoundError(
            f"Không có triển khai {deployment_id!r} / no deployment {deployment_id!r}"
        )
    deployment.status = status
    return deployment


def deployment_owned_elsewhere(session: Session, platform: LtiPlatform, deployment_id: str) -> bool:
    """True when another registration of the same issuer owns this deployment id."""
    owner = session.scalar(
        select(LtiDeployment.id)
        .join(LtiPlatform, LtiPlatform.id == LtiDeployment.platform_id)
        .where(
            LtiPlatform.issuer == platform.issuer,
            LtiPlatform.id != platform.id,
            LtiDeployment.deployment_id == deployment_id,
        )
        .limit(1)
    )
    return owner is not None
