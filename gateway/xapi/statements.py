"""The Statements resource: PUT, POST, GET and HEAD on /xapi/statements."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from email.utils import format_datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.orm import Session

from gateway.db import Database, get_database
from gateway.settings import Settings
from gateway.xapi.bodies import read_body, statements_from_body
from gateway.xapi.context import XapiContext, xapi_context
from gateway.xapi.statement_params import StatementRequest, parse_statement_request
from learning_store.errors import BadRequestError
from learning_store.formats import format_statement, parse_accept_language
from learning_store.models import Attachment
from learning_store.queries import (
    StatementFilter,
    decode_more,
    get_statement,
    query_statements,
)
from learning_store.statements import (
    StatementPolicy,
    WriteContext,
    get_attachments,
    store_statements,
)
from learning_store.timestamps import to_xapi_form, utc_now
from learning_store.validation import parse_timestamp, validate_uuid

router = APIRouter()


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _write_context(ctx: XapiContext, request: Request) -> WriteContext:
    policies: tuple[StatementPolicy, ...] = tuple(
        getattr(request.app.state, "statement_policies", ())
    )
    return WriteContext(
        authority=ctx.identity.authority,
        client_id=ctx.identity.client_id,
        version=ctx.version,
        agent_ifi=ctx.identity.agent_ifi,
        policies=policies,
    )


@router.put("/statements", status_code=204)
async def put_statement(
    request: Request,
    ctx: XapiContext = Depends(xapi_context),
    database: Database = Depends(get_database),
) -> Response:
    """Store one statement under the id given in ``statementId`` (Communication 2.1.1)."""
    ctx.require("statements/write")
    settings = _settings(request)
    statement_id = request.query_params.get("statementId")
    if statement_id is None:
        raise BadRequestError("statementId: query parameter is required for PUT")
    validate_uuid(statement_id, "statementId")
    extra = set(request.query_params) - {"statementId"}
    if extra:
        raise BadRequestError(f"{sorted(extra)[0]}: unknown query parameter")
    body = await read_body(request, settings.max_body_bytes)
    statement, parts = statements_from_body(request, body, settings.max_attachment_bytes)
    if not isinstance(statement, dict):
        raise BadRequestError("statement: PUT takes a single statement object")
    if "id" in statement:
        if not isinstance(statement["id"], str) or statement["id"].lower() != statement_id.lower():
            raise BadRequestError("id: does not match the statementId query parameter")
    else:
        statement = {**statement, "id": statement_id}
    await database.run(store_statements, [statement], _write_context(ctx, request), parts)
    return Response(status_code=204)


@router.post("/statements")
async def post_statements(
    request: Request,
    ctx: XapiContext = Depends(xapi_context),
    database: Database = Depends(get_database),
) -> Response:
    """Store one statement or a batch; answer with their ids (Communication 2.1.2)."""
    ctx.require("statements/write")
    settings = _settings(request)
    if request.query_params:
        raise BadRequestError(f"{next(iter(request.query_params))}: unknown query parameter")
    body = await read_body(request, settings.max_body_bytes)
    payload, parts = statements_from_body(request, body, settings.max_attachment_bytes)
    batch = payload if isinstance(payload, list) else [payload]
    if not batch:
        raise BadRequestError("statements: the batch is empty")
    ids = await database.run(store_statements, batch, _write_context(ctx, request), parts)
    return JSONResponse(ids)


@router.get("/statements")
@router.head("/statements", include_in_schema=False)
async def get_statements(
    request: Request,
    ctx: XapiContext = Depends(xapi_context),
    database: Database = Depends(get_database),
) -> Response:
    """One statement by id, or a page of statements matching the filters."""
    if ctx.identity.allows("statements/read"):
        mine: int | None = None
    elif ctx.identity.allows("statements/read/mine"):
        mine = ctx.identity.client_id
    else:
        ctx.require("statements/read")
        mine = None
    params = dict(request.query_params)
    parsed = parse_statement_request(params, ctx.version)
    preferred = parse_accept_language(request.headers.get("Accept-Language"))
    settings = _settings(request)
    consistent = to_xapi_form(utc_now())
    headers = {"X-Experience-API-Consistent-Through": consistent}

    if parsed.statement_id is not None:
        text = await database.run(get_statement, parsed.statement_id, parsed.voided)
        statement = json.loads(text)
        if mine is not None and statement.get("authority") != ctx.identity.authority:
            raise BadRequestError("statementId: not readable with statements/read/mine")
        headers["Last-Modified"] = _http_date(statement["stored"])
        body: Any = format_statement(statement, parsed.format, preferred)
        statements_for_attachments = [statement]
    else:
        flt = _filter_for(parsed, mine)
        page = await database.run(query_statements, flt, settings.max_query_limit)
        more = f"/xapi/statements?more={page.more}" if page.more else ""
        if parsed.format == "exact" and not parsed.attachments:
            # Each stored text is already the exact JSON the LRS returns: splice the texts
            # into the page instead of decoding and re-encoding every statement.
            if page.latest_stored is not None:
                headers["Last-Modified"] = _http_date(page.latest_stored)
            content = "".join(
                ['{"statements":[', ",".join(page.statements), '],"more":', json.dumps(more), "}"]
            ).encode()
            if request.method == "HEAD":
                headers["Content-Length"] = str(len(content))
                return Response(status_code=200, headers=headers, media_type="application/json")
            return Response(content, headers=headers, media_type="application/json")
        loaded = [json.loads(text) for text in page.statements]
        body = {
            "statements": [format_statement(s, parsed.format, preferred) for s in loaded],
            "more": more,
        }
        if loaded:
            headers["Last-Modified"] = _http_date(max(s["stored"] for s in loaded))
        statements_for_attachments = loaded

    if parsed.attachments:
        hashes = _attachment_hashes(statements_for_attachments)
        stored = await database.run(_load_attachments, hashes)
        return _multipart_response(body, stored, headers, request.method == "HEAD")
    if request.method == "HEAD":
        content = json.dumps(body, ensure_ascii=False).encode()
        headers["Content-Length"] = str(len(content))
        return Response(status_code=200, headers=headers, media_type="application/json")
    return JSONResponse(body, headers=headers)


def _filter_for(parsed: StatementRequest, mine: int | None) -> StatementFilter:
    flt = decode_more(parsed.more) if parsed.more else parsed.flt
    if mine is not None:
        flt = replace(flt, client_id=mine)
    return flt


def _http_date(xapi_timestamp: str) -> str:
    moment = parse_timestamp(xapi_timestamp, "stored", "2.0")
    return format_datetime(moment, usegmt=True)


def _attachment_hashes(statements: list[dict[str, Any]]) -> list[str]:
    hashes: list[str] = []
    for statement in statements:
        owners = [statement]
        obj = statement.get("object")
        if isinstance(obj, dict) and obj.get("objectType") == "SubStatement":
            owners.append(obj)
        for owner in owners:
            for attachment in owner.get("attachments") or []:
                sha2 = str(attachment.get("sha2", "")).lower()
                if sha2 and sha2 not in hashes:
                    hashes.append(sha2)
    return hashes


def _load_attachments(session: Session, hashes: list[str]) -> list[Attachment]:
    return get_attachments(session, hashes)


def _multipart_response(
    body: Any, attachments: list[Attachment], headers: dict[str, str], head: bool
) -> Response:
    boundary = uuid.uuid4().hex
    chunks = [
        f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(),
        json.dumps(body, ensure_ascii=False).encode(),
    ]
    for attachment in attachments:
        chunks.append(
            (
                f"\r\n--{boundary}\r\nContent-Type: {attachment.content_type}\r\n"
                f"Content-Transfer-Encoding: binary\r\n"
                f"X-Experience-API-Hash: {attachment.sha2}\r\n\r\n"
            ).encode()
        )
        chunks.append(attachment.content)
    chunks.append(f"\r\n--{boundary}--\r\n".encode())
    content = b"".join(chunks)
    media = f"multipart/mixed; boundary={boundary}"
    if head:
        headers = {**headers, "Content-Length": str(len(content))}
        return Response(status_code=200, headers=headers, media_type=media)
    return Response(content, status_code=200, headers=headers, media_type=media)
