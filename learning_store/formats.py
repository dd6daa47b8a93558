"""The ``format`` parameter of statement queries (xAPI 1.0.3 Communication 2.1.3).

``exact`` returns statements as stored; ``ids`` keeps only identifiers of agents,
activities and verbs; ``canonical`` keeps one language of each language map, chosen by
the request's Accept-Language.
"""

from __future__ import annotations

from typing import Any

from learning_store.agents import ifi_only

LANGUAGE_MAP_KEYS = ("display", "name", "description")


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags in order of preference (q-values honoured, ``*`` dropped)."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")):
        parts = item.strip().split(";")
        tag = parts[0].strip()
        if not tag or tag == "*":
            continue
        quality = 1.0
        for param in parts[1:]:
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranked.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(ranked)]


def _pick_language(language_map: dict[str, Any], preferred: list[str]) -> dict[str, Any]:
    if not language_map:
        return language_map
    lowered = {key.lower(): key for key in language_map}
    for tag in preferred:
        tag = tag.lower()
        if tag in lowered:
            key = lowered[tag]
            return {key: language_map[key]}
        for candidate_lower, key in lowered.items():
            if candidate_lower.split("-")[0] == tag.split("-")[0]:
                return {key: language_map[key]}
    for fallback in ("und", "en-us", "en"):
        if fallback in lowered:
            key = lowered[fallback]
            return {key: language_map[key]}
    first = next(iter(language_map))
    return {first: language_map[first]}


def to_canonical(value: Any, preferred: list[str]) -> Any:
    """A copy with every language map reduced to the preferred language."""
    if isinstance(value, list):
        return [to_canonical(item, preferred) for item in value]
    if not isinstance(value, dict):
        return value
    result: dict[str, Any] = {}
    for key, item in value.items():
        if key == "extensions":
            result[key] = item
        elif key in LANGUAGE_MAP_KEYS and isinstance(item, dict) and _is_language_map(item):
            result[key] = _pick_language(item, preferred)
        else:
            result[key] = to_canonical(item, preferred)
    return result


def _is_language_map(value: dict[str, Any]) -> bool:
    return all(isinstance(v, str) for v in value.values())


def _activity_ids(activity: dict[str, Any]) -> dict[str, Any]:
    return {"id": activity["id"]}


def _object_ids(obj: dict[str, Any]) -> dict[str, Any]:
    object_type = obj.get("objectType") or "Activity"
    if object_type == "Activity":
        return _activity_ids(obj)
    if object_type in ("Agent", "Group"):
        return ifi_only(obj)
    if object_type == "SubStatement":
        return _statement_ids(obj)
    return obj


def _statement_ids(statement: dict[str, Any]) -> dict[str, Any]:
    result = dict(statement)
    result["actor"] = ifi_only(statement["actor"])
    result["verb"] = {"id": statement["verb"]["id"]}
    result["object"] = _object_ids(statement["object"])
    if "authority" in statement and isinstance(statement["authority"], dict):
        result["authority"] = ifi_only(statement["authority"])
    context = statement.get("context")
    if isinstance(context, dict):
        context = dict(context)
        for role in ("instructor", "team"):
            if isinstance(context.get(role), dict):
                context[role] = ifi_only(context[role])
        activities = context.get("contextActivities")
        if isinstance(activities, dict):
            context["contextActivities"] = {
                kind: [_activity_ids(a) for a in (value if isinstance(value, list) else [value])]
                for kind, value in activities.items()
            }
        result["context"] = context
    return result


def format_statement(statement: dict[str, Any], fmt: str, preferred: list[str]) -> dict[str, Any]:
    """The statement in the requested format (``exact`` returns it unchanged)."""
    if fmt == "ids":
        return _statement_ids(statement)
    if fmt == "canonical":
        result: dict[str, Any] = to_canonical(statement, preferred)
        return result
    return statement
