"""Agents, Groups and Accounts (xAPI 1.0.3 Data 2.4.2, 2.4.9; xAPI 2.0 4.2.2.1).

An Agent is identified by exactly one Inverse Functional Identifier (IFI). A Group is
either identified (one IFI, members optional) or anonymous (no IFI, members required).
Group members are Agents: Groups do not nest.
"""

from __future__ import annotations

from learning_store.validation.base import (
    JsonObject,
    XapiVersion,
    check_string,
    fail,
    json_type,
    require_list,
    require_object,
    wrong_type,
)
from learning_store.validation.primitives import check_irl, check_mbox, check_sha1sum, is_iri

AGENT_KEYS = frozenset({"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"})
GROUP_KEYS = AGENT_KEYS | {"member"}
ACCOUNT_KEYS = frozenset({"homePage", "name"})
IFI_NAMES = ("mbox", "mbox_sha1sum", "openid", "account")


def describe_value(value: object) -> str:
    """A short rendering of an offending value for messages; long strings are cut."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:40] + "...")
    return json_type(value)


def check_object_type(value: object, path: str, expected: str) -> None:
    """An ``objectType`` is one exact, case-sensitive word (xAPI 1.0.3 Data 2.2, XAPI-00009)."""
    if value != expected:
        fail(path, f"must be '{expected}', not {describe_value(value)}")


def check_account(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 2.4.2.4: ``homePage`` (IRL) and ``name`` (string), both required."""
    account = require_object(value, path, ACCOUNT_KEYS)
    if "homePage" not in account:
        fail(f"{path}.homePage", "required property is missing")
    check_irl(account["homePage"], f"{path}.homePage")
    if "name" not in account:
        fail(f"{path}.name", "required property is missing")
    check_string(account["name"], f"{path}.name")


def _check_openid(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 2.4.2.3: ``openid`` is an absolute URI (XAPI-00040)."""
    if not isinstance(value, str):
        wrong_type(path, "a URI string", value)
    if not is_iri(value):
        fail(path, "must be an absolute URI")


def _count_ifis(actor: JsonObject, path: str) -> int:
    """Validate each IFI present and return how many there are."""
    count = 0
    if "mbox" in actor:
        check_mbox(actor["mbox"], f"{path}.mbox")
        count += 1
    if "mbox_sha1sum" in actor:
        check_sha1sum(actor["mbox_sha1sum"], f"{path}.mbox_sha1sum")
        count += 1
    if "openid" in actor:
        _check_openid(actor["openid"], f"{path}.openid")
        count += 1
    if "account" in actor:
        check_account(actor["account"], f"{path}.account")
        count += 1
    return count


def _ifi_count_error(actor: JsonObject, kind: str) -> str:
    """Say which IFIs were found, since "exactly one" alone does not tell the client."""
    present = [name for name in IFI_NAMES if name in actor]
    if not present:
        return (
            f"{kind} needs an inverse functional identifier (mbox, mbox_sha1sum, openid or account)"
        )
    return f"{kind} has exactly one inverse functional identifier, found {', '.join(present)}"


def check_agent(value: object, path: str, *, object_type_required: bool = False) -> JsonObject:
    """xAPI 1.0.3 Data 2.4.2.1: an Agent has exactly one IFI; ``objectType`` is "Agent".

    ``objectType`` is optional for an actor but required where the Agent is a statement's
    object (Data 2.4.4.2, XAPI-00065).
    """
    if isinstance(value, dict):  # objectType first: it explains any unexpected keys
        if "objectType" in value:
            check_object_type(value["objectType"], f"{path}.objectType", "Agent")
        elif "member" in value:
            fail(f"{path}.objectType", "required ('Group') when 'member' is present")
        elif object_type_required:
            fail(f"{path}.objectType", "required property is missing")
    agent = require_object(value, path, AGENT_KEYS)
    if "name" in agent:
        check_string(agent["name"], f"{path}.name")
    if _count_ifis(agent, path) != 1:
        fail(path, _ifi_count_error(agent, "an Agent"))
    return agent


def _check_member(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 2.4.2.2: members are Agents; a Group cannot be a member."""
    if isinstance(value, dict) and value.get("objectType") == "Group":
        fail(f"{path}.objectType", "a Group member must be an Agent, not a Group")
    check_agent(value, path)


def check_group(value: object, path: str) -> tuple[JsonObject, int]:
    """xAPI 1.0.3 Data 2.4.2.2: ``objectType`` "Group"; at most one IFI; members if anonymous.

    Returns the group and its IFI count, so callers with extra rules (authority) can
    tell an anonymous Group from an identified one without recounting.
    """
    if isinstance(value, dict):  # objectType first: it explains any unexpected keys
        if "objectType" not in value:
            fail(f"{path}.objectType", "required property is missing")
        check_object_type(value["objectType"], f"{path}.objectType", "Group")
    group = require_object(value, path, GROUP_KEYS)
    if "name" in group:
        check_string(group["name"], f"{path}.name")
    ifis = _count_ifis(group, path)
    if ifis > 1:
        fail(path, _ifi_count_error(group, "an identified Group"))
    if "member" in group:
        members = require_list(group["member"], f"{path}.member")
        for index, member in enumerate(members):
            _check_member(member, f"{path}.member[{index}]")
        if not members and ifis == 0:
            fail(f"{path}.member", "an anonymous Group needs at least one member")
    elif ifis == 0:
        fail(f"{path}.member", "required property is missing (anonymous Group)")
    return group, ifis


def check_actor(value: object, path: str, *, object_type_required: bool = False) -> str:
    """An Agent or a Group, told apart by ``objectType`` (Data 2.4.2); returns that type."""
    object_type = value.get("objectType", "Agent") if isinstance(value, dict) else "Agent"
    if object_type == "Group":
        check_group(value, path)
        return "Group"
    if object_type != "Agent":
        fail(f"{path}.objectType", f"must be 'Agent' or 'Group', not {describe_value(object_type)}")
    check_agent(value, path, object_type_required=object_type_required)
    return "Agent"


def validate_agent(agent: object, path: str, version: XapiVersion) -> None:
    """Validate an Agent or Group (an actor, or the ``agent`` parameter of a resource).

    *version* is accepted for symmetry with the other entry points; Agents and Groups
    have the same rules in xAPI 1.0.3 and 2.0.
    """
    del version
    check_actor(agent, path)


def check_authority(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 2.4.9: an Agent, or an anonymous Group of exactly two Agents.

    The two-Agent Group is the OAuth 3-legged case (application + user). The conformance
    suite (XAPI-00098/00100) rejects identified Groups and Groups of one or three members.
    """
    object_type = value.get("objectType", "Agent") if isinstance(value, dict) else "Agent"
    if object_type != "Group":
        check_actor(value, path)
        return
    group, ifis = check_group(value, path)
    if ifis:
        fail(
            path, "an authority Group must be anonymous (no mbox, mbox_sha1sum, openid or account)"
        )
    members = group.get("member", [])
    if len(members) != 2:
        fail(f"{path}.member", "an authority Group has exactly two Agents (OAuth 3-legged)")
