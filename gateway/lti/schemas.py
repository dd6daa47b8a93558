"""Request and response models of the LTI admin API (``/api/lti``)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from gateway.lti.platforms import PlatformView


class DeploymentOut(BaseModel):
    """A deployment of a registration."""

    deployment_id: str
    status: str
    first_seen_at: datetime
    last_launch_at: datetime | None


class PlatformOut(BaseModel):
    """A registration with its deployments."""

    id: int
    issuer: str
    client_id: str
    name: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    auth_audience: str | None
    status: str
    source: str
    product: str
    created_at: datetime
    deployments: list[DeploymentOut]

    @classmethod
    def from_view(cls, view: PlatformView) -> PlatformOut:
        """From a registration and its deployments."""
        p = view.platform
        return cls(
            id=p.id,
            issuer=p.issuer,
            client_id=p.client_id,
            name=p.name,
            auth_login_url=p.auth_login_url,
            auth_token_url=p.auth_token_url,
            key_set_url=p.key_set_url,
            auth_audience=p.auth_audience,
            status=p.status,
            source=p.source,
            product=p.product,
            created_at=p.created_at,
            deployments=[
                DeploymentOut(
                    deployment_id=d.deployment_id,
                    status=d.status,
                    first_seen_at=d.first_seen_at,
                    last_launch_at=d.last_launch_at,
                )
                for d in view.deployments
            ],
        )


class PlatformIn(BaseModel):
    """A registration typed in by an admin (values from the LMS's tool details)."""

    model_config = ConfigDict(extra="forbid")

    issuer: str = Field(min_length=1, max_length=500)
    client_id: str = Field(min_length=1, max_length=255)
    auth_login_url: str = Field(min_length=1, max_length=2048)
    auth_token_url: str = Field(min_length=1, max_length=2048)
    key_set_url: str = Field(min_length=1, max_length=2048)
    name: str = Field(default="", max_length=200)
    auth_audience: str | None = Field(default=None, max_length=2048)
    deployment_ids: list[str] = Field(default_factory=list)
    status: str = "active"


class DeploymentIn(BaseModel):
    """A deployment to add or re-state."""

    model_config = ConfigDict(extra="forbid")

    deployment_id: str = Field(min_length=1, max_length=255)
    status: str = "active"
