"""Index keys of a statement: what goes into the indexed columns and side tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from learning_store.agents import agent_and_members, ifi_key

CONTEXT_ACTIVITY_KINDS = ("parent", "grouping", "category", "other")


@dataclass
class StatementKeys:
    """The columns of ``xapi_statement`` and the rows of its two side tables."""

    actor_ifi: str
    verb_id: str
    object_type: str
    object_key: str
    registration: str | None
    agents: dict[str, bool] = field(default_factory=dict)  # ifi -> direct
    activities: dict[str, bool] = field(default_factory=dict)  # activity id -> direct


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _add_agent(keys: StatementKeys, agent: Any, direct: bool) -> None:
    if not isinstance(agent, dict):
        return
    own = ifi_key(agent)
    for key in agent_and_members(agent):
        # Only the actor/object itself is "direct"; its members match related_agents.
        is_direct = direct and key == own
        keys.agents[key] = keys.agents.get(key, False) or is_direct


def _add_context(keys: StatementKeys, context: Any) -> None:
    if not isinstance(context, dict):
        return
    _add_agent(keys, context.get("instructor"), direct=False)
    _add_agent(keys, context.get("team"), direct=False)
    for item in _as_list(context.get("contextAgents")):
        if isinstance(item, dict):
            _add_agent(keys, item.get("agent"), direct=False)
    for item in _as_list(context.get("contextGroups")):
        if isinstance(item, dict):
            _add_agent(keys, item.get("group"), direct=False)
    activities = context.get("contextActivities")
    if isinstance(activities, dict):
        for kind in CONTEXT_ACTIVITY_KINDS:
            for activity in _as_list(activities.get(kind)):
                if isinstance(activity, dict) and isinstance(activity.get("id"), str):
                    keys.activities.setdefault(activity["id"], False)


def _add_object(keys: StatementKeys, obj: dict[str, Any], direct: bool) -> None:
    object_type = obj.get("objectType") or "Activity"
    if object_type == "Activity":
        activity_id = obj["id"]
        keys.activities[activity_id] = keys.activities.get(activity_id, False) or direct
    elif object_type in ("Agent", "Group"):
        _add_agent(keys, obj, direct=direct)


def extract_keys(statement: dict[str, Any]) -> StatementKeys:
    """Keys of a validated statement, including those inside a SubStatement."""
    actor = statement["actor"]
    obj = statement["object"]
    object_type = obj.get("objectType") or "Activity"
    if object_type == "Activity" or object_type == "StatementRef":
        object_key = obj["id"]
    elif object_type in ("Agent", "Group"):
        object_key = ifi_key(obj) or ""
    else:
        object_key = ""
    context = statement.get("context") or {}
    registration = context.get("registration")
    keys = StatementKeys(
        actor_ifi=ifi_key(actor) or "",
        verb_id=statement["verb"]["id"],
        object_type=object_type,
        object_key=object_key if object_type != "StatementRef" else object_key.lower(),
        registration=registration.lower() if isinstance(registration, str) else None,
    )
    _add_agent(keys, actor, direct=True)
    _add_object(keys, obj, direct=True)
    _add_agent(keys, statement.get("authority"), direct=False)
    _add_context(keys, context)
    if object_type == "SubStatement":
        _add_agent(keys, obj.get("actor"), direct=False)
        sub_object = obj.get("object")
        if isinstance(sub_object, dict):
            _add_object(keys, sub_object, direct=False)
        _add_context(keys, obj.get("context"))
    return keys
