"""Content settings, read once from ``GATEWAY_CONTENT_*`` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class ContentSettings(BaseSettings):
    """Where packages live, what a package may be, and how launches behave."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_CONTENT_", extra="ignore")

    # Unpacked packages, one folder each; every replica must see the same folder.
    dir: Path = Path("./data/content")
    # Limits of one uploaded package (zip bombs, disk exhaustion).
    max_package_bytes: int = Field(default=200 * MIB, gt=0)
    max_unpacked_bytes: int = Field(default=500 * MIB, gt=0)
    max_files: int = Field(default=5000, gt=0)
    # Uncompressed / compressed size of one entry; text compresses ~10:1, bombs ~1000:1.
    max_ratio: int = Field(default=200, gt=1)
    # Hosts an AU URL outside the package may point at (comma-separated, exact names).
    allowed_hosts: str = ""
    # An AU session's token and fetch URL stop working after this long.
    session_ttl_seconds: int = Field(default=4 * 3600, gt=0)
    # A session with no statement for this long is abandoned by ``abandon_stale_sessions``.
    abandon_after_seconds: int = Field(default=4 * 3600, gt=0)
    # ``frame-ancestors`` of served content: who may show an AU in an iframe (LMS pages).
    frame_ancestors: str = "*"
    # Bearer token of the upload API; unset = the API is closed (use the CLI).
    admin_token: SecretStr | None = None
    # Install the built-in demo AUs at startup; None = yes except in tests.
    demo_at_startup: bool | None = None
    # ``/content/launch/{code}`` launches for a typed-in name (demos); None = not in production.
    demo_launch: bool | None = None

    @property
    def allowed_host_set(self) -> frozenset[str]:
        """Allowed AU hosts, lower-cased."""
        return frozenset(h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip())


@lru_cache(maxsize=1)
def get_content_settings() -> ContentSettings:
    """Settings loaded once per process; tests build their own ``ContentSettings``."""
    return ContentSettings()
