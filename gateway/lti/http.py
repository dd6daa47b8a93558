"""Outbound HTTP to platforms: always a timeout, always our User-Agent, never a redirect.

pylti1p3 calls ``requests`` without a timeout (a platform that hangs would hold a worker
thread forever); every call of this package goes through :func:`make_client` instead.
"""

from __future__ import annotations

import httpx

from gateway import __version__
from gateway.lti.settings import LtiSettings


def user_agent(public_url: str) -> str:
    """The User-Agent of every outbound call (platform admins see who calls them)."""
    return f"TEMIS-LMS-Gateway/{__version__} (LTI 1.3 tool; +{public_url.rstrip('/')})"


def make_client(settings: LtiSettings, public_url: str) -> httpx.Client:
    """A synchronous client with the configured timeout and our User-Agent."""
    return httpx.Client(
        timeout=httpx.Timeout(settings.http_timeout_seconds),
        headers={"User-Agent": user_agent(public_url)},
        follow_redirects=False,
    )
