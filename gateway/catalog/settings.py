"""Catalog settings, read once from ``GATEWAY_CATALOG_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.settings import get_settings

MODULES_PATH = "/catalog/modules/"


class CatalogSettings(BaseSettings):
    """Settings of the catalog package."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_CATALOG_", extra="ignore")

    # Base IRI of module activity ids; unset means ``{GATEWAY_PUBLIC_URL}/catalog/modules/``.
    # Changing it later gives NEW modules new IRIs only: a stored module keeps the IRI its
    # statements were sent with.
    activity_base: str | None = None

    def resolve_activity_base(self, public_url: str) -> str:
        """The base ending in ``/``, so that ``base + key`` is the module's activity IRI."""
        base = self.activity_base or public_url.rstrip("/") + MODULES_PATH
        return base if base.endswith(("/", "#", ":", "=")) else base + "/"


@lru_cache(maxsize=1)
def get_catalog_settings() -> CatalogSettings:
    """Settings loaded once per process; tests build their own ``CatalogSettings`` instead."""
    return CatalogSettings()


def default_activity_base() -> str:
    """The activity IRI base from the process settings."""
    return get_catalog_settings().resolve_activity_base(get_settings().public_url)
