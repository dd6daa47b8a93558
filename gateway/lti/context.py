"""Everything the LTI routes and workers share in one process, built by the app factory."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from gateway.db import Database
from gateway.lti.http import make_client
from gateway.lti.keys import KeyRing
from gateway.lti.keysets import PlatformKeySets
from gateway.lti.launch_tokens import LaunchTokens
from gateway.lti.services import TokenCache
from gateway.lti.settings import LtiSettings

# Paths of the tool, relative to the public URL.
LOGIN_PATH = "/lti/login"
LAUNCH_PATH = "/lti/launch"
JWKS_PATH = "/lti/jwks"
REGISTER_PATH = "/lti/register"
DEEP_LINK_PATH = "/lti/deep-link"
SETUP_PATH = "/lti/setup"
CANVAS_PATH = "/lti/canvas.json"
OPEN_PATH = "/lti/open"


@dataclass
class LtiContext:
    """Database, settings, the tool's key ring and the platform key cache."""

    database: Database
    settings: LtiSettings
    public_url: str
    secret: str
    keyring: KeyRing = field(init=False)
    keysets: PlatformKeySets = field(init=False)
    tokens: TokenCache = field(init=False)
    launch_tokens: LaunchTokens = field(init=False)

    def __post_init__(self) -> None:
        self.public_url = self.public_url.rstrip("/")
        self.keyring = KeyRing(self.secret)
        self.keysets = PlatformKeySets(self.settings, self.http)
        self.tokens = TokenCache()
        self.launch_tokens = LaunchTokens(
            self.secret, self.public_url, self.settings.launch_token_seconds
        )

    def http(self) -> httpx.Client:
        """A client for one outbound exchange (timeouts and User-Agent set)."""
        return make_client(self.settings, self.public_url)

    def url(self, path: str) -> str:
        """An absolute URL of the tool."""
        return self.public_url + path

    @property
    def secure(self) -> bool:
        """Whether the tool is served over HTTPS."""
        return urlsplit(self.public_url).scheme == "https"

    @property
    def domain(self) -> str:
        """Host (and port) of the tool, as LTI tool configurations name it."""
        return urlsplit(self.public_url).netloc

    def is_own_url(self, url: str) -> bool:
        """True when ``url`` points at this tool (same scheme and host:port)."""
        own = urlsplit(self.public_url)
        other = urlsplit(url)
        return (other.scheme, other.netloc.lower()) == (own.scheme, own.netloc.lower())
