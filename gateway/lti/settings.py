"""LTI settings, read once from ``GATEWAY_LTI_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class LtiSettings(BaseSettings):
    """Settings of the LTI tool; every replica must be given the same values."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_LTI_", extra="ignore")

    # Name the LMS shows for the tool.
    title: str = "TEMIS BDTX"
    description: str = (
        "Học liệu bồi dưỡng thường xuyên kết nối TEMIS / BDTX modules connected to TEMIS"
    )
    # New registrations (dynamic) and new deployments wait for an admin unless this is set.
    auto_activate: bool = False
    # Bearer token of the admin API ``/api/lti``; unset disables the API (the CLI still works).
    admin_token: SecretStr | None = None
    # A login (state and nonce) must be answered by a launch within this many seconds.
    state_seconds: int = Field(default=300, gt=0)
    # An id_token whose ``iat`` is older than this is refused (LTI Security Framework 5.1.3).
    max_token_age_seconds: int = Field(default=300, gt=0)
    # Clock difference tolerated between platform and tool.
    leeway_seconds: int = Field(default=30, ge=0)
    # Lifetime of the launch token pages carry after a launch (instead of a session cookie).
    launch_token_seconds: int = Field(default=3600, gt=0)
    # Outbound calls to platforms (JWKS, tokens, AGS, NRPS, registration).
    http_timeout_seconds: float = Field(default=10.0, gt=0)
    # Platform keys: bounds on the cache lifetime taken from Cache-Control, and the least
    # time between two refetches caused by an unknown ``kid`` (rate limit).
    keyset_min_cache_seconds: int = Field(default=60, ge=0)
    keyset_max_cache_seconds: int = Field(default=86400, gt=0)
    keyset_default_cache_seconds: int = Field(default=3600, gt=0)
    keyset_refetch_interval_seconds: float = Field(default=30.0, ge=0)
    # A rotated-out tool key stays published this long so platforms can verify old tokens.
    key_grace_hours: float = Field(default=72.0, ge=0)


@lru_cache(maxsize=1)
def get_lti_settings() -> LtiSettings:
    """Settings loaded once per process; tests build their own ``LtiSettings`` instead."""
    return LtiSettings()
