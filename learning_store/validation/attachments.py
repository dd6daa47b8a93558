"""Attachments (xAPI 1.0.3 Data 2.4.11; xAPI 2.0 4.2.2.6).

Only the metadata is checked here; matching ``sha2`` against multipart parts and
verifying signatures happen where the request body is available.
"""

from __future__ import annotations

import re

from learning_store.validation.base import fail, require_list, require_object, wrong_type
from learning_store.validation.primitives import (
    check_irl,
    check_sha2,
    validate_iri,
    validate_language_map,
)

ATTACHMENT_KEYS = frozenset(
    {"usageType", "display", "description", "contentType", "length", "sha2", "fileUrl"}
)
_REQUIRED = ("usageType", "display", "contentType", "length", "sha2")
# RFC 2045/6838 media type: type "/" subtype, then ";" parameters (token or quoted value).
_TOKEN = r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"
_MEDIA_TYPE = re.compile(
    rf"{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|\"[^\"\\]*(?:\\.[^\"\\]*)*\"))*[ \t]*",
    re.ASCII,
)


def _check_content_type(value: object, path: str) -> None:
    """Data 2.4.11: ``contentType`` is an Internet Media Type (``text/plain; charset=ascii``)."""
    if not isinstance(value, str):
        wrong_type(path, "an Internet media type string", value)
    if _MEDIA_TYPE.fullmatch(value) is None:
        fail(path, "must be an Internet media type such as 'text/plain'")


def _check_length(value: object, path: str) -> None:
    """Data 2.4.11: ``length`` is a non-negative integer number of octets."""
    if type(value) is not int:
        wrong_type(path, "an integer", value)
    if value < 0:
        fail(path, "must not be negative")


def check_attachment(value: object, path: str) -> None:
    """One Attachment: usageType, display, contentType, length and sha2 are required."""
    attachment = require_object(value, path, ATTACHMENT_KEYS)
    for key in _REQUIRED:
        if key not in attachment:
            fail(f"{path}.{key}", "required property is missing")
    validate_iri(attachment["usageType"], f"{path}.usageType")
    validate_language_map(attachment["display"], f"{path}.display")
    if "description" in attachment:
        validate_language_map(attachment["description"], f"{path}.description")
    _check_content_type(attachment["contentType"], f"{path}.contentType")
    _check_length(attachment["length"], f"{path}.length")
    check_sha2(attachment["sha2"], f"{path}.sha2")
    if "fileUrl" in attachment:
        check_irl(attachment["fileUrl"], f"{path}.fileUrl")


def check_attachments(value: object, path: str) -> None:
    """Data 2.4.11 (XAPI-00025): an array of Attachment objects; ``[]`` is allowed."""
    for index, attachment in enumerate(require_list(value, path)):
        check_attachment(attachment, f"{path}[{index}]")
