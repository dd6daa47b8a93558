"""The ``xapi`` connector: the credited statements forwarded to an upstream LRS (tincan).

The statements go as stored here minus ``stored``, ``authority`` and ``version``, which
the upstream LRS sets itself. Their ids are kept, so a resend is a no-op upstream (an LRS
keeps one statement per id). A withdrawal forwards the voiding statements.
"""

from __future__ import annotations

import json
from typing import Any

from tincan import Statement, StatementList

from gateway.bdtx.delivery import DeliveryError, PermanentDeliveryError
from gateway.bdtx.outbox import Claimed
from gateway.temis.errors import ConnectorConfigError
from gateway.temis.lrs_client import GatewayRemoteLRS
from gateway.temis.settings import TemisSettings

_LRS_OWNED = ("stored", "authority", "version")


def _forwardable(statement: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in statement.items() if k not in _LRS_OWNED}


class XapiConnector:
    """Sends ``temis.xapi`` deliveries with tincan."""

    def __init__(self, settings: TemisSettings) -> None:
        if not settings.xapi_endpoint:
            raise ConnectorConfigError("the xapi connector needs GATEWAY_TEMIS_XAPI_ENDPOINT")
        endpoint = settings.xapi_endpoint.rstrip("/") + "/"
        password = settings.xapi_password.get_secret_value() if settings.xapi_password else None
        self.lrs = GatewayRemoteLRS(
            endpoint=endpoint,
            username=settings.xapi_username,
            password=password,
            version=settings.xapi_version,
        )
        self.lrs.timeout = settings.timeout_seconds

    def close(self) -> None:
        """Nothing pooled: tincan opens a connection per request."""

    def send(self, item: Claimed) -> None:
        """POST the delivery's statements; raise unless the LRS stored them."""
        statements = [_forwardable(s) for s in item.payload.get("statements", [])]
        if not statements:
            return
        batch = StatementList([Statement.from_json(json.dumps(s)) for s in statements])
        try:
            response = self.lrs.save_statements(batch)
        except OSError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        if response.success:
            return
        status = response.response.status
        detail = f"HTTP {status}: {response.data[:300]!r}"
        if status in (400, 409, 413):
            raise PermanentDeliveryError(detail)
        raise DeliveryError(detail)
