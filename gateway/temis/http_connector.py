"""The ``http`` connector: result records to a TEMIS endpoint (``docs/TEMIS_API.md``).

``PUT {http_url}v1/bdtx/results/{idempotency_key}`` with the record as JSON and a bearer
token from the OAuth 2 client-credentials grant (Authlib). 200/201 is an acknowledgement
(200 also for a key TEMIS already holds); 401 gets one fresh token and one more try (an
expired or revoked token); 400, 404, 409, 410, 413 and 422 are permanent refusals (dead
letter); everything else, timeouts and dropped connections included, is retried later.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx2
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client

from gateway.bdtx.delivery import DeliveryError, PermanentDeliveryError
from gateway.bdtx.outbox import Claimed
from gateway.temis.errors import ConnectorConfigError
from gateway.temis.settings import TemisSettings

PERMANENT = frozenset({400, 404, 409, 410, 413, 422})
RESULTS_PATH = "v1/bdtx/results/"


class HttpConnector:
    """Sends ``temis.http`` deliveries; one instance per worker thread."""

    def __init__(self, settings: TemisSettings, transport: Any | None = None) -> None:
        missing = [
            name
            for name in ("http_url", "token_url", "client_id", "client_secret")
            if getattr(settings, name) is None
        ]
        if missing:
            names = ", ".join("GATEWAY_TEMIS_" + n.upper() for n in missing)
            raise ConnectorConfigError(f"the http connector needs {names}")
        assert settings.http_url and settings.token_url and settings.client_secret
        self.base = settings.http_url.rstrip("/") + "/"
        self.token_url = settings.token_url
        extra: dict[str, Any] = {"transport": transport} if transport is not None else {}
        self.client = OAuth2Client(
            client_id=settings.client_id,
            client_secret=settings.client_secret.get_secret_value(),
            scope=settings.scope,
            token_endpoint=settings.token_url,
            grant_type="client_credentials",
            timeout=settings.timeout_seconds,
            **extra,
        )

    def close(self) -> None:
        """Close pooled connections."""
        self.client.close()

    def _fetch_token(self) -> None:
        try:
            self.client.fetch_token(self.token_url, grant_type="client_credentials")
        except OAuthError as exc:
            raise DeliveryError(f"token endpoint refused: {exc}") from exc

    def _put(self, item: Claimed) -> httpx2.Response:
        if not self.client.token:
            self._fetch_token()
        url = self.base + RESULTS_PATH + quote(item.key, safe=":")
        response: httpx2.Response = self.client.put(
            url, json=item.payload, headers={"Idempotency-Key": item.key}
        )
        return response

    def send(self, item: Claimed) -> None:
        """Deliver one record; raise a delivery error unless TEMIS acknowledged it."""
        try:
            response = self._put(item)
            if response.status_code == 401:
                # Expired or revoked before its stated lifetime: one fresh token, one retry.
                self.client.token = None
                response = self._put(item)
        except OAuthError as exc:
            self.client.token = None
            raise DeliveryError(f"OAuth: {exc}") from exc
        except httpx2.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status in (200, 201):
            return
        detail = f"HTTP {status}: {response.text[:300]}"
        if status in PERMANENT:
            raise PermanentDeliveryError(detail)
        raise DeliveryError(detail)
