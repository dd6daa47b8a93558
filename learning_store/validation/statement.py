"""Statements and Sub-Statements (xAPI 1.0.3 Data 2.4; xAPI 2.0 4.2.2, 4.2.4).

A Sub-Statement follows the rules of a Statement (XAPI-00066) except that it has no
``id``, ``stored``, ``version`` or ``authority`` and cannot contain another Sub-Statement.
"""

from __future__ import annotations

import re

from learning_store.validation.activities import ACTIVITY_KEYS, check_activity
from learning_store.validation.agents import (
    AGENT_KEYS,
    GROUP_KEYS,
    check_actor,
    check_authority,
    describe_value,
)
from learning_store.validation.attachments import check_attachments
from learning_store.validation.base import (
    JsonObject,
    XapiVersion,
    check_string,
    fail,
    require_object,
    wrong_type,
)
from learning_store.validation.context import CONTEXT_KEYS, check_context, check_statement_ref
from learning_store.validation.primitives import (
    parse_timestamp,
    validate_iri,
    validate_language_map,
    validate_uuid,
)
from learning_store.validation.result import check_result

STATEMENT_KEYS = frozenset(
    {
        "id",
        "actor",
        "verb",
        "object",
        "result",
        "context",
        "timestamp",
        "stored",
        "authority",
        "version",
        "attachments",
    }
)
_SUBSTATEMENT_ONLY = frozenset({"objectType"})
_STATEMENT_ONLY = ("id", "stored", "version", "authority")
SUBSTATEMENT_KEYS = (STATEMENT_KEYS - set(_STATEMENT_ONLY)) | _SUBSTATEMENT_ONLY
VERB_KEYS = frozenset({"id", "display"})
OBJECT_TYPES = ("Activity", "Agent", "Group", "StatementRef", "SubStatement")
VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
# Keys that betray an Agent or Group sent without its (then mandatory) objectType.
_ACTOR_ONLY_KEYS = (AGENT_KEYS | GROUP_KEYS) - ACTIVITY_KEYS
# xAPI 1.0.3 Data 2.4.10: "1.0" or "1.0.x". Under 2.0 the conformance suite sends both
# 1.0.x (version.js) and 2.0.0 (4.2.4.3) and expects both to be accepted.
_VERSIONS: dict[str, tuple[re.Pattern[str], str]] = {
    "1.0": (re.compile(r"1\.0(?:\.[0-9]+)?", re.ASCII), "'1.0' or '1.0.x'"),
    "2.0": (re.compile(r"[12]\.0(?:\.[0-9]+)?", re.ASCII), "'1.0.x' or '2.0.x'"),
}


def check_verb(value: object, path: str) -> str:
    """xAPI 1.0.3 Data 2.4.3: ``id`` (IRI) required, ``display`` a language map."""
    verb = require_object(value, path, VERB_KEYS)
    if "id" not in verb:
        fail(f"{path}.id", "required property is missing")
    verb_id = verb["id"]
    validate_iri(verb_id, f"{path}.id")
    if "display" in verb:
        validate_language_map(verb["display"], f"{path}.display")
    return str(verb_id)


def _hint_missing_object_type(value: JsonObject, path: str) -> None:
    """Data 2.4.4.2 (XAPI-00065): name the real mistake when an Agent, Group or
    SubStatement is sent without ``objectType`` and so reads as an Activity without ``id``.
    """
    if not value.keys().isdisjoint(_ACTOR_ONLY_KEYS):
        fail(f"{path}.objectType", "required when the object is an Agent or Group")
    if "verb" in value or "actor" in value:
        fail(f"{path}.objectType", "required when the object is a SubStatement")


def _check_object(value: object, path: str, version: XapiVersion, nested: bool) -> str:
    """xAPI 1.0.3 Data 2.4.4: dispatch on ``objectType`` (default "Activity"); return it."""
    if not isinstance(value, dict):
        wrong_type(path, "an object", value)
    object_type = value.get("objectType", "Activity")
    if object_type == "Activity":
        if "objectType" not in value and "id" not in value:
            _hint_missing_object_type(value, path)
        check_activity(value, path)
    elif object_type == "Agent" or object_type == "Group":
        check_actor(value, path, object_type_required=True)
    elif object_type == "StatementRef":
        check_statement_ref(value, path)
    elif object_type == "SubStatement":
        if nested:
            fail(f"{path}.objectType", "a SubStatement cannot contain a SubStatement")
        _check_body(value, path, version, substatement=True)
    else:
        fail(
            f"{path}.objectType",
            f"must be one of {', '.join(OBJECT_TYPES)}, not {describe_value(object_type)}",
        )
    return str(object_type)


def _check_version(value: object, path: str, version: XapiVersion) -> None:
    """xAPI 1.0.3 Data 2.4.10 (XAPI-00101): the statement's ``version`` property."""
    pattern, expected = _VERSIONS[version]
    if pattern.fullmatch(check_string(value, path)) is None:
        fail(path, f"must be {expected}")


def _check_body(
    statement: JsonObject, path: str, version: XapiVersion, *, substatement: bool
) -> None:
    """The properties Statements and Sub-Statements share, plus each one's own."""
    if substatement:
        for key in _STATEMENT_ONLY:
            if key in statement:
                fail(f"{path}.{key}", "not allowed in a SubStatement")
        require_object(statement, path, SUBSTATEMENT_KEYS)
    else:
        require_object(statement, path, STATEMENT_KEYS)
        if "id" in statement:
            validate_uuid(statement["id"], f"{path}.id")
    for key in ("actor", "verb", "object"):
        if key not in statement:
            fail(f"{path}.{key}", "required property is missing")
    check_actor(statement["actor"], f"{path}.actor")
    verb_id = check_verb(statement["verb"], f"{path}.verb")
    object_type = _check_object(statement["object"], f"{path}.object", version, substatement)
    if verb_id == VOIDED_VERB and object_type != "StatementRef" and not substatement:
        fail(f"{path}.object", "a voiding statement's object must be a StatementRef")
    if "result" in statement:
        check_result(statement["result"], f"{path}.result")
    if "context" in statement:
        check_context(statement["context"], f"{path}.context", version, object_type)
    if "timestamp" in statement:
        parse_timestamp(statement["timestamp"], f"{path}.timestamp", version)
    if "attachments" in statement:
        check_attachments(statement["attachments"], f"{path}.attachments")
    if substatement:
        return
    if "stored" in statement:
        parse_timestamp(statement["stored"], f"{path}.stored", version)
    if "authority" in statement:
        check_authority(statement["authority"], f"{path}.authority")
    if "version" in statement:
        _check_version(statement["version"], f"{path}.version", version)


def validate_statement(statement: object, version: XapiVersion) -> None:
    """Validate one statement as the LRS receives it; raise StatementValidationError.

    *version* is "1.0" for an ``X-Experience-API-Version`` of 1.0.x and "2.0" for 2.0.x.
    The first violation found is reported, its message starting with the property path.
    """
    if version not in CONTEXT_KEYS:
        raise ValueError(f"unsupported xAPI version {version!r}")
    if not isinstance(statement, dict):
        wrong_type("statement", "an object", statement)
    _check_body(statement, "statement", version, substatement=False)
