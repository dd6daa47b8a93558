"""Domain errors of the LTI tool; ``gateway.lti.pages`` renders them, ``routes`` maps them.

```
LtiError                          base: a bilingual message safe to show (never a token)
├── LoginError                    OIDC login initiation refused
├── LaunchError                   a launch refused; nothing about it is recorded
│   ├── StateError                state missing, forged, used, expired, or not this browser's
│   ├── TokenError                id_token malformed, wrong algorithm, key, signature or claim
│   ├── UnknownPlatformError      issuer / client id not registered, or not active
│   ├── DeploymentError           deployment unknown (recorded as pending), inactive or foreign
│   └── MessageError              a claim the message type requires is missing
├── LaunchTokenError              the short-lived launch token is missing, forged or expired
├── DeepLinkError                 a deep-linking choice that cannot be returned
├── RegistrationError             dynamic registration failed
├── PlatformCallError             a call to the platform (JWKS, token, AGS, NRPS) failed
└── NotFoundError                 an admin action names no such platform or deployment
```
"""

from __future__ import annotations


class LtiError(Exception):
    """Base of every error the LTI tool raises on purpose.

    ``message`` is shown to people (Vietnamese / English); ``detail`` goes to logs only.
    """

    status_code = 400
    title = "Không mở được công cụ / The tool could not open"

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class LoginError(LtiError):
    """The OIDC third-party login initiation is refused."""


class LaunchError(LtiError):
    """A launch is refused."""

    status_code = 401


class StateError(LaunchError):
    """The ``state`` is missing, unknown, used before, expired or not this browser's."""


class TokenError(LaunchError):
    """The id_token is malformed, badly signed or carries a wrong claim."""


class UnknownPlatformError(LaunchError):
    """The issuer and client id name no active registration."""


class DeploymentError(LaunchError):
    """The deployment is unknown (recorded as pending), inactive or another registration's."""

    status_code = 403


class MessageError(LaunchError):
    """A claim the message type requires is missing or wrong."""

    status_code = 400


class LaunchTokenError(LtiError):
    """The launch token of a follow-up request is missing, forged or expired."""

    status_code = 401
    title = "Phiên đã hết hạn / The session has expired"


class DeepLinkError(LtiError):
    """The deep-linking choice cannot be returned to the platform."""


class RegistrationError(LtiError):
    """Dynamic registration failed."""

    title = "Không đăng ký được / Registration failed"


class PlatformCallError(LtiError):
    """A call to the platform failed; ``retryable`` says whether trying later may work."""

    status_code = 502

    def __init__(self, message: str, detail: str | None = None, retryable: bool = True) -> None:
        super().__init__(message, detail)
        self.retryable = retryable


class NotFoundError(LtiError):
    """No such platform or deployment."""

    status_code = 404
