"""Errors of ``gateway.temis``.

```
TemisError
└── ConnectorConfigError    a connector asked for without the settings it needs
```
Delivery failures use ``gateway.bdtx.delivery.DeliveryError`` (transient) and
``PermanentDeliveryError`` so the shared delivery loop can schedule them.
"""

from __future__ import annotations


class TemisError(Exception):
    """Base of the errors ``gateway.temis`` raises on purpose."""


class ConnectorConfigError(TemisError):
    """A connector is enabled but a setting it needs is missing."""
