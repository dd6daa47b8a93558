"""Statement comparison (xAPI 1.0.3 Data 2.3, "Statement Comparison Requirements").

Two statements with the same id are the same statement when they differ only in what the
LRS sets (``stored``, ``authority``, ``version``), in the case of ids, in the order of
JSON keys, or in how a timestamp writes one instant.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

LRS_SET_PROPERTIES = ("stored", "authority", "version")
_SECONDS_FRACTION = re.compile(r"(\d+)\.(\d+)S$")


def _truncate_duration(value: Any) -> Any:
    """xAPI 2.0 4.2.7: durations compare at 0.01 s precision (``0.1237S`` == ``0.12S``)."""
    if not isinstance(value, str):
        return value

    def cut(match: re.Match[str]) -> str:
        fraction = match.group(2)[:2].rstrip("0")
        return f"{match.group(1)}.{fraction}S" if fraction else f"{match.group(1)}S"

    return _SECONDS_FRACTION.sub(cut, value)


def _with_truncated_duration(owner: dict[str, Any]) -> None:
    result = owner.get("result")
    if isinstance(result, dict) and "duration" in result:
        owner["result"] = {**result, "duration": _truncate_duration(result["duration"])}


def _normalize_timestamp(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return value


def comparable(statement: dict[str, Any]) -> dict[str, Any]:
    """A copy stripped of LRS-set properties, ids lower-cased, timestamps as instants."""
    result = {k: v for k, v in statement.items() if k not in LRS_SET_PROPERTIES}
    if "stored" in statement and statement.get("timestamp") == statement["stored"]:
        # The LRS filled in the timestamp from its clock: not part of what was sent.
        result.pop("timestamp", None)
    if isinstance(result.get("id"), str):
        result["id"] = result["id"].lower()
    if "timestamp" in result:
        result["timestamp"] = _normalize_timestamp(result["timestamp"])
    obj = result.get("object")
    if isinstance(obj, dict):
        obj = dict(obj)
        if obj.get("objectType") == "SubStatement" and "timestamp" in obj:
            obj["timestamp"] = _normalize_timestamp(obj["timestamp"])
        if obj.get("objectType") == "StatementRef" and isinstance(obj.get("id"), str):
            obj["id"] = obj["id"].lower()
        if obj.get("objectType", "Activity") == "Activity":
            obj.setdefault("objectType", "Activity")
        result["object"] = obj
    _with_truncated_duration(result)
    if isinstance(result.get("object"), dict) and result["object"].get("objectType") == (
        "SubStatement"
    ):
        _with_truncated_duration(result["object"])
    actor = result.get("actor")
    if isinstance(actor, dict) and "objectType" not in actor:
        result["actor"] = {**actor, "objectType": "Agent"}
    context = result.get("context")
    if isinstance(context, dict) and isinstance(context.get("registration"), str):
        result["context"] = {**context, "registration": context["registration"].lower()}
    return result


def same_statement(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """True when ``a`` and ``b`` are the same statement by the spec's comparison rules."""
    return comparable(a) == comparable(b)
