"""multipart/mixed bodies of statements with attachments (xAPI 1.0.3 Communication 1.5.2).

Written here rather than with ``email``: attachment parts are raw binary and must come
back byte for byte, and the spec's rules are about the parts' own headers.
"""

from __future__ import annotations

from dataclasses import dataclass

from learning_store.errors import BadRequestError


@dataclass(frozen=True)
class Part:
    """One body part: lower-cased header names and the raw content."""

    headers: dict[str, str]
    content: bytes


def boundary_of(content_type: str) -> str:
    """The boundary parameter of a multipart Content-Type header."""
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary":
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            if value:
                return value
    raise BadRequestError("Content-Type: multipart/mixed requires a boundary parameter")


def parse_multipart(body: bytes, boundary: str) -> list[Part]:
    """Split a multipart body into parts; malformed framing is a 400."""
    delimiter = b"--" + boundary.encode("latin-1")
    start = body.find(delimiter)
    if start < 0:
        raise BadRequestError("multipart body: the boundary never appears")
    parts: list[Part] = []
    position = start + len(delimiter)
    while True:
        if body[position : position + 2] == b"--":
            return parts
        if body[position : position + 2] == b"\r\n":
            position += 2
        elif body[position : position + 1] == b"\n":
            position += 1
        next_delimiter = body.find(b"\r\n" + delimiter, position)
        if next_delimiter < 0:
            raise BadRequestError("multipart body: a part is not closed by the boundary")
        parts.append(_parse_part(body[position:next_delimiter]))
        position = next_delimiter + 2 + len(delimiter)


def _parse_part(raw: bytes) -> Part:
    head, separator, content = raw.partition(b"\r\n\r\n")
    if not separator:
        if raw.startswith(b"\r\n"):
            head, content = b"", raw[2:]
        else:
            raise BadRequestError("multipart body: a part has no blank line after its headers")
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").split("\r\n"):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon:
            raise BadRequestError(f"multipart body: malformed part header {line!r}")
        headers[name.strip().lower()] = value.strip()
    return Part(headers, content)
