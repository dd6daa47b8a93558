"""Delivery settings, read once from ``GATEWAY_TEMIS_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.bdtx.outbox import RetryPolicy


class TemisSettings(BaseSettings):
    """Connectors, retries and worker pacing of ``gateway.temis``."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_TEMIS_", extra="ignore")

    # http connector: the contract of docs/TEMIS_API.md.
    http_url: str | None = None  # base URL, e.g. https://temis.example/api/
    token_url: str | None = None  # OAuth 2 token endpoint (client credentials)
    client_id: str | None = None
    client_secret: SecretStr | None = None
    scope: str | None = "bdtx.results.write"
    timeout_seconds: float = Field(default=10.0, gt=0)
    # xapi connector: an upstream LRS.
    xapi_endpoint: str | None = None
    xapi_username: str | None = None
    xapi_password: SecretStr | None = None
    xapi_version: str = "1.0.3"
    # Retries: exponential backoff with full jitter, then a dead letter.
    backoff_base_seconds: float = Field(default=2.0, ge=0)
    backoff_max_seconds: float = Field(default=600.0, ge=0)
    max_attempts: int = Field(default=12, gt=0)
    # Worker pacing.
    batch_size: int = Field(default=50, gt=0, le=1000)
    lease_seconds: float = Field(default=60.0, gt=0)
    idle_seconds: float = Field(default=0.5, gt=0)

    @property
    def retry_policy(self) -> RetryPolicy:
        """The outbox retry policy these settings describe."""
        return RetryPolicy(self.backoff_base_seconds, self.backoff_max_seconds, self.max_attempts)


@lru_cache(maxsize=1)
def get_temis_settings() -> TemisSettings:
    """Settings loaded once per process; tests build their own ``TemisSettings`` instead."""
    return TemisSettings()
