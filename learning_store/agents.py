"""Inverse functional identifiers (IFIs): how the store recognizes the same agent twice.

xAPI 1.0.3 Data 2.4.2: Agents and identified Groups are equal when they use the same IFI
and have the same objectType. The key below encodes both so one indexed string column
answers every agent filter.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

IFI_PROPERTIES = ("mbox", "mbox_sha1sum", "openid", "account")


def ifi_key(agent: Mapping[str, Any]) -> str | None:
    """``Agent|mbox|mailto:a@b`` style key, or None for an anonymous group."""
    object_type = agent.get("objectType") or "Agent"
    for prop in IFI_PROPERTIES:
        value = agent.get(prop)
        if value is None:
            continue
        if prop == "account" and isinstance(value, Mapping):
            return f"{object_type}|account|{value.get('homePage')}|{value.get('name')}"
        return f"{object_type}|{prop}|{value}"
    return None


def ifi_only(agent: Mapping[str, Any]) -> dict[str, Any]:
    """The agent reduced to objectType and its IFI (the ``ids`` statement format)."""
    reduced: dict[str, Any] = {"objectType": agent.get("objectType") or "Agent"}
    for prop in IFI_PROPERTIES:
        if prop in agent:
            reduced[prop] = agent[prop]
            break
    if reduced["objectType"] == "Group" and "member" in agent and len(reduced) == 1:
        reduced["member"] = [ifi_only(member) for member in agent["member"]]
    return reduced


def agent_and_members(agent: Mapping[str, Any]) -> Iterator[str]:
    """Keys of an agent or group and of every member of a group."""
    key = ifi_key(agent)
    if key is not None:
        yield key
    members = agent.get("member")
    if isinstance(members, list):
        for member in members:
            if isinstance(member, Mapping):
                member_key = ifi_key(member)
                if member_key is not None:
                    yield member_key


def person_from_agent(agent: Mapping[str, Any], names: list[str]) -> dict[str, Any]:
    """The Agents resource's Person object for a single identified agent."""
    person: dict[str, Any] = {"objectType": "Person"}
    if names:
        person["name"] = names
    for prop in IFI_PROPERTIES:
        if prop in agent:
            person[prop] = [agent[prop]]
    return person
