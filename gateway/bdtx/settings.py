"""Ledger settings, read once from ``GATEWAY_BDTX_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Delivery kinds the ledger knows how to queue (consumers live in gateway.temis / lti).
TEMIS_HTTP = "temis.http"
TEMIS_XAPI = "temis.xapi"
LTI_SCORE = "lti.score"
TEMIS_KINDS: tuple[str, ...] = (TEMIS_HTTP, TEMIS_XAPI)


class BdtxSettings(BaseSettings):
    """Settings of the BDTX ledger."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_BDTX_", extra="ignore")

    # School year boundary (BDTX.md "School year", [assumed]): 1 August, Vietnam time.
    year_start_month: int = Field(default=8, ge=1, le=12)
    year_start_day: int = Field(default=1, ge=1, le=28)
    timezone: str = "Asia/Ho_Chi_Minh"
    # Scaled score a "passed" must reach for a non-cmi5 module (5/10).
    pass_threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    # Yearly requirement and the CT03 block (TT 19/2019).
    required_periods: int = Field(default=120, gt=0)
    ct03_periods: int = Field(default=40, gt=0)
    # Source part of the idempotency key: which connected LMS/gateway the results come from.
    source: str = Field(default="lms", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    # TEMIS deliveries queued for each credit revision (comma-separated kinds).
    deliveries: str = TEMIS_HTTP
    # Queue an "lti.score" delivery when a credit came from an LTI launch with AGS.
    lti_passback: bool = True
    batch_size: int = Field(default=500, gt=0, le=10_000)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("deliveries")
    @classmethod
    def _known_kinds(cls, value: str) -> str:
        kinds = [k.strip() for k in value.split(",") if k.strip()]
        unknown = sorted(set(kinds) - set(TEMIS_KINDS))
        if unknown:
            raise ValueError(f"unknown delivery kinds {unknown}; known: {list(TEMIS_KINDS)}")
        return ",".join(kinds)

    @property
    def delivery_kinds(self) -> tuple[str, ...]:
        """The TEMIS delivery kinds to queue, in order."""
        return tuple(k for k in self.deliveries.split(",") if k)

    @property
    def zone(self) -> ZoneInfo:
        """The time zone the school year boundary is in."""
        return ZoneInfo(self.timezone)


@lru_cache(maxsize=1)
def get_bdtx_settings() -> BdtxSettings:
    """Settings loaded once per process; tests build their own ``BdtxSettings`` instead."""
    return BdtxSettings()
