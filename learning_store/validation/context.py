"""Context (xAPI 1.0.3 Data 2.4.6; xAPI 2.0 4.2.2.5, which adds contextAgents/Groups)."""

from __future__ import annotations

from learning_store.validation.activities import check_activity
from learning_store.validation.agents import (
    check_actor,
    check_agent,
    check_group,
    check_object_type,
)
from learning_store.validation.base import (
    XapiVersion,
    check_string,
    fail,
    require_list,
    require_object,
)
from learning_store.validation.primitives import (
    check_extensions,
    check_language_tag,
    validate_iri,
    validate_uuid,
)

_CONTEXT_KEYS_1_0 = frozenset(
    {
        "registration",
        "instructor",
        "team",
        "contextActivities",
        "revision",
        "platform",
        "language",
        "statement",
        "extensions",
    }
)
_CONTEXT_KEYS_2_0 = _CONTEXT_KEYS_1_0 | {"contextAgents", "contextGroups"}
CONTEXT_KEYS: dict[str, frozenset[str]] = {"1.0": _CONTEXT_KEYS_1_0, "2.0": _CONTEXT_KEYS_2_0}
CONTEXT_ACTIVITY_KEYS = frozenset({"parent", "grouping", "category", "other"})
STATEMENT_REF_KEYS = frozenset({"objectType", "id"})
_CONTEXT_AGENT_KEYS = frozenset({"objectType", "agent", "relevantTypes"})
_CONTEXT_GROUP_KEYS = frozenset({"objectType", "group", "relevantTypes"})


def check_statement_ref(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 2.4.4.3: ``objectType`` "StatementRef" and a UUID ``id``, nothing else."""
    if isinstance(value, dict):  # objectType first: it explains any unexpected keys
        if "objectType" not in value:
            fail(f"{path}.objectType", "required property is missing")
        check_object_type(value["objectType"], f"{path}.objectType", "StatementRef")
    ref = require_object(value, path, STATEMENT_REF_KEYS)
    if "id" not in ref:
        fail(f"{path}.id", "required property is missing")
    validate_uuid(ref["id"], f"{path}.id")


def _check_context_activities(value: object, path: str) -> None:
    """Data 2.4.6.2: keys parent/grouping/category/other; each an Activity or an array of them."""
    context_activities = require_object(value, path, CONTEXT_ACTIVITY_KEYS)
    for key, activities in context_activities.items():
        key_path = f"{path}.{key}"
        if isinstance(activities, list):
            for index, activity in enumerate(activities):
                check_activity(activity, f"{key_path}[{index}]")
        else:
            check_activity(activities, key_path)


def _check_relevant_types(value: object, path: str) -> None:
    """xAPI 2.0 4.2.2.5: ``relevantTypes`` is a non-empty array of IRIs."""
    types = require_list(value, path)
    if not types:
        fail(path, "must not be empty")
    for index, iri in enumerate(types):
        validate_iri(iri, f"{path}[{index}]")


def _check_context_agents(value: object, path: str) -> None:
    """xAPI 2.0 4.2.2.5: ``{objectType: "contextAgent", agent: Agent, relevantTypes?}``."""
    for index, item in enumerate(require_list(value, path)):
        item_path = f"{path}[{index}]"
        if isinstance(item, dict):
            if "objectType" not in item:
                fail(f"{item_path}.objectType", "required property is missing")
            check_object_type(item["objectType"], f"{item_path}.objectType", "contextAgent")
        entry = require_object(item, item_path, _CONTEXT_AGENT_KEYS)
        if "agent" not in entry:
            fail(f"{item_path}.agent", "required property is missing")
        check_agent(entry["agent"], f"{item_path}.agent")
        if "relevantTypes" in entry:
            _check_relevant_types(entry["relevantTypes"], f"{item_path}.relevantTypes")


def _check_context_groups(value: object, path: str) -> None:
    """xAPI 2.0 4.2.2.5: ``{objectType: "contextGroup", group: Group, relevantTypes?}``."""
    for index, item in enumerate(require_list(value, path)):
        item_path = f"{path}[{index}]"
        if isinstance(item, dict):
            if "objectType" not in item:
                fail(f"{item_path}.objectType", "required property is missing")
            check_object_type(item["objectType"], f"{item_path}.objectType", "contextGroup")
        entry = require_object(item, item_path, _CONTEXT_GROUP_KEYS)
        if "group" not in entry:
            fail(f"{item_path}.group", "required property is missing")
        check_group(entry["group"], f"{item_path}.group")
        if "relevantTypes" in entry:
            _check_relevant_types(entry["relevantTypes"], f"{item_path}.relevantTypes")


def _only_for_activities(key: str, path: str, object_type: str) -> None:
    """Data 2.4.6.s4 (XAPI-00084/00085): revision and platform only describe Activities."""
    if object_type in ("Agent", "Group"):
        fail(f"{path}.{key}", "not allowed when the object is an Agent or Group")
    fail(f"{path}.{key}", f"not allowed when the object is a {object_type}")


def check_context(value: object, path: str, version: XapiVersion, object_type: str) -> None:
    """xAPI 1.0.3 Data 2.4.6 / 2.0 4.2.2.5; *object_type* is the statement object's type.

    Under 1.0 the 2.0-only ``contextAgents``/``contextGroups`` are unknown properties.
    """
    if version == "1.0" and isinstance(value, dict):
        for key in ("contextAgents", "contextGroups"):
            if key in value:
                fail(f"{path}.{key}", "unknown property (it requires xAPI 2.0)")
    context = require_object(value, path, CONTEXT_KEYS[version])
    if "registration" in context:
        validate_uuid(context["registration"], f"{path}.registration")
    if "instructor" in context:
        check_actor(context["instructor"], f"{path}.instructor")
    if "team" in context:
        check_group(context["team"], f"{path}.team")
    if "contextActivities" in context:
        _check_context_activities(context["contextActivities"], f"{path}.contextActivities")
    for key in ("revision", "platform"):
        if key in context:
            check_string(context[key], f"{path}.{key}")
            if object_type != "Activity":
                _only_for_activities(key, path, object_type)
    if "language" in context:
        check_language_tag(context["language"], f"{path}.language")
    if "statement" in context:
        check_statement_ref(context["statement"], f"{path}.statement")
    if "extensions" in context:
        check_extensions(context["extensions"], f"{path}.extensions")
    if "contextAgents" in context:
        _check_context_agents(context["contextAgents"], f"{path}.contextAgents")
    if "contextGroups" in context:
        _check_context_groups(context["contextGroups"], f"{path}.contextGroups")
