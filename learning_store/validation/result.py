"""Results and Scores (xAPI 1.0.3 Data 2.4.5; xAPI 2.0 4.2.2.4)."""

from __future__ import annotations

from learning_store.validation.base import (
    check_bool,
    check_number,
    check_string,
    fail,
    require_object,
)
from learning_store.validation.primitives import check_duration, check_extensions

RESULT_KEYS = frozenset({"score", "success", "completion", "response", "duration", "extensions"})
SCORE_KEYS = frozenset({"scaled", "raw", "min", "max"})


def check_score(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 2.4.5.1: ``scaled`` in [-1, 1]; ``min`` < ``max``; raw within them.

    XAPI-00080..00083: each bound is checked only against the others that are present.
    """
    score = require_object(value, path, SCORE_KEYS)
    if "scaled" in score:
        scaled = check_number(score["scaled"], f"{path}.scaled")
        if not -1 <= scaled <= 1:
            fail(f"{path}.scaled", "must be between -1 and 1 inclusive")
    low = check_number(score["min"], f"{path}.min") if "min" in score else None
    high = check_number(score["max"], f"{path}.max") if "max" in score else None
    if low is not None and high is not None and not low < high:
        fail(f"{path}.min", "must be less than max")
    if "raw" in score:
        raw = check_number(score["raw"], f"{path}.raw")
        if low is not None and raw < low:
            fail(f"{path}.raw", "must not be less than min")
        if high is not None and raw > high:
            fail(f"{path}.raw", "must not be greater than max")


def check_result(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 2.4.5: a Result's closed set of typed properties."""
    result = require_object(value, path, RESULT_KEYS)
    if "score" in result:
        check_score(result["score"], f"{path}.score")
    if "success" in result:
        check_bool(result["success"], f"{path}.success")
    if "completion" in result:
        check_bool(result["completion"], f"{path}.completion")
    if "response" in result:
        check_string(result["response"], f"{path}.response")
    if "duration" in result:
        check_duration(result["duration"], f"{path}.duration")
    if "extensions" in result:
        check_extensions(result["extensions"], f"{path}.extensions")
