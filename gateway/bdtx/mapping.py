"""From a stored statement to the facts the ledger counts (no database here).

A statement counts for a module when its object, or one of its ``parent`` or
``grouping`` context activities, is the module's activity IRI or an IRI an admin mapped to
the module (issue #5, "Mapping"). What it says about the learner is reduced to four facts:
completion, success (passed / failed), cmi5 ``satisfied``, and a scaled score. Whether the
facts earn the module is decided later, by the module's rule, over every fact of the year
(:mod:`gateway.bdtx.credits`), so statements may arrive in any order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.bdtx.years import parse_timestamp
from learning_store.agents import ifi_key

VERB_COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VERB_PASSED = "http://adlnet.gov/expapi/verbs/passed"
VERB_FAILED = "http://adlnet.gov/expapi/verbs/failed"
VERB_SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"
VERB_VOIDED = "http://adlnet.gov/expapi/verbs/voided"

# Which module an activity IRI stands for (catalog IRIs and admin mappings).
ModuleLookup = Callable[[str], str | None]


@dataclass(frozen=True)
class Fact:
    """What one statement says about one learner and one module."""

    statement_id: str
    actor_ifi: str
    module_key: str
    completion: bool
    success: bool | None
    satisfied: bool
    scaled: float | None
    occurred: datetime
    stored: datetime
    registration: str | None


@dataclass(frozen=True)
class Voiding:
    """A voiding statement: ``target`` no longer counts."""

    statement_id: str
    target: str


def read_statement(statement: Mapping[str, Any], modules: ModuleLookup) -> Fact | Voiding | None:
    """The fact or voiding a stored statement carries; None when it cannot count."""
    verb = statement.get("verb", {}).get("id")
    target = statement.get("object", {})
    if verb == VERB_VOIDED:
        if target.get("objectType") == "StatementRef" and isinstance(target.get("id"), str):
            return Voiding(str(statement["id"]).lower(), target["id"].lower())
        return None
    actor = statement.get("actor", {})
    if actor.get("objectType") == "Group":
        return None  # BDTX credits are personal
    actor_key = ifi_key(actor)
    if actor_key is None:
        return None
    result = statement.get("result") or {}
    completion = verb == VERB_COMPLETED or result.get("completion") is True
    success: bool | None
    if verb == VERB_PASSED:
        success = True
    elif verb == VERB_FAILED:
        success = False
    else:
        flag = result.get("success")
        success = flag if isinstance(flag, bool) else None
    satisfied = verb == VERB_SATISFIED
    if not (completion or satisfied or success is not None):
        return None
    module_key = _module_of(statement, modules)
    if module_key is None:
        return None
    context = statement.get("context") or {}
    registration = context.get("registration")
    return Fact(
        statement_id=str(statement["id"]).lower(),
        actor_ifi=actor_key,
        module_key=module_key,
        completion=completion,
        success=success,
        satisfied=satisfied,
        scaled=scaled_score(result.get("score")),
        occurred=parse_timestamp(statement.get("timestamp") or statement["stored"]),
        stored=parse_timestamp(statement["stored"]),
        registration=registration.lower() if isinstance(registration, str) else None,
    )


def scaled_score(score: Any) -> float | None:
    """``score.scaled``, or ``raw`` within ``min``..``max`` when only those are given."""
    if not isinstance(score, Mapping):
        return None
    scaled = score.get("scaled")
    if isinstance(scaled, int | float) and not isinstance(scaled, bool):
        return float(scaled)
    raw, high = score.get("raw"), score.get("max")
    low = score.get("min", 0)
    numbers = (raw, high, low)
    if all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers):
        assert isinstance(raw, int | float) and isinstance(high, int | float)
        assert isinstance(low, int | float)
        if high > low:
            return (float(raw) - low) / (float(high) - low)
    return None


def _module_of(statement: Mapping[str, Any], modules: ModuleLookup) -> str | None:
    """The module of the object first, then of parent, then of grouping activities."""
    target = statement.get("object", {})
    if target.get("objectType", "Activity") == "Activity" and isinstance(target.get("id"), str):
        found = modules(target["id"])
        if found is not None:
            return found
    activities = (statement.get("context") or {}).get("contextActivities") or {}
    for kind in ("parent", "grouping"):
        listed = activities.get(kind) or []
        if isinstance(listed, Mapping):
            listed = [listed]
        for activity in listed:
            if isinstance(activity, Mapping) and isinstance(activity.get("id"), str):
                found = modules(activity["id"])
                if found is not None:
                    return found
    return None
