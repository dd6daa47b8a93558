"""Gateway settings, read once from ``GATEWAY_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-only-secret-change-me"


class Settings(BaseSettings):
    """Process-wide settings; every replica of a deployment must be given the same values."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    environment: Literal["development", "production", "test"] = "development"
    database_url: str = "sqlite:///./gateway.db"
    public_url: str = "http://127.0.0.1:8000"
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    # Run the outbox/ledger workers inside the web process (single-node installs).
    embedded_workers: bool = True
    log_level: str = "info"
    # xAPI limits: a request body (statements, documents) and one attachment.
    max_body_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    max_attachment_bytes: int = Field(default=32 * 1024 * 1024, gt=0)
    max_query_limit: int = Field(default=500, gt=0)
    cors_origins: str = "*"
    # The X-Experience-API-Version a response carries when the request named no usable
    # version (an error by definition). The 1.0.3 and 2.0 conformance suites disagree on
    # this for the same request, so a deployment chooses; see docs/CONFORMANCE.md.
    xapi_default_version: Literal["1.0.3", "2.0.0"] = "2.0.0"

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if (
            self.environment == "production"
            and self.secret_key.get_secret_value() == DEVELOPMENT_SECRET
        ):
            raise ValueError("GATEWAY_SECRET_KEY must be set to a real secret in production")
        return self

    @property
    def xapi_base_url(self) -> str:
        """The xAPI endpoint as clients outside must call it."""
        return self.public_url.rstrip("/") + "/xapi/"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings loaded once per process; tests build their own ``Settings`` instead."""
    return Settings()
