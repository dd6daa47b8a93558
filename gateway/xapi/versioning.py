"""The X-Experience-API-Version header (xAPI 1.0.3 Communication 3.3, xAPI 2.0 4.1.2)."""

from __future__ import annotations

import re

from learning_store.validation import XapiVersion

SUPPORTED_VERSIONS = ["1.0.0", "1.0.1", "1.0.2", "1.0.3", "2.0.0"]
RESPONSE_VERSION: dict[XapiVersion, str] = {"1.0": "1.0.3", "2.0": "2.0.0"}
_VERSION = re.compile(r"^(1\.0|2\.0)(\.\d+)?$")


def parse_version_header(value: str | None) -> XapiVersion | None:
    """``1.0``/``1.0.x`` -> "1.0", ``2.0``/``2.0.x`` -> "2.0", anything else -> None."""
    if value is None:
        return None
    match = _VERSION.match(value.strip())
    if match is None:
        return None
    return "2.0" if match.group(1) == "2.0" else "1.0"
