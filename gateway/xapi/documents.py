"""The document resources over HTTP: State, Activity Profile and Agent Profile.

xAPI 1.0.3 Communication 2.3 (/activities/state), 2.7 (/activities/profile) and 2.6
(/agents/profile); xAPI 2.0 4.1.6.2, 4.1.6.6 and 4.1.6.5. The three share one shape: key
parameters name a document (or, without the id, a set of them), GET/HEAD read, PUT
replaces, POST merges JSON, DELETE removes. This module turns query parameters and
headers into a ``learning_store.documents`` call; the rules live there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from gateway.db import Database, get_database
from gateway.settings import Settings
from gateway.xapi.bodies import read_body
from gateway.xapi.context import XapiContext, xapi_context
from gateway.xapi.statement_params import parse_agent_param
from learning_store.agents import ifi_key
from learning_store.documents import (
    ConcurrentWriteError,
    DocumentIds,
    DocumentKey,
    DocumentKind,
    DocumentSet,
    Preconditions,
    StoredDocument,
    delete_document,
    delete_documents,
    find_document,
    if_match_holds,
    if_none_match_holds,
    list_document_ids,
    merge_document,
    normalize_content_type,
    parse_tag_condition,
    put_document,
)
from learning_store.errors import (
    BadRequestError,
    ForbiddenError,
    NotFoundError,
    PreconditionFailedError,
)
from learning_store.queries import stored_bound
from learning_store.validation import parse_timestamp, validate_iri, validate_uuid

router = APIRouter()

Method = Literal["GET", "HEAD", "PUT", "POST", "DELETE"]
# Column widths of ``Document``: longer keys are a 400, not a database error.
MAX_ACTIVITY_ID = 2048
MAX_AGENT_KEY = 1024
MAX_DOCUMENT_ID = 1024
ALL_METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE"]
EndpointT = TypeVar("EndpointT", bound=Callable[..., Awaitable[Response]])


@dataclass(frozen=True)
class ResourceSpec:
    """What distinguishes one document resource from the others."""

    kind: DocumentKind
    id_param: str
    activity: bool
    agent: bool
    registration: bool
    scope: str
    # Only State allows DELETE without the id (Communication 2.3: delete all states).
    delete_many: bool

    @property
    def params(self) -> frozenset[str]:
        """Every query parameter the resource knows (``since`` only for GET/HEAD)."""
        names = {self.id_param}
        if self.activity:
            names.add("activityId")
        if self.agent:
            names.add("agent")
        if self.registration:
            names.add("registration")
        return frozenset(names)


STATE = ResourceSpec(
    kind="state",
    id_param="stateId",
    activity=True,
    agent=True,
    registration=True,
    scope="state",
    delete_many=True,
)
ACTIVITY_PROFILE = ResourceSpec(
    kind="activity_profile",
    id_param="profileId",
    activity=True,
    agent=False,
    registration=False,
    scope="profile",
    delete_many=False,
)
AGENT_PROFILE = ResourceSpec(
    kind="agent_profile",
    id_param="profileId",
    activity=False,
    agent=True,
    registration=False,
    scope="profile",
    delete_many=False,
)


@dataclass(frozen=True)
class Target:
    """The parsed request: one document (``key``) or a set of them (``documents``)."""

    documents: DocumentSet
    document_id: str | None
    since: str | None

    @property
    def key(self) -> DocumentKey:
        """The single document; only valid when ``document_id`` is set."""
        assert self.document_id is not None
        return DocumentKey(
            kind=self.documents.kind,
            document_id=self.document_id,
            activity_id=self.documents.activity_id,
            agent_ifi=self.documents.agent_ifi,
            registration=self.documents.registration or "",
        )


def _single(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    if not values:
        return None
    if len(values) > 1:
        raise BadRequestError(f"{name}: given more than once")
    return values[0]


def _required(request: Request, name: str) -> str:
    value = _single(request, name)
    if value is None:
        raise BadRequestError(f"{name}: query parameter is required")
    return value


def _agent_key(request: Request, ctx: XapiContext) -> str:
    agent = parse_agent_param(_required(request, "agent"), ctx.version)
    key = ifi_key(agent) or ""
    if len(key) > MAX_AGENT_KEY:
        raise BadRequestError(f"agent: the identifier is longer than {MAX_AGENT_KEY} characters")
    restricted = ctx.identity.agent_ifi
    if restricted is not None and key != restricted:
        raise ForbiddenError("agent: these credentials may only use their own agent's documents")
    return key


def _since(request: Request, ctx: XapiContext) -> str | None:
    value = _single(request, "since")
    if value is None:
        return None
    # An unencoded '+' of a UTC offset arrives as a space; read it as the client meant it.
    value = value.replace(" ", "+")
    return stored_bound(parse_timestamp(value, "since", ctx.version))


def parse_target(request: Request, spec: ResourceSpec, ctx: XapiContext, method: Method) -> Target:
    """Check the query parameters of ``method`` on ``spec``; 400 naming the first bad one."""
    allowed = spec.params | {"since"} if method in ("GET", "HEAD") else spec.params
    unknown = sorted(set(request.query_params) - allowed)
    if unknown:
        raise BadRequestError(f"{unknown[0]}: unknown query parameter for {method} here")
    activity_id = ""
    if spec.activity:
        activity_id = _required(request, "activityId")
        validate_iri(activity_id, "activityId")
        if len(activity_id) > MAX_ACTIVITY_ID:
            raise BadRequestError(f"activityId: longer than {MAX_ACTIVITY_ID} characters")
    agent_ifi = _agent_key(request, ctx) if spec.agent else ""
    registration = _single(request, "registration") if spec.registration else None
    if registration is not None:
        validate_uuid(registration, "registration")
        registration = registration.lower()
    document_id = _single(request, spec.id_param)
    if document_id is None:
        if method in ("PUT", "POST") or (method == "DELETE" and not spec.delete_many):
            raise BadRequestError(f"{spec.id_param}: query parameter is required for {method}")
    elif not document_id:
        raise BadRequestError(f"{spec.id_param}: must not be empty")
    elif len(document_id) > MAX_DOCUMENT_ID:
        raise BadRequestError(f"{spec.id_param}: longer than {MAX_DOCUMENT_ID} characters")
    since = _since(request, ctx) if method in ("GET", "HEAD") else None
    documents = DocumentSet(spec.kind, activity_id, agent_ifi, registration)
    return Target(documents, document_id, since)


def parse_preconditions(request: Request) -> Preconditions:
    """The ``If-Match``/``If-None-Match`` headers (1.0.3 Communication 3.1, 2.0 4.1.4)."""
    return Preconditions(
        if_match=parse_tag_condition(request.headers.get("If-Match"), "If-Match"),
        if_none_match=parse_tag_condition(request.headers.get("If-None-Match"), "If-None-Match"),
    )


def _http_date(moment: datetime) -> str:
    return format_datetime(moment, usegmt=True)


def _document_response(document: StoredDocument, head: bool) -> Response:
    """Exactly the stored bytes and Content-Type, with ETag and Last-Modified."""
    headers = {
        "Content-Type": document.content_type,
        "ETag": f'"{document.etag}"',
        "Last-Modified": _http_date(document.updated),
    }
    if head:
        headers["Content-Length"] = str(len(document.content))
        return Response(status_code=200, headers=headers)
    return Response(content=document.content, status_code=200, headers=headers)


def _ids_response(found: DocumentIds, head: bool) -> Response:
    """The multiple-document GET: a JSON array of ids (Communication 2.3, 2.6, 2.7)."""
    headers: dict[str, str] = {}
    if found.last_modified is not None:
        # 2.0 changelog: the multiple-document GET reports its newest document's time.
        headers["Last-Modified"] = _http_date(found.last_modified)
    rendered = JSONResponse(found.ids, headers=headers)
    if head:
        headers["Content-Length"] = str(len(rendered.body))
        return Response(status_code=200, headers=headers, media_type="application/json")
    return rendered


async def _read(
    request: Request, spec: ResourceSpec, ctx: XapiContext, database: Database
) -> Response:
    """GET/HEAD: one document by id, or the ids of the set (with ``since``)."""
    ctx.require(spec.scope, "all/read")
    method: Method = "HEAD" if request.method == "HEAD" else "GET"
    target = parse_target(request, spec, ctx, method)
    head = method == "HEAD"
    if target.document_id is None:
        found = await database.run(list_document_ids, target.documents, target.since)
        return _ids_response(found, head)
    preconditions = parse_preconditions(request)
    document = await database.run(find_document, target.key)
    if document is None:
        raise NotFoundError(f"{spec.id_param}: no document {target.document_id!r} here")
    # RFC 7232 3.1/3.2 on reads: a failing If-Match is 412, a matching If-None-Match 304.
    if preconditions.if_match is not None and not if_match_holds(
        preconditions.if_match, document.etag
    ):
        raise PreconditionFailedError("If-Match: the document's current ETag matches none sent")
    if preconditions.if_none_match is not None and not if_none_match_holds(
        preconditions.if_none_match, document.etag
    ):
        return Response(
            status_code=304,
            headers={
                "ETag": f'"{document.etag}"',
                "Last-Modified": _http_date(document.updated),
            },
        )
    return _document_response(document, head)


async def _run_write(database: Database, fn: Callable[..., None], *args: Any) -> None:
    """Run a write; once more if a concurrent request created the same document first."""
    try:
        await database.run(fn, *args)
    except ConcurrentWriteError:
        await database.run(fn, *args)


async def _write(
    request: Request, spec: ResourceSpec, ctx: XapiContext, database: Database
) -> Response:
    """PUT (replace), POST (merge) or DELETE; 204 when done."""
    ctx.require(spec.scope)
    method: Method = (
        "PUT" if request.method == "PUT" else ("POST" if request.method == "POST" else "DELETE")
    )
    target = parse_target(request, spec, ctx, method)
    preconditions = parse_preconditions(request)
    if method == "DELETE":
        if target.document_id is None:
            await database.run(delete_documents, target.documents)
        else:
            await _run_write(database, delete_document, target.key, preconditions)
        return Response(status_code=204)
    settings: Settings = request.app.state.settings
    content_type = normalize_content_type(request.headers.get("Content-Type"))
    content = await read_body(request, settings.max_body_bytes)
    if method == "PUT":
        await _run_write(
            database, put_document, target.key, content, content_type, preconditions, ctx.version
        )
    else:
        await _run_write(database, merge_document, target.key, content, content_type, preconditions)
    return Response(status_code=204)


def _route_each_method(path: str) -> Callable[[EndpointT], EndpointT]:
    """Register one route per method, so the OpenAPI document has distinct operations."""

    def decorate(endpoint: EndpointT) -> EndpointT:
        for method in ALL_METHODS:
            router.add_api_route(
                path,
                endpoint,
                methods=[method],
                operation_id=f"{endpoint.__name__}_{method.lower()}",
                include_in_schema=method != "HEAD",
            )
        return endpoint

    return decorate


async def _handle(
    request: Request, spec: ResourceSpec, ctx: XapiContext, database: Database
) -> Response:
    if request.method in ("GET", "HEAD"):
        return await _read(request, spec, ctx, database)
    return await _write(request, spec, ctx, database)


@_route_each_method("/activities/state")
async def state_resource(
    request: Request,
    ctx: XapiContext = Depends(xapi_context),
    database: Database = Depends(get_database),
) -> Response:
    """State documents of an activity, an agent and optionally a registration.

    xAPI 1.0.3 Communication 2.3, xAPI 2.0 4.1.6.2. DELETE without ``stateId`` removes
    every state of the activity and agent (of the registration, when given).
    """
    return await _handle(request, STATE, ctx, database)


@_route_each_method("/activities/profile")
async def activity_profile_resource(
    request: Request,
    ctx: XapiContext = Depends(xapi_context),
    database: Database = Depends(get_database),
) -> Response:
    """Activity Profile documents (xAPI 1.0.3 Communication 2.7, xAPI 2.0 4.1.6.6)."""
    return await _handle(request, ACTIVITY_PROFILE, ctx, database)


@_route_each_method("/agents/profile")
async def agent_profile_resource(
    request: Request,
    ctx: XapiContext = Depends(xapi_context),
    database: Database = Depends(get_database),
) -> Response:
    """Agent Profile documents (xAPI 1.0.3 Communication 2.6, xAPI 2.0 4.1.6.5)."""
    return await _handle(request, AGENT_PROFILE, ctx, database)
