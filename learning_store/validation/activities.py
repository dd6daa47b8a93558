"""Activities and Activity Definitions (xAPI 1.0.3 Data 2.4.4.1; xAPI 2.0 4.2.2.3).

Interaction Activities (cmi.interaction) carry components whose kind depends on the
``interactionType``: only the component lists that type defines are allowed, and any
interaction property requires the ``interactionType`` itself (XAPI-00064).
"""

from __future__ import annotations

from learning_store.validation.agents import check_object_type, describe_value
from learning_store.validation.base import (
    JsonObject,
    check_string,
    fail,
    require_list,
    require_object,
)
from learning_store.validation.primitives import (
    check_extensions,
    check_irl,
    validate_iri,
    validate_language_map,
)

ACTIVITY_KEYS = frozenset({"objectType", "id", "definition"})
_PLAIN_DEFINITION_KEYS = frozenset({"name", "description", "type", "moreInfo", "extensions"})
COMPONENT_LISTS = ("choices", "scale", "source", "target", "steps")
_INTERACTION_KEYS = frozenset({"interactionType", "correctResponsesPattern", *COMPONENT_LISTS})
DEFINITION_KEYS = _PLAIN_DEFINITION_KEYS | _INTERACTION_KEYS
_COMPONENT_KEYS = frozenset({"id", "description"})
_NONE: frozenset[str] = frozenset()
# xAPI 1.0.3 Data 2.4.4.1, Interaction Components table: which lists each type may use.
INTERACTION_COMPONENTS: dict[str, frozenset[str]] = {
    "true-false": _NONE,
    "choice": frozenset({"choices"}),
    "fill-in": _NONE,
    "long-fill-in": _NONE,
    "matching": frozenset({"source", "target"}),
    "performance": frozenset({"steps"}),
    "sequencing": frozenset({"choices"}),
    "likert": frozenset({"scale"}),
    "numeric": _NONE,
    "other": _NONE,
}


def _check_components(value: object, path: str) -> None:
    """Interaction components: ``id`` (string, required, distinct) and ``description``."""
    components = require_list(value, path)
    seen: set[str] = set()
    for index, item in enumerate(components):
        item_path = f"{path}[{index}]"
        component = require_object(item, item_path, _COMPONENT_KEYS)
        if "id" not in component:
            fail(f"{item_path}.id", "required property is missing")
        component_id = check_string(component["id"], f"{item_path}.id")
        if component_id in seen:
            fail(f"{item_path}.id", f"duplicate interaction component id {component_id!r}")
        seen.add(component_id)
        if "description" in component:
            validate_language_map(component["description"], f"{item_path}.description")


def _check_interaction(definition: JsonObject, path: str) -> None:
    """The interaction part of a definition (Data 2.4.4.1.s8, XAPI-00064)."""
    if "interactionType" in definition:
        interaction_type = definition["interactionType"]
        allowed = (
            INTERACTION_COMPONENTS.get(interaction_type)
            if isinstance(interaction_type, str)
            else None
        )
        if allowed is None:
            fail(
                f"{path}.interactionType",
                f"must be one of {', '.join(INTERACTION_COMPONENTS)}, "
                f"not {describe_value(interaction_type)}",
            )
    else:
        interaction_type, allowed = None, _NONE
    if "correctResponsesPattern" in definition:
        if interaction_type is None:
            fail(f"{path}.interactionType", "required when correctResponsesPattern is present")
        pattern_path = f"{path}.correctResponsesPattern"
        responses = require_list(definition["correctResponsesPattern"], pattern_path)
        for index, response in enumerate(responses):
            check_string(response, f"{pattern_path}[{index}]")
    for name in COMPONENT_LISTS:
        if name in definition:
            if interaction_type is None:
                fail(f"{path}.interactionType", f"required when {name} is present")
            if name not in allowed:
                fail(f"{path}.{name}", f"not allowed with interactionType {interaction_type!r}")
            _check_components(definition[name], f"{path}.{name}")


def check_definition(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 2.4.4.1: an Activity Definition's closed set of properties."""
    definition = require_object(value, path, DEFINITION_KEYS)
    if "name" in definition:
        validate_language_map(definition["name"], f"{path}.name")
    if "description" in definition:
        validate_language_map(definition["description"], f"{path}.description")
    if "type" in definition:
        validate_iri(definition["type"], f"{path}.type")
    if "moreInfo" in definition:
        check_irl(definition["moreInfo"], f"{path}.moreInfo")
    if "extensions" in definition:
        check_extensions(definition["extensions"], f"{path}.extensions")
    if not definition.keys() <= _PLAIN_DEFINITION_KEYS:
        _check_interaction(definition, path)


def check_activity(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 2.4.4.1: ``id`` (IRI) required, ``objectType`` "Activity" optional."""
    if isinstance(value, dict) and "objectType" in value:
        check_object_type(value["objectType"], f"{path}.objectType", "Activity")
    activity = require_object(value, path, ACTIVITY_KEYS)
    if "id" not in activity:
        fail(f"{path}.id", "required property is missing")
    validate_iri(activity["id"], f"{path}.id")
    if "definition" in activity:
        check_definition(activity["definition"], f"{path}.definition")
