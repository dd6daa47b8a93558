"""pylti1p3 tool configuration read from the database instead of a JSON file.

Only *active* registrations and deployments are found; everything else is "not found",
and the launch code turns that into a clear refusal (and a pending deployment record).
"""

from __future__ import annotations

from typing import Any

from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.lti import keys
from gateway.lti.keys import SigningKey
from gateway.lti.models import ACTIVE, LtiDeployment, LtiPlatform
from gateway.lti.request import FastAPIRequest


class ToolRegistration(Registration):
    """A pylti1p3 registration that knows its row and signs with the tool's active key."""

    def __init__(self, platform: LtiPlatform, signing: SigningKey | None) -> None:
        super().__init__()
        self.platform_id = platform.id
        self.set_issuer(platform.issuer)
        self.set_client_id(platform.client_id)
        self.set_auth_login_url(platform.auth_login_url)
        self.set_auth_token_url(platform.auth_token_url)
        self.set_key_set_url(platform.key_set_url)
        if platform.auth_audience:
            self.set_auth_audience(platform.auth_audience)
        self._signing = signing
        if signing is not None:
            self.set_tool_private_key(signing.private_pem)

    def get_kid(self) -> str | None:
        """Our key id (pylti1p3 derives none from a PEM, so its JWTs would lack ``kid``)."""
        return self._signing.kid if self._signing is not None else None


class DatabaseToolConf(ToolConfAbstract[FastAPIRequest]):
    """Registrations and deployments from ``lti_platform`` / ``lti_deployment``."""

    def __init__(self, session: Session, signing: SigningKey | None = None) -> None:
        super().__init__()
        self._session = session
        self._signing = signing

    @property
    def session(self) -> Session:
        """The session lookups run in."""
        return self._session

    # Every issuer may hold several client ids (Canvas: one per developer key).
    def check_iss_has_one_client(self, iss: str) -> bool:
        """Never: lookups always use issuer and client id."""
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        """Always."""
        return True

    def active_platform(self, iss: str, client_id: str) -> LtiPlatform | None:
        """The active registration of this issuer and client id."""
        return self._session.scalar(
            select(LtiPlatform).where(
                LtiPlatform.issuer == iss,
                LtiPlatform.client_id == client_id,
                LtiPlatform.status == ACTIVE,
            )
        )

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        """The issuer's only active registration (pylti1p3's legacy lookup)."""
        platforms = list(
            self._session.scalars(
                select(LtiPlatform).where(LtiPlatform.issuer == iss, LtiPlatform.status == ACTIVE)
            )
        )
        return ToolRegistration(platforms[0], self._signing) if len(platforms) == 1 else None  # type: ignore[return-value]

    def find_registration_by_params(
        self, iss: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Registration:
        """The active registration of this issuer and client id (None if there is none)."""
        platform = self.active_platform(iss, client_id)
        return ToolRegistration(platform, self._signing) if platform else None  # type: ignore[return-value]

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        """Not used: every lookup names the client id."""
        return None

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str, *args: Any, **kwargs: Any
    ) -> Deployment | None:
        """The deployment if it and its registration are active."""
        row = self._session.scalar(
            select(LtiDeployment)
            .join(LtiPlatform, LtiPlatform.id == LtiDeployment.platform_id)
            .where(
                LtiPlatform.issuer == iss,
                LtiPlatform.client_id == client_id,
                LtiPlatform.status == ACTIVE,
                LtiDeployment.deployment_id == deployment_id,
                LtiDeployment.status == ACTIVE,
            )
        )
        return Deployment().set_deployment_id(row.deployment_id) if row else None

    def get_jwks(
        self, iss: str | None = None, client_id: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """The tool's published key set (the same for every registration)."""
        return keys.published_jwks(self._session)
