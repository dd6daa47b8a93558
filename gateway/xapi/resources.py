"""The About, Activities and Agents resources (Communication 2.4, 2.5, 2.8)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway import __version__
from gateway.db import Database, get_database
from gateway.xapi.context import XapiContext, xapi_context
from gateway.xapi.statement_params import parse_agent_param
from gateway.xapi.versioning import SUPPORTED_VERSIONS
from learning_store.agents import ifi_key, person_from_agent
from learning_store.errors import BadRequestError
from learning_store.models import Activity, Statement
from learning_store.validation import validate_iri

router = APIRouter()


def _json(body: Any, request: Request, headers: dict[str, str] | None = None) -> Response:
    if request.method == "HEAD":
        content = json.dumps(body).encode()
        return Response(
            status_code=200,
            headers={**(headers or {}), "Content-Length": str(len(content))},
            media_type="application/json",
        )
    return JSONResponse(body, headers=headers)


@router.get("/about")
@router.head("/about", include_in_schema=False)
async def about(request: Request) -> Response:
    """Versions this LRS speaks; needs neither credentials nor a version header."""
    body = {
        "version": SUPPORTED_VERSIONS,
        "extensions": {
            "https://temis-gateway.example/xapi/about/software": {
                "name": "TEMIS LMS Gateway",
                "version": __version__,
            }
        },
    }
    return _json(body, request)


def _load_activity(session: Session, activity_id: str) -> dict[str, Any]:
    row = session.get(Activity, activity_id)
    activity: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    # Communication 2.5: without a definition the LRS still returns an Activity object.
    definition = json.loads(row.definition_json) if row is not None else None
    if definition:
        activity["definition"] = definition
    return activity


@router.get("/activities")
@router.head("/activities", include_in_schema=False)
async def get_activity(
    request: Request,
    ctx: XapiContext = Depends(xapi_context),
    database: Database = Depends(get_database),
) -> Response:
    """The full definition of one activity, merged from the statements that carried it."""
    ctx.require("all/read", "statements/read", "define", "profile", "state")
    unknown = set(request.query_params) - {"activityId"}
    if unknown:
        raise BadRequestError(f"{sorted(unknown)[0]}: unknown query parameter")
    activity_id = request.query_params.get("activityId")
    if activity_id is None:
        raise BadRequestError("activityId: query parameter is required")
    validate_iri(activity_id, "activityId")
    return _json(await database.run(_load_activity, activity_id), request)


def _names_of(session: Session, key: str) -> list[str]:
    rows = session.scalars(
        select(Statement.full_json)
        .where(Statement.actor_ifi == key)
        .order_by(Statement.seq.desc())
        .limit(20)
    )
    names: list[str] = []
    for text in rows:
        name = json.loads(text)["actor"].get("name")
        if isinstance(name, str) and name not in names:
            names.append(name)
    return names


@router.get("/agents")
@router.head("/agents", include_in_schema=False)
async def get_agents(
    request: Request,
    ctx: XapiContext = Depends(xapi_context),
    database: Database = Depends(get_database),
) -> Response:
    """The Person object the LRS knows for an agent (Communication 2.4)."""
    ctx.require("all/read", "statements/read", "profile", "state")
    unknown = set(request.query_params) - {"agent"}
    if unknown:
        raise BadRequestError(f"{sorted(unknown)[0]}: unknown query parameter")
    raw = request.query_params.get("agent")
    if raw is None:
        raise BadRequestError("agent: query parameter is required")
    agent = parse_agent_param(raw, ctx.version)
    if agent.get("objectType") == "Group":
        raise BadRequestError("agent: must be an Agent, not a Group")
    names = await database.run(_names_of, ifi_key(agent) or "")
    if isinstance(agent.get("name"), str) and agent["name"] not in names:
        names.insert(0, agent["name"])
    return _json(person_from_agent(agent, names), request)
