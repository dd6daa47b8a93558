"""Reading request bodies: size limits, JSON decoding and statement multipart bodies."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from gateway.xapi.errors import XapiHTTPError
from gateway.xapi.multipart import boundary_of, parse_multipart
from learning_store.errors import BadRequestError
from learning_store.statements import AttachmentPart


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refusing with 413 once it grows past ``limit`` bytes."""
    declared = request.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise XapiHTTPError(413, f"body: larger than the limit of {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise XapiHTTPError(413, f"body: larger than the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def media_type(request: Request) -> str:
    """The Content-Type without parameters, lower-cased."""
    return request.headers.get("Content-Type", "").split(";")[0].strip().lower()


def decode_json(body: bytes, what: str) -> Any:
    """Parse JSON text; a 400 names ``what`` and the position of the error."""
    if not body.strip():
        raise BadRequestError(f"{what}: the body is empty")
    try:
        return json.loads(body)
    except UnicodeDecodeError as exc:
        raise BadRequestError(f"{what}: the body is not UTF-8") from exc
    except json.JSONDecodeError as exc:
        raise BadRequestError(f"{what}: invalid JSON ({exc.msg} at position {exc.pos})") from exc


def statements_from_body(
    request: Request, body: bytes, max_attachment: int
) -> tuple[Any, dict[str, AttachmentPart]]:
    """The statement JSON and the attachment parts of a PUT/POST body."""
    kind = media_type(request)
    if kind == "multipart/mixed":
        parts = parse_multipart(body, boundary_of(request.headers["Content-Type"]))
        if not parts:
            raise BadRequestError("multipart body: no parts")
        first = parts[0]
        first_type = first.headers.get("content-type", "").split(";")[0].strip().lower()
        if first_type != "application/json":
            raise BadRequestError("multipart body: the first part must be application/json")
        attachments: dict[str, AttachmentPart] = {}
        for index, part in enumerate(parts[1:], start=1):
            sha2 = part.headers.get("x-experience-api-hash")
            if not sha2:
                raise BadRequestError(
                    f"multipart part {index}: X-Experience-API-Hash header is required"
                )
            encoding = part.headers.get("content-transfer-encoding")
            if encoding is None or encoding.lower() != "binary":
                raise BadRequestError(
                    f"multipart part {index}: Content-Transfer-Encoding must be binary"
                )
            if len(part.content) > max_attachment:
                raise XapiHTTPError(
                    413, f"multipart part {index}: larger than {max_attachment} bytes"
                )
            attachments[sha2.lower()] = AttachmentPart(
                sha2.lower(),
                part.headers.get("content-type", "application/octet-stream"),
                part.content,
            )
        return decode_json(first.content, "statements"), attachments
    if kind not in ("application/json", ""):
        raise BadRequestError(
            f"Content-Type: {kind!r} is not accepted; use application/json or multipart/mixed"
        )
    return decode_json(body, "statements"), {}
