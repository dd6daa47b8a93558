"""Agents and Groups through ``validate_agent`` (the ``agent`` parameter and actors)."""

from __future__ import annotations

import pytest

from learning_store.errors import StatementValidationError
from learning_store.validation import XapiVersion, validate_agent

MBOX = "mailto:xapi@adlnet.gov"
SHA1 = "cd9b00a5611f94eaa7b1661edab976068e364975"
ACCOUNT = {"homePage": "http://www.example.com", "name": "xAPI account name"}
MEMBER = {"objectType": "Agent", "name": "xAPI mbox", "mbox": MBOX}


@pytest.mark.parametrize("version", ["1.0", "2.0"])
@pytest.mark.parametrize(
    "agent",
    [
        pytest.param({"mbox": MBOX}, id="mbox-no-objectType"),
        pytest.param({"objectType": "Agent", "name": "xAPI", "mbox": MBOX}, id="mbox"),
        pytest.param({"mbox_sha1sum": SHA1}, id="mbox_sha1sum"),
        pytest.param({"mbox_sha1sum": SHA1.upper()}, id="mbox_sha1sum-upper"),
        pytest.param({"openid": "http://openid.example.org/12345"}, id="openid"),
        pytest.param({"account": ACCOUNT}, id="account"),
        pytest.param({"account": {"homePage": "https://lms.example.edu", "name": ""}}, id="acct"),
        pytest.param({"objectType": "Group", "member": [MEMBER]}, id="anonymous-group"),
        pytest.param(
            {
                "objectType": "Group",
                "member": [{"account": ACCOUNT}, {"mbox": "mailto:bob@example.com"}],
            },
            id="anonymous-group-members-without-objectType",
        ),
        pytest.param({"objectType": "Group", "mbox": MBOX}, id="identified-group-no-member"),
        pytest.param({"objectType": "Group", "mbox": MBOX, "member": []}, id="identified-empty"),
        pytest.param(
            {"objectType": "Group", "name": "G", "account": ACCOUNT, "member": [MEMBER]},
            id="identified-group-with-members",
        ),
    ],
)
def test_valid_agents_and_groups(agent: dict[str, object], version: XapiVersion) -> None:
    """xAPI 1.0.3 Data 2.4.2: Agents have one IFI; Groups are anonymous or identified."""
    validate_agent(agent, "agent", version)


@pytest.mark.parametrize(
    ("agent", "expected_path"),
    [
        pytest.param("wrong", "agent", id="not-an-object"),
        pytest.param(None, "agent", id="null"),
        pytest.param({}, "agent", id="no-ifi"),
        pytest.param({"objectType": "Agent"}, "agent", id="objectType-only"),
        pytest.param({"mbox": MBOX, "openid": "http://o.example/1"}, "agent", id="two-ifis"),
        pytest.param({"mbox": MBOX, "account": ACCOUNT}, "agent", id="mbox-and-account"),
        pytest.param({"objectType": "agent", "mbox": MBOX}, "agent.objectType", id="lowercase"),
        pytest.param({"objectType": 123, "mbox": MBOX}, "agent.objectType", id="numeric-type"),
        pytest.param({"objectType": None, "mbox": MBOX}, "agent.objectType", id="null-type"),
        pytest.param({"mbox": MBOX, "name": 123}, "agent.name", id="numeric-name"),
        pytest.param({"mbox": MBOX, "name": None}, "agent.name", id="null-name"),
        pytest.param({"mbox": MBOX, "Name": "x"}, "agent.Name", id="wrong-key-case"),
        pytest.param({"mbox": MBOX, "id": "x"}, "agent.id", id="unknown-key"),
        pytest.param({"mbox": "xapi@adlnet.gov"}, "agent.mbox", id="mbox-without-mailto"),
        pytest.param({"mbox": "mailto:should.fail.com"}, "agent.mbox", id="mbox-no-at"),
        pytest.param({"mbox": "http://should.fail.com"}, "agent.mbox", id="mbox-http"),
        pytest.param({"mbox": "mailto:a b@example.com"}, "agent.mbox", id="mbox-space"),
        pytest.param({"mbox_sha1sum": SHA1[:-1]}, "agent.mbox_sha1sum", id="sha1-short"),
        pytest.param({"mbox_sha1sum": {"a": 1}}, "agent.mbox_sha1sum", id="sha1-object"),
        pytest.param({"mbox_sha1sum": "z" * 40}, "agent.mbox_sha1sum", id="sha1-not-hex"),
        pytest.param({"openid": "open.id.com/testUser"}, "agent.openid", id="openid-relative"),
        pytest.param({"openid": 12}, "agent.openid", id="openid-number"),
        pytest.param({"account": "acct"}, "agent.account", id="account-string"),
        pytest.param({"account": {"name": "n"}}, "agent.account.homePage", id="no-homePage"),
        pytest.param(
            {"account": {"homePage": "http://x.example"}}, "agent.account.name", id="no-name"
        ),
        pytest.param(
            {"account": {"homePage": "homePage.com/testUser", "name": "1"}},
            "agent.account.homePage",
            id="homePage-relative",
        ),
        pytest.param(
            {"account": {"homePage": "ab=c://should.fail.com", "name": "1"}},
            "agent.account.homePage",
            id="homePage-bad-scheme",
        ),
        pytest.param(
            {"account": {**ACCOUNT, "name": {"x": 1}}}, "agent.account.name", id="name-object"
        ),
        pytest.param({"account": {**ACCOUNT, "id": "1"}}, "agent.account.id", id="acct-extra"),
        pytest.param({"member": [MEMBER]}, "agent.objectType", id="members-without-Group"),
        pytest.param({"objectType": "Agent", "member": [MEMBER]}, "agent.member", id="agent-mem"),
        pytest.param({"objectType": "Group"}, "agent.member", id="anonymous-without-member"),
        pytest.param({"objectType": "Group", "name": "G"}, "agent.member", id="anon-named"),
        pytest.param({"objectType": "Group", "member": []}, "agent.member", id="anon-empty"),
        pytest.param({"objectType": "Group", "member": MEMBER}, "agent.member", id="member-obj"),
        pytest.param(
            {"objectType": "Group", "member": [{"objectType": "Group", "mbox": MBOX}]},
            "agent.member[0].objectType",
            id="nested-group",
        ),
        pytest.param(
            {"objectType": "Group", "member": [{"objectType": "Agent"}]},
            "agent.member[0]",
            id="member-without-ifi",
        ),
        pytest.param(
            {"objectType": "Group", "member": [MEMBER, {"mbox": "nope"}]},
            "agent.member[1].mbox",
            id="bad-second-member",
        ),
        pytest.param(
            {"objectType": "Group", "mbox": MBOX, "openid": "http://o.example/1"},
            "agent",
            id="group-two-ifis",
        ),
        pytest.param({"objectType": "group", "member": [MEMBER]}, "agent.objectType", id="group"),
    ],
)
def test_invalid_agents_and_groups(agent: object, expected_path: str) -> None:
    """xAPI 1.0.3 Data 2.4.2.1-2.4.2.4 violations; the message names the property path."""
    with pytest.raises(StatementValidationError) as caught:
        validate_agent(agent, "agent", "2.0")
    assert str(caught.value).startswith(f"{expected_path}: ")
