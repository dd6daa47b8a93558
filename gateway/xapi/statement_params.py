"""Query parameters of GET /xapi/statements turned into a store filter (400 on bad input)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from learning_store.agents import ifi_key
from learning_store.errors import BadRequestError
from learning_store.queries import StatementFilter, stored_bound
from learning_store.validation import (
    XapiVersion,
    parse_timestamp,
    validate_agent,
    validate_iri,
    validate_uuid,
)

FILTER_PARAMS = {
    "agent",
    "verb",
    "activity",
    "registration",
    "related_activities",
    "related_agents",
    "since",
    "until",
    "limit",
    "ascending",
}
OUTPUT_PARAMS = {"format", "attachments"}
SINGLE_PARAMS = {"statementId", "voidedStatementId"}
ALLOWED_PARAMS = FILTER_PARAMS | OUTPUT_PARAMS | SINGLE_PARAMS | {"more"}
FORMATS = ("exact", "ids", "canonical")


@dataclass(frozen=True)
class StatementRequest:
    """What a GET on the Statements resource asks for."""

    statement_id: str | None
    voided: bool
    flt: StatementFilter
    format: str
    attachments: bool
    more: str | None


def _boolean(params: dict[str, str], name: str) -> bool:
    value = params.get(name)
    if value is None:
        return False
    if value not in ("true", "false"):
        raise BadRequestError(f"{name}: must be 'true' or 'false', got {value!r}")
    return value == "true"


def parse_agent_param(value: str, version: XapiVersion, name: str = "agent") -> dict[str, Any]:
    """An Agent or Group given as a JSON query parameter."""
    try:
        agent = json.loads(value)
    except ValueError as exc:
        raise BadRequestError(f"{name}: must be a JSON Agent or Group object") from exc
    validate_agent(agent, name, version)
    if not isinstance(agent, dict) or ifi_key(agent) is None:
        raise BadRequestError(f"{name}: must identify an Agent or Group by one IFI")
    return agent


def parse_statement_request(params: dict[str, str], version: XapiVersion) -> StatementRequest:
    """Check every parameter's form and their combinations (Communication 2.1.3)."""
    unknown = set(params) - ALLOWED_PARAMS
    if unknown:
        raise BadRequestError(f"{sorted(unknown)[0]}: unknown query parameter")
    fmt = params.get("format", "exact")
    if fmt not in FORMATS:
        raise BadRequestError(f"format: must be one of {', '.join(FORMATS)}, got {fmt!r}")
    attachments = _boolean(params, "attachments")
    single = SINGLE_PARAMS & set(params)
    if single:
        if len(single) > 1:
            raise BadRequestError("statementId and voidedStatementId cannot be used together")
        extra = set(params) - single - OUTPUT_PARAMS
        if extra:
            raise BadRequestError(
                f"{sorted(extra)[0]}: not allowed with statementId or voidedStatementId"
            )
        name = single.pop()
        validate_uuid(params[name], name)
        return StatementRequest(
            params[name], name == "voidedStatementId", StatementFilter(), fmt, attachments, None
        )
    agent_ifi = None
    if "agent" in params:
        agent_ifi = ifi_key(parse_agent_param(params["agent"], version))
    for name in ("verb", "activity"):
        if name in params:
            validate_iri(params[name], name)
    if "registration" in params:
        validate_uuid(params["registration"], "registration")
    since = until = None
    if "since" in params:
        since = stored_bound(parse_timestamp(params["since"], "since", version))
    if "until" in params:
        until = stored_bound(parse_timestamp(params["until"], "until", version))
    limit = 0
    if "limit" in params:
        try:
            limit = int(params["limit"])
        except ValueError as exc:
            raise BadRequestError("limit: must be a non-negative integer") from exc
        if limit < 0:
            raise BadRequestError("limit: must be a non-negative integer")
    flt = StatementFilter(
        agent_ifi=agent_ifi,
        verb_id=params.get("verb"),
        activity_id=params.get("activity"),
        registration=params["registration"].lower() if "registration" in params else None,
        related_activities=_boolean(params, "related_activities"),
        related_agents=_boolean(params, "related_agents"),
        since=since,
        until=until,
        limit=limit,
        ascending=_boolean(params, "ascending"),
    )
    return StatementRequest(None, False, flt, fmt, attachments, params.get("more"))
