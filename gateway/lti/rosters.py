"""NRPS 2.0: the roster of a launch's course, read with the tool's own credentials."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gateway.lti.context import LtiContext
from gateway.lti.errors import LtiError, NotFoundError
from gateway.lti.launches import get_launch
from gateway.lti.models import LtiPlatform
from gateway.lti.services import PlatformServices


@dataclass(frozen=True)
class Member:
    """One course member as NRPS reports it."""

    user_id: str
    name: str | None
    email: str | None
    roles: tuple[str, ...]
    status: str


def fetch_roster(context: LtiContext, launch_id: str, page_size: int | None = None) -> list[Member]:
    """Every member of the course the launch came from (all pages)."""
    with context.database.sessions() as session:
        launch = get_launch(session, launch_id)
        if launch is None:
            raise NotFoundError("Không có lượt mở này / no such launch")
        if not launch.nrps_url:
            raise LtiError(
                "LMS không cung cấp danh sách lớp cho khoá học này / the LMS offers no roster "
                "for this course"
            )
        platform = session.get(LtiPlatform, launch.platform_id)
        assert platform is not None
        signing = context.keyring.signing_key(session)
        url = launch.nrps_url
        session.commit()
    with context.http() as client:
        services = PlatformServices(platform, signing, client, context.tokens)
        return [_member(m) for m in services.members(url, limit=page_size)]


def _member(raw: dict[str, Any]) -> Member:
    roles = raw.get("roles")
    return Member(
        user_id=str(raw.get("user_id", "")),
        name=raw.get("name") if isinstance(raw.get("name"), str) else None,
        email=raw.get("email") if isinstance(raw.get("email"), str) else None,
        roles=tuple(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else (),
        status=str(raw.get("status", "Active")),
    )
