"""Shared building blocks: the version type, error raising and JSON type checks.

Every check takes the *path* of the value it looks at (``statement.actor.mbox``) and puts
it at the front of the error message, so a client can find the offending property without
guessing. Paths are plain strings built by the caller; building them is cheaper than any
lazy scheme at the sizes statements have.
"""

from __future__ import annotations

import math
from typing import Any, Literal, NoReturn

from learning_store.errors import StatementValidationError

XapiVersion = Literal["1.0", "2.0"]
"""The major.minor of the client's ``X-Experience-API-Version`` header (1.0.x or 2.0.x)."""

JsonObject = dict[str, Any]


def fail(path: str, message: str) -> NoReturn:
    """Raise the one error type the validator raises, with the path first."""
    raise StatementValidationError(f"{path}: {message}")


def json_type(value: object) -> str:
    """Name *value*'s JSON type the way an error message reads best."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def wrong_type(path: str, expected: str, value: object) -> NoReturn:
    """xAPI 1.0.3 Data 2.2: wrong JSON types and ``null`` values are both rejected.

    ``null`` gets its own message because clients often send it to mean "absent".
    """
    if value is None:
        fail(path, "must not be null")
    fail(path, f"must be {expected}, not {json_type(value)}")


def require_object(value: object, path: str, allowed: frozenset[str]) -> JsonObject:
    """A JSON object whose keys are all in *allowed* (xAPI 1.0.3 Data 2.2: no unknown keys).

    The key check is a C-level subset test; the error path only runs on failure.
    """
    if not isinstance(value, dict):
        wrong_type(path, "an object", value)
    if not value.keys() <= allowed:
        unknown = sorted(str(key) for key in value.keys() - allowed)[0]
        fail(f"{path}.{unknown}", "unknown property")
    return value


def require_list(value: object, path: str) -> list[Any]:
    """A JSON array."""
    if not isinstance(value, list):
        wrong_type(path, "an array", value)
    return value


def check_string(value: object, path: str) -> str:
    """A JSON string (xAPI 1.0.3 Data 2.2: wrong types are rejected)."""
    if not isinstance(value, str):
        wrong_type(path, "a string", value)
    return value


def check_bool(value: object, path: str) -> None:
    """A JSON boolean; the strings "true"/"false" are not booleans (XAPI-00006)."""
    if type(value) is not bool:
        wrong_type(path, "a boolean", value)


def check_number(value: object, path: str) -> float:
    """A finite JSON number; booleans, numeric strings, NaN and Infinity are not numbers.

    Python's ``json`` module accepts ``NaN``/``Infinity``, which are not JSON, so they are
    rejected here rather than trusted to the parser.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        wrong_type(path, "a number", value)
    if isinstance(value, float) and not math.isfinite(value):
        fail(path, "must be a finite number")
    return value
