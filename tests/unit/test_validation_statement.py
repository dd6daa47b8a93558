"""Whole statements: what the LRS accepts and what it rejects, with the offending path.

Good and bad cases mirror the ADL LRS conformance suite (test/v1_0_3 and test/v2_0 of
adlnet/lrs-conformance-test-suite) plus the spec rules the suite does not reach.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from learning_store.errors import StatementValidationError
from learning_store.validation import XapiVersion, validate_statement

DELETE = object()
MBOX_AGENT = {"objectType": "Agent", "name": "xAPI mbox", "mbox": "mailto:xapi@adlnet.gov"}
SHA1_AGENT = {"mbox_sha1sum": "cd9b00a5611f94eaa7b1661edab976068e364975"}
ACTIVITY_ID = "http://www.example.com/meetings/occurances/34534"
REF_ID = "8f87ccde-bb56-4c2e-ab83-44982ef22df0"
EXTENSIONS = {
    "http://example.com/profiles/meetings/extension/location": "X:\\meetings\\minutes",
    "http://example.com/profiles/meetings/extension/reporter": {"name": "Thomas", "id": 342},
}
ATTACHMENT: dict[str, Any] = {
    "usageType": "http://example.com/attachment-usage/test",
    "display": {"en-US": "A test attachment"},
    "description": {"en-US": "A test attachment (description)"},
    "contentType": "text/plain; charset=ascii",
    "length": 27,
    "sha2": "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
    "fileUrl": "http://over.there.com/file.txt",
}
MINIMAL: dict[str, Any] = {
    "actor": {"mbox": "mailto:xapi@adlnet.gov"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
    "object": {"id": ACTIVITY_ID},
}
TYPICAL: dict[str, Any] = {
    "id": "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
    "actor": MBOX_AGENT,
    "verb": {
        "id": "http://adlnet.gov/expapi/verbs/completed",
        "display": {"en-US": "completed", "es": "completó"},
    },
    "object": {
        "objectType": "Activity",
        "id": "https://lms.example.edu/course/42/quiz/7",
        "definition": {
            "name": {"en-US": "Quiz 7"},
            "description": {"en-US": "Fractions quiz"},
            "type": "http://adlnet.gov/expapi/activities/assessment",
            "moreInfo": "http://virtualmeeting.example.com/345256",
            "extensions": EXTENSIONS,
        },
    },
    "result": {
        "score": {"scaled": 0.95, "raw": 95, "min": 0, "max": 100},
        "success": True,
        "completion": True,
        "response": "We agreed on some example actions.",
        "duration": "PT1H0M0S",
        "extensions": EXTENSIONS,
    },
    "context": {
        "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        "instructor": MBOX_AGENT,
        "team": {"objectType": "Group", "member": [SHA1_AGENT]},
        "contextActivities": {
            "parent": [{"id": "https://lms.example.edu/course/42"}],
            "grouping": {"objectType": "Activity", "id": "https://lms.example.edu/program"},
            "category": [{"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}],
            "other": [],
        },
        "revision": "rev_10_3_2",
        "platform": "Example virtual meeting software",
        "language": "tlh",
        "statement": {"objectType": "StatementRef", "id": "6690e6c9-3ef0-4ed3-8b37-7f3964730bee"},
        "extensions": EXTENSIONS,
    },
    "timestamp": "2024-03-05T14:22:31.123Z",
    "stored": "2024-03-05T14:22:32.000Z",
    "authority": {
        "objectType": "Group",
        "member": [
            {"account": {"homePage": "http://example.com/xAPI/OAuth/Token", "name": "x75db"}},
            {"mbox": "mailto:bob@example.com"},
        ],
    },
    "version": "1.0.3",
    "attachments": [ATTACHMENT],
}
SUBSTATEMENT: dict[str, Any] = {
    "actor": MBOX_AGENT,
    "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
    "object": {
        "objectType": "SubStatement",
        "actor": SHA1_AGENT,
        "verb": {"id": "http://adlnet.gov/expapi/verbs/reported", "display": {"en-GB": "rep"}},
        "object": {"objectType": "Activity", "id": ACTIVITY_ID},
        "result": {"success": False, "extensions": {}},
        "context": {"platform": "p", "revision": "r", "extensions": {"urn:x:y": None}},
        "timestamp": "2008-09-15T15:53:00.601+00:00",
        "attachments": [ATTACHMENT],
    },
}
CONTEXT_AGENTS = [
    {
        "objectType": "contextAgent",
        "agent": {"objectType": "Agent", "mbox": "mailto:player-1@example.com"},
        "relevantTypes": ["https://example.com/xapi/activity-types/personnel/player"],
    },
    {"objectType": "contextAgent", "agent": {"mbox": "mailto:player-2@example.com"}},
]
CONTEXT_GROUPS = [
    {
        "objectType": "contextGroup",
        "group": {
            "objectType": "Group",
            "mbox": "mailto:team-1@example.com",
            "member": [{"objectType": "Agent", "mbox": "mailto:player-1@example.com"}],
        },
        "relevantTypes": ["https://example.com/xapi/activity-types/team/a"],
    },
    {"objectType": "contextGroup", "group": {"objectType": "Group", "member": [SHA1_AGENT]}},
]


def changed(base: dict[str, Any], *changes: tuple[str, object]) -> dict[str, Any]:
    """A deep copy of *base* with dotted paths set (or removed with DELETE)."""
    statement = copy.deepcopy(base)
    for dotted, value in changes:
        *parents, last = dotted.split(".")
        target: Any = statement
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if value is DELETE:
            del target[last]
        elif isinstance(target, list) and int(last) == len(target):
            target.append(value)
        elif isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return statement


def interaction(kind: str, **components: object) -> dict[str, Any]:
    """A statement about a cmi.interaction Activity of *kind* with *components*."""
    definition = {
        "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
        "interactionType": kind,
        "correctResponsesPattern": ["a[,]b"],
        **components,
    }
    return changed(MINIMAL, ("object.definition", definition))


def items(*ids: str) -> list[dict[str, Any]]:
    return [{"id": item, "description": {"en-US": item.title()}} for item in ids]


GOOD_STATEMENTS: list[Any] = [
    pytest.param(MINIMAL, id="minimal"),
    pytest.param(TYPICAL, id="typical-everything"),
    pytest.param(SUBSTATEMENT, id="substatement"),
    pytest.param(changed(MINIMAL, ("actor", SHA1_AGENT)), id="actor-mbox_sha1sum"),
    pytest.param(
        changed(MINIMAL, ("actor", {"openid": "http://openid.example.org/12345"})),
        id="actor-openid",
    ),
    pytest.param(
        changed(MINIMAL, ("actor", {"account": {"homePage": "http://ex.com", "name": "n"}})),
        id="actor-account",
    ),
    pytest.param(
        changed(MINIMAL, ("actor", {"objectType": "Group", "member": [MBOX_AGENT]})),
        id="actor-anonymous-group",
    ),
    pytest.param(
        changed(MINIMAL, ("actor", {"objectType": "Group", "openid": "http://o.example/1"})),
        id="actor-identified-group",
    ),
    pytest.param(changed(MINIMAL, ("object", MBOX_AGENT)), id="object-agent"),
    pytest.param(
        changed(MINIMAL, ("object", {"objectType": "Group", "mbox": "mailto:g@example.com"})),
        id="object-group",
    ),
    pytest.param(
        changed(MINIMAL, ("object", {"objectType": "StatementRef", "id": REF_ID})),
        id="object-statementref",
    ),
    pytest.param(
        changed(
            MINIMAL,
            ("verb", {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "v"}}),
            ("object", {"objectType": "StatementRef", "id": REF_ID}),
        ),
        id="voiding",
    ),
    pytest.param(
        changed(MINIMAL, ("object", {"objectType": "Activity", "id": "urn:x:1"})),
        id="activity-urn-id",
    ),
    pytest.param(
        changed(MINIMAL, ("object.definition", {"name": {}, "description": {}})),
        id="empty-language-maps",
    ),
    pytest.param(
        changed(
            MINIMAL,
            ("verb.display", {"und": "x", "x-private": "y", "zh-Hans-CN": "z", "sr-Latn-RS": ""}),
        ),
        id="unusual-language-tags",
    ),
    pytest.param(
        changed(MINIMAL, ("object.definition", {"extensions": {}})), id="empty-extensions"
    ),
    pytest.param(
        changed(
            MINIMAL,
            (
                "object.definition",
                {"extensions": {"http://example.com/ex": None, "urn:e:2": "", "urn:e:3": {}}},
            ),
        ),
        id="extension-values-null-empty",
    ),
    pytest.param(
        changed(MINIMAL, ("result", {"extensions": {"http://e.com/x": [1, True, None, {}]}})),
        id="extension-value-any-json",
    ),
    pytest.param(
        changed(MINIMAL, ("object.definition", {"moreInfo": "data:text/plain,hello"})),
        id="moreInfo-data-url",
    ),
    pytest.param(interaction("true-false"), id="true-false"),
    pytest.param(interaction("choice", choices=items("golf", "tetris")), id="choice"),
    pytest.param(interaction("fill-in"), id="fill-in"),
    pytest.param(interaction("long-fill-in"), id="long-fill-in"),
    pytest.param(
        interaction("matching", source=items("ben"), target=items("1", "2")), id="matching"
    ),
    pytest.param(interaction("matching", target=items("1")), id="matching-target-only"),
    pytest.param(interaction("performance", steps=items("pong", "dg")), id="performance"),
    pytest.param(interaction("sequencing", choices=items("tim", "ben")), id="sequencing"),
    pytest.param(interaction("likert", scale=items("likert_0", "likert_1")), id="likert"),
    pytest.param(interaction("numeric"), id="numeric"),
    pytest.param(interaction("other"), id="other"),
    pytest.param(
        changed(interaction("choice", choices=[{"id": "a"}]), ("object.definition.name", {})),
        id="component-without-description",
    ),
    pytest.param(
        changed(interaction("other"), ("object.definition.correctResponsesPattern", [])),
        id="empty-correct-responses",
    ),
    pytest.param(changed(MINIMAL, ("result", {})), id="empty-result"),
    pytest.param(changed(MINIMAL, ("context", {})), id="empty-context"),
    pytest.param(changed(MINIMAL, ("attachments", [])), id="empty-attachments"),
    pytest.param(changed(MINIMAL, ("result", {"score": {}})), id="empty-score"),
    pytest.param(
        changed(MINIMAL, ("result", {"score": {"scaled": -1, "raw": -5.5}})),
        id="score-without-bounds",
    ),
    pytest.param(
        changed(MINIMAL, ("result", {"score": {"scaled": 1.0, "raw": 0, "min": 0, "max": 0.5}})),
        id="score-raw-equals-min",
    ),
    pytest.param(
        changed(MINIMAL, ("result", {"score": {"raw": 100.6767676, "max": 100.6767676}})),
        id="score-raw-equals-max",
    ),
    *(
        pytest.param(changed(MINIMAL, ("result", {"duration": duration})), id=duration)
        for duration in (
            "PT4H35M59.14S",
            "PT16559.14S",
            "P3Y1M29DT4H35M59.14S",
            "P3Y",
            "P4W",
            "P1DT12H36M0.12567S",
            "PT0S",
            "PT1,5H",
        )
    ),
    pytest.param(
        changed(MINIMAL, ("context", {"contextActivities": {"parent": {"id": ACTIVITY_ID}}})),
        id="context-activity-single-object",
    ),
    pytest.param(
        changed(
            MINIMAL, ("context", {"instructor": {"objectType": "Group", "member": [MBOX_AGENT]}})
        ),
        id="instructor-group",
    ),
    pytest.param(
        changed(MINIMAL, ("context", {"language": "fr-CA", "registration": REF_ID.upper()})),
        id="context-language-registration",
    ),
    pytest.param(
        changed(
            MINIMAL,
            ("object", {"objectType": "StatementRef", "id": REF_ID}),
            ("context", {"registration": REF_ID, "instructor": MBOX_AGENT}),
        ),
        id="statementref-with-context-without-revision",
    ),
    pytest.param(changed(MINIMAL, ("authority", MBOX_AGENT)), id="authority-agent"),
    pytest.param(changed(MINIMAL, ("version", "1.0")), id="version-1.0"),
    pytest.param(changed(MINIMAL, ("version", "1.0.9")), id="version-1.0.9"),
    pytest.param(
        changed(MINIMAL, ("timestamp", "2023-05-04T12:00:00-05:00")), id="timestamp-offset"
    ),
    pytest.param(changed(MINIMAL, ("stored", "2011-07-15T00:00:00.000Z")), id="stored"),
    pytest.param(
        changed(
            MINIMAL,
            (
                "attachments",
                [
                    {
                        k: v
                        for k, v in ATTACHMENT.items()
                        if k in ("usageType", "display", "contentType", "length", "sha2")
                    }
                ],
            ),
        ),
        id="attachment-required-only",
    ),
    pytest.param(
        changed(
            MINIMAL,
            ("attachments", [dict(ATTACHMENT, contentType="application/octet-stream", length=0)]),
            ("attachments.0.sha2", ATTACHMENT["sha2"].upper()),
        ),
        id="attachment-zero-length-upper-sha2",
    ),
    pytest.param(
        changed(
            MINIMAL,
            (
                "attachments",
                [
                    dict(
                        ATTACHMENT,
                        usageType="http://adlnet.gov/expapi/attachments/signature",
                        contentType="application/octet-stream",
                    )
                ],
            ),
        ),
        id="signature-attachment",
    ),
]


@pytest.mark.parametrize("version", ["1.0", "2.0"])
@pytest.mark.parametrize("statement", GOOD_STATEMENTS)
def test_valid_statements_are_accepted(statement: dict[str, Any], version: XapiVersion) -> None:
    """Statements the conformance suite sends as valid (expect 200/204) pass both versions."""
    validate_statement(statement, version)


def test_validation_does_not_modify_the_statement() -> None:
    """The validator only reads: the stored statement is exactly what the client sent."""
    statement = copy.deepcopy(TYPICAL)
    validate_statement(statement, "2.0")
    assert statement == TYPICAL


@pytest.mark.parametrize(
    "statement",
    [
        pytest.param(changed(MINIMAL, ("context", {"contextAgents": CONTEXT_AGENTS})), id="ca"),
        pytest.param(changed(MINIMAL, ("context", {"contextGroups": CONTEXT_GROUPS})), id="cg"),
        pytest.param(
            changed(SUBSTATEMENT, ("object.context.contextAgents", CONTEXT_AGENTS)),
            id="substatement-contextAgents",
        ),
        pytest.param(
            changed(MINIMAL, ("context", {"contextAgents": [], "contextGroups": []})),
            id="empty-arrays",
        ),
        pytest.param(changed(MINIMAL, ("version", "2.0.0")), id="version-2.0.0"),
        pytest.param(changed(MINIMAL, ("version", "2.0")), id="version-2.0"),
    ],
)
def test_xapi_2_0_features(statement: dict[str, Any]) -> None:
    """xAPI 2.0 4.2.2.5 contextAgents/contextGroups and 2.0.x versions: accepted under 2.0,
    rejected under 1.0 where they are unknown properties / unsupported versions."""
    validate_statement(statement, "2.0")
    with pytest.raises(StatementValidationError, match=r"^statement\.(object\.)?(context|version)"):
        validate_statement(statement, "1.0")


BAD_STATEMENTS: list[Any] = [
    # Top level (Data 2.2, 2.4)
    pytest.param("statement", "statement", id="not-an-object"),
    pytest.param([MINIMAL], "statement", id="array"),
    pytest.param(changed(MINIMAL, ("actor", DELETE)), "statement.actor", id="no-actor"),
    pytest.param(changed(MINIMAL, ("verb", DELETE)), "statement.verb", id="no-verb"),
    pytest.param(changed(MINIMAL, ("object", DELETE)), "statement.object", id="no-object"),
    pytest.param(changed(MINIMAL, ("dummy", "dummy")), "statement.dummy", id="unknown-prop"),
    pytest.param(changed(MINIMAL, ("Actor", MBOX_AGENT)), "statement.Actor", id="key-case"),
    pytest.param(changed(MINIMAL, ("objectType", "Statement")), "statement.objectType", id="ot"),
    pytest.param(changed(MINIMAL, ("id", "wrong")), "statement.id", id="id-not-uuid"),
    pytest.param(changed(MINIMAL, ("id", 12345)), "statement.id", id="id-numeric"),
    pytest.param(changed(MINIMAL, ("id", None)), "statement.id", id="id-null"),
    pytest.param(changed(MINIMAL, ("actor.name", None)), "statement.actor.name", id="null-name"),
    pytest.param(changed(MINIMAL, ("actor", None)), "statement.actor", id="null-actor"),
    pytest.param(changed(MINIMAL, ("result", None)), "statement.result", id="null-result"),
    pytest.param(changed(MINIMAL, ("timestamp", None)), "statement.timestamp", id="null-ts"),
    pytest.param(
        changed(TYPICAL, ("verb.display.en-US", None)), "statement.verb.display.en-US", id="null-dn"
    ),
    pytest.param(
        changed(TYPICAL, ("context.registration", None)),
        "statement.context.registration",
        id="null-registration",
    ),
    pytest.param(
        changed(TYPICAL, ("object.definition.moreInfo", None)),
        "statement.object.definition.moreInfo",
        id="null-moreInfo",
    ),
    # Actor (Data 2.4.2)
    pytest.param(
        changed(MINIMAL, ("actor.mbox", "mailto:should.fail.com")),
        "statement.actor.mbox",
        id="mbox",
    ),
    pytest.param(
        changed(MINIMAL, ("actor.objectType", '"objectType": "Agent"')),
        "statement.actor.objectType",
        id="actor-objectType-garbage",
    ),
    pytest.param(
        changed(MINIMAL, ("actor", {"objectType": "Group"})), "statement.actor.member", id="grp"
    ),
    pytest.param(
        changed(MINIMAL, ("actor", {"openid": "open.id.com/testUser"})),
        "statement.actor.openid",
        id="openid-no-scheme",
    ),
    # Verb (Data 2.4.3)
    pytest.param(changed(MINIMAL, ("verb", {})), "statement.verb.id", id="verb-no-id"),
    pytest.param(
        changed(MINIMAL, ("verb.id", "adlnet.gov/expapi/verbs/attended")),
        "statement.verb.id",
        id="verb-id-no-scheme",
    ),
    pytest.param(changed(MINIMAL, ("verb.display", "attended")), "statement.verb.display", id="vd"),
    pytest.param(
        changed(MINIMAL, ("verb.display", {"a12345678": "x"})),
        "statement.verb.display",
        id="verb-display-bad-tag",
    ),
    pytest.param(changed(MINIMAL, ("verb.name", "x")), "statement.verb.name", id="verb-unknown"),
    pytest.param(
        changed(
            MINIMAL,
            ("verb", {"id": "http://adlnet.gov/expapi/verbs/voided"}),
        ),
        "statement.object",
        id="voiding-needs-statementref",
    ),
    # Object (Data 2.4.4)
    pytest.param(changed(MINIMAL, ("object", "http://x.example")), "statement.object", id="str"),
    pytest.param(changed(MINIMAL, ("object.id", DELETE)), "statement.object.id", id="no-obj-id"),
    pytest.param(
        changed(MINIMAL, ("object.id", "www.example.com/meetings")),
        "statement.object.id",
        id="object-id-no-scheme",
    ),
    *(
        pytest.param(
            changed(MINIMAL, ("object.objectType", value)),
            "statement.object.objectType",
            id=f"objectType-{value}",
        )
        for value in ("activity", "agent", "group", "statementref", "substatement", "Person", 1)
    ),
    pytest.param(
        changed(MINIMAL, ("object", {k: v for k, v in MBOX_AGENT.items() if k != "objectType"})),
        "statement.object.objectType",
        id="agent-object-without-objectType",
    ),
    pytest.param(
        changed(MINIMAL, ("object", {"name": "G", "member": [MBOX_AGENT]})),
        "statement.object.objectType",
        id="group-object-without-objectType",
    ),
    pytest.param(
        changed(MINIMAL, ("object.definition", "definition")),
        "statement.object.definition",
        id="definition-string",
    ),
    pytest.param(
        changed(MINIMAL, ("object.definition", {"name": "not a map"})),
        "statement.object.definition.name",
        id="name-string",
    ),
    pytest.param(
        changed(MINIMAL, ("object.definition", {"description": 1234})),
        "statement.object.definition.description",
        id="description-number",
    ),
    pytest.param(
        changed(MINIMAL, ("object.definition", {"description": {"en-something-AU": "x"}})),
        "statement.object.definition.description",
        id="description-bad-tag",
    ),
    pytest.param(
        changed(MINIMAL, ("object.definition", {"type": "meeting"})),
        "statement.object.definition.type",
        id="type-not-iri",
    ),
    pytest.param(
        changed(MINIMAL, ("object.definition", {"moreInfo": "virtualmeeting.example.com/1"})),
        "statement.object.definition.moreInfo",
        id="moreInfo-not-irl",
    ),
    pytest.param(
        changed(MINIMAL, ("object.definition", {"extensions": {"not.valid.com/extension": 1}})),
        "statement.object.definition.extensions",
        id="extension-key-not-iri",
    ),
    pytest.param(
        changed(MINIMAL, ("object.definition", {"extensions": "x"})),
        "statement.object.definition.extensions",
        id="extensions-string",
    ),
    pytest.param(
        changed(MINIMAL, ("object.definition", {"Name": {}})),
        "statement.object.definition.Name",
        id="definition-key-case",
    ),
    *(
        pytest.param(
            changed(interaction("other"), ("object.definition.interactionType", value)),
            "statement.object.definition.interactionType",
            id=f"interactionType-{value}",
        )
        for value in ("Other", "choiCe", "true-faLse", "ab=c://should.fail.com", 12345, None)
    ),
    pytest.param(
        changed(interaction("other"), ("object.definition.interactionType", {"test": "value"})),
        "statement.object.definition.interactionType",
        id="interactionType-object",
    ),
    pytest.param(
        changed(interaction("other"), ("object.definition.interactionType", DELETE)),
        "statement.object.definition.interactionType",
        id="correctResponsesPattern-without-interactionType",
    ),
    pytest.param(
        changed(
            interaction("choice", choices=items("a")),
            ("object.definition.interactionType", DELETE),
            ("object.definition.correctResponsesPattern", DELETE),
        ),
        "statement.object.definition.interactionType",
        id="choices-without-interactionType",
    ),
    pytest.param(
        interaction("true-false", choices=items("a")),
        "statement.object.definition.choices",
        id="choices-with-true-false",
    ),
    pytest.param(
        interaction("likert", steps=items("a")),
        "statement.object.definition.steps",
        id="steps-with-likert",
    ),
    pytest.param(
        interaction("choice", choices=items("a", "a")),
        "statement.object.definition.choices[1].id",
        id="duplicate-component-id",
    ),
    pytest.param(
        interaction("choice", choices=[{"description": {"en": "x"}}]),
        "statement.object.definition.choices[0].id",
        id="component-without-id",
    ),
    pytest.param(
        interaction("performance", steps=[{"id": "x", "description": {"something": "y"}}]),
        "statement.object.definition.steps[0].description",
        id="component-bad-tag",
    ),
    pytest.param(
        interaction("choice", choices="a"),
        "statement.object.definition.choices",
        id="choices-not-array",
    ),
    pytest.param(
        changed(interaction("other"), ("object.definition.correctResponsesPattern", "a")),
        "statement.object.definition.correctResponsesPattern",
        id="correctResponsesPattern-string",
    ),
    pytest.param(
        changed(interaction("other"), ("object.definition.correctResponsesPattern", [1])),
        "statement.object.definition.correctResponsesPattern[0]",
        id="correctResponsesPattern-number",
    ),
    pytest.param(
        changed(MINIMAL, ("object", {"objectType": "StatementRef"})),
        "statement.object.id",
        id="statementref-without-id",
    ),
    pytest.param(
        changed(MINIMAL, ("object", {"objectType": "StatementRef", "id": "not-a-uuid"})),
        "statement.object.id",
        id="statementref-bad-id",
    ),
    pytest.param(
        changed(MINIMAL, ("object", {"objectType": "StatementRef", "id": REF_ID, "x": 1})),
        "statement.object.x",
        id="statementref-extra",
    ),
    # SubStatement (Data 2.4.4.3)
    pytest.param(
        changed(MINIMAL, ("object", {"objectType": "SubStatement"})),
        "statement.object.actor",
        id="empty-sub",
    ),
    *(
        pytest.param(
            changed(SUBSTATEMENT, (f"object.{key}", value)),
            f"statement.object.{key}",
            id=f"substatement-{key}",
        )
        for key, value in (
            ("id", REF_ID),
            ("stored", "2011-07-15T00:00:00.000Z"),
            ("version", "1.0.0"),
            ("authority", MBOX_AGENT),
            ("actor", DELETE),
            ("verb", DELETE),
            ("object", DELETE),
        )
    ),
    pytest.param(
        changed(SUBSTATEMENT, ("object.object", SUBSTATEMENT["object"])),
        "statement.object.object.objectType",
        id="nested-substatement",
    ),
    pytest.param(
        changed(SUBSTATEMENT, ("object.verb.display", {"s-something": "x"})),
        "statement.object.verb.display",
        id="substatement-verb-bad-tag",
    ),
    pytest.param(
        changed(SUBSTATEMENT, ("object.timestamp", "2008-09-15T15:53:00.601-00:00")),
        "statement.object.timestamp",
        id="substatement-timestamp-negative-zero",
    ),
    pytest.param(
        changed(SUBSTATEMENT, ("object.object", {"objectType": "Agent", "mbox": "mailto:a@b.c"})),
        "statement.object.context.revision",
        id="substatement-revision-with-agent-object",
    ),
    pytest.param(
        changed(SUBSTATEMENT, ("object.attachments.0.length", "27")),
        "statement.object.attachments[0].length",
        id="substatement-attachment",
    ),
    # Result (Data 2.4.5)
    *(
        pytest.param(
            changed(TYPICAL, (f"result.{key}", value)),
            f"statement.result.{key}",
            id=f"{key}-{value}",
        )
        for key, value in (
            ("success", "true"),
            ("success", "false"),
            ("success", 1),
            ("completion", "true"),
            ("completion", {}),
            ("response", 12345),
            ("duration", "should fail"),
            ("duration", 12345),
            ("duration", "PA1H0M0S"),
            ("duration", "P4W1D"),
            ("duration", "P"),
            ("duration", "PT"),
            ("duration", "P1YT"),
            ("duration", "-P1D"),
            ("duration", "P0001-02-03T04:05:06"),
            ("duration", "pt1h"),
            ("extensions", 12345),
            ("extensions", "string"),
            ("score", 12345),
            ("score", "should fail"),
        )
    ),
    *(
        pytest.param(
            changed(TYPICAL, ("result.score", score)), f"statement.result.score.{key}", id=name
        )
        for name, score, key in (
            ("scaled-1.01", {"scaled": 1.01}, "scaled"),
            ("scaled-minus", {"scaled": -1.00001}, "scaled"),
            ("scaled-string", {"scaled": "0.5"}, "scaled"),
            ("scaled-bool", {"scaled": True}, "scaled"),
            ("scaled-nan", {"scaled": float("nan")}, "scaled"),
            ("raw-over-max", {"raw": 0.6767676, "min": 0, "max": 0.6567676}, "raw"),
            ("raw-under-min", {"raw": 0.6767676, "min": 1.4067676, "max": 100}, "raw"),
            ("raw-over-max-only", {"raw": 101, "max": 100}, "raw"),
            ("min-over-max", {"min": 0.6767676, "max": 0.6767355}, "min"),
            ("min-equals-max", {"min": 5, "max": 5}, "min"),
            ("max-string", {"max": "100"}, "max"),
            ("score-unknown", {"Raw": 1}, "Raw"),
        )
    ),
    # Context (Data 2.4.6)
    *(
        pytest.param(
            changed(TYPICAL, (f"context.{key}", value)),
            f"statement.context.{key}{subpath}",
            id=f"context-{key}-{value!r}"[:60],
        )
        for key, value, subpath in (
            ("registration", "ec531277-b57b-4c15-8d91-d292c5b2b8f", ""),
            ("registration", {"key": "value"}, ""),
            ("instructor", {"key": "value"}, ".key"),
            ("instructor", {"objectType": "agent", "mbox": "mailto:a@b.c"}, ".objectType"),
            ("team", MBOX_AGENT, ".objectType"),
            ("team", {"key": "value"}, ".objectType"),
            ("contextActivities", "string", ""),
            ("revision", 1234, ""),
            ("platform", {"name": "x"}, ""),
            ("language", "something", ""),
            ("language", {"en": 1}, ""),
            ("statement", {"id": REF_ID}, ".objectType"),
            ("statement", {"objectType": "StatementRef", "id": "bad"}, ".id"),
            ("statement", {"objectType": "Activity", "id": ACTIVITY_ID}, ".objectType"),
            ("extensions", {"example.com/extension/wrong": 1234}, ""),
            ("extensions", [], ""),
            ("Platform", "x", ""),
        )
    ),
    pytest.param(
        changed(TYPICAL, ("context.contextActivities", {"consequences": {"id": ACTIVITY_ID}})),
        "statement.context.contextActivities.consequences",
        id="contextActivities-unknown-key",
    ),
    pytest.param(
        changed(TYPICAL, ("context.contextActivities.parent", [{"id": ACTIVITY_ID}, {"key": 1}])),
        "statement.context.contextActivities.parent[1].key",
        id="contextActivities-bad-second",
    ),
    pytest.param(
        changed(TYPICAL, ("context.contextActivities.parent", "http://x.example")),
        "statement.context.contextActivities.parent",
        id="contextActivities-string",
    ),
    pytest.param(
        changed(
            TYPICAL,
            ("context.contextActivities.other", {"objectType": "Agent", "mbox": "mailto:a@b.c"}),
        ),
        "statement.context.contextActivities.other.objectType",
        id="contextActivities-agent",
    ),
    pytest.param(
        changed(TYPICAL, ("object", MBOX_AGENT)),
        "statement.context.revision",
        id="revision-with-agent-object",
    ),
    pytest.param(
        changed(
            TYPICAL,
            ("object", {"objectType": "Group", "member": [MBOX_AGENT]}),
            ("context.revision", DELETE),
        ),
        "statement.context.platform",
        id="platform-with-group-object",
    ),
    pytest.param(
        changed(
            TYPICAL,
            ("object", {"objectType": "StatementRef", "id": REF_ID}),
            ("context.revision", DELETE),
        ),
        "statement.context.platform",
        id="platform-with-statementref-object",
    ),
    # Timestamp, stored, authority, version (Data 2.4.7-2.4.10)
    *(
        pytest.param(
            changed(MINIMAL, ("timestamp", value)), "statement.timestamp", id=f"ts-{value}"
        )
        for value in (
            "should fail",
            "01/011/2015",
            "2008-09-15T15:53:00.601-00",
            "2008-09-15T15:53:00.601-0000",
            "2008-09-15T15:53:00.601-00:00",
            "2015-02-30T12:00:00Z",
            "2015-01-01T12:00:00",
            12345,
        )
    ),
    pytest.param(changed(MINIMAL, ("stored", "July 15, 2011")), "statement.stored", id="stored"),
    pytest.param(
        changed(MINIMAL, ("authority", {"objectType": "agent", "mbox": "mailto:a@b.c"})),
        "statement.authority.objectType",
        id="authority-objectType",
    ),
    pytest.param(
        changed(TYPICAL, ("authority.mbox", "mailto:bob@example.com")),
        "statement.authority",
        id="authority-identified-group",
    ),
    pytest.param(
        changed(
            TYPICAL,
            ("authority.member", [{"mbox": "mailto:a@b.c"}]),
        ),
        "statement.authority.member",
        id="authority-one-member",
    ),
    pytest.param(
        changed(TYPICAL, ("authority.member.2", {"mbox": "mailto:james@example.com"})),
        "statement.authority.member",
        id="authority-three-members",
    ),
    pytest.param(
        changed(TYPICAL, ("authority", {"objectType": "Group", "name": "Group Anonymous"})),
        "statement.authority.member",
        id="authority-no-members",
    ),
    *(
        pytest.param(changed(MINIMAL, ("version", value)), "statement.version", id=f"v-{value}")
        for value in ("should fail", "0.9.9", "1.1.0", "1.0.x", "1", "1.0.3-rc", 1.0, "3.0.0")
    ),
    # Attachments (Data 2.4.11)
    pytest.param(changed(MINIMAL, ("attachments", ATTACHMENT)), "statement.attachments", id="att"),
    pytest.param(changed(MINIMAL, ("attachments", [12345])), "statement.attachments[0]", id="a0"),
    *(
        pytest.param(
            changed(TYPICAL, (f"attachments.0.{key}", value)),
            f"statement.attachments[0].{key}",
            id=f"attachment-{key}-{value!r}"[:60],
        )
        for key, value in (
            ("usageType", "should fail"),
            ("usageType", "example.com/attachment-usage/test"),
            ("usageType", DELETE),
            ("display", DELETE),
            ("display", 12345),
            ("display", {"a12345678": "x"}),
            ("description", "should error"),
            ("contentType", 12345),
            ("contentType", "text"),
            ("contentType", "text/plain; charset"),
            ("contentType", DELETE),
            ("length", "should fail"),
            ("length", -1),
            ("length", 27.5),
            ("length", True),
            ("length", DELETE),
            ("sha2", 12345),
            ("sha2", "not-a-hash"),
            ("sha2", "495395e777cd98da653df9615d09c0fd"),
            ("sha2", DELETE),
            ("fileUrl", "should fail"),
            ("fileUrl", "over.there.com/file.txt"),
            ("FileUrl", "http://over.there.com/file.txt"),
        )
    ),
]


@pytest.mark.parametrize("version", ["1.0", "2.0"])
@pytest.mark.parametrize(("statement", "expected_path"), BAD_STATEMENTS)
def test_invalid_statements_name_the_path(
    statement: object, expected_path: str, version: XapiVersion
) -> None:
    """Each rule violation raises StatementValidationError starting with the property path."""
    with pytest.raises(StatementValidationError) as caught:
        validate_statement(statement, version)
    message = str(caught.value)
    assert message.startswith(f"{expected_path}: "), message


@pytest.mark.parametrize(
    ("statement", "expected_path"),
    [
        pytest.param(
            changed(
                MINIMAL,
                ("context", {"contextAgents": [dict(CONTEXT_AGENTS[0], objectType="Should fail")]}),
            ),
            "statement.context.contextAgents[0].objectType",
            id="contextAgent-objectType",
        ),
        pytest.param(
            changed(MINIMAL, ("context", {"contextAgents": [{"objectType": "contextAgent"}]})),
            "statement.context.contextAgents[0].agent",
            id="contextAgent-no-agent",
        ),
        pytest.param(
            changed(
                MINIMAL,
                (
                    "context",
                    {"contextAgents": [dict(CONTEXT_AGENTS[0], agent={"key": "Should fail"})]},
                ),
            ),
            "statement.context.contextAgents[0].agent.key",
            id="contextAgent-bad-agent",
        ),
        pytest.param(
            changed(
                MINIMAL,
                (
                    "context",
                    {"contextAgents": [dict(CONTEXT_AGENTS[0], agent=CONTEXT_GROUPS[0]["group"])]},
                ),
            ),
            "statement.context.contextAgents[0].agent.objectType",
            id="contextAgent-group",
        ),
        pytest.param(
            changed(
                MINIMAL, ("context", {"contextAgents": [dict(CONTEXT_AGENTS[0], relevantTypes=[])]})
            ),
            "statement.context.contextAgents[0].relevantTypes",
            id="contextAgent-empty-relevantTypes",
        ),
        pytest.param(
            changed(
                MINIMAL,
                ("context", {"contextAgents": [dict(CONTEXT_AGENTS[0], relevantTypes=["abc"])]}),
            ),
            "statement.context.contextAgents[0].relevantTypes[0]",
            id="contextAgent-relevantTypes-not-iri",
        ),
        pytest.param(
            changed(MINIMAL, ("context", {"contextAgents": CONTEXT_AGENTS[0]})),
            "statement.context.contextAgents",
            id="contextAgents-not-array",
        ),
        pytest.param(
            changed(
                MINIMAL,
                (
                    "context",
                    {"contextGroups": [dict(CONTEXT_GROUPS[0], objectType="contextAgent")]},
                ),
            ),
            "statement.context.contextGroups[0].objectType",
            id="contextGroup-objectType",
        ),
        pytest.param(
            changed(
                MINIMAL,
                (
                    "context",
                    {"contextGroups": [dict(CONTEXT_GROUPS[0], group={"key": "Should fail"})]},
                ),
            ),
            "statement.context.contextGroups[0].group.objectType",
            id="contextGroup-bad-group",
        ),
        pytest.param(
            changed(
                MINIMAL, ("context", {"contextGroups": [dict(CONTEXT_GROUPS[0], group=MBOX_AGENT)]})
            ),
            "statement.context.contextGroups[0].group.objectType",
            id="contextGroup-agent",
        ),
        pytest.param(
            changed(
                MINIMAL, ("context", {"contextGroups": [dict(CONTEXT_GROUPS[0], relevantTypes=[])]})
            ),
            "statement.context.contextGroups[0].relevantTypes",
            id="contextGroup-empty-relevantTypes",
        ),
        pytest.param(
            changed(MINIMAL, ("context", {"contextGroups": [dict(CONTEXT_GROUPS[0], member=[])]})),
            "statement.context.contextGroups[0].member",
            id="contextGroup-extra-key",
        ),
        pytest.param(
            changed(MINIMAL, ("timestamp", "2008-09-15T15:53Z")),
            "statement.timestamp",
            id="rfc3339-needs-seconds",
        ),
        pytest.param(
            changed(MINIMAL, ("version", "3.0.0")), "statement.version", id="version-3.0.0"
        ),
    ],
)
def test_invalid_under_2_0(statement: dict[str, Any], expected_path: str) -> None:
    """xAPI 2.0 4.2.2.5: contextAgent/contextGroup objects are closed and typed."""
    with pytest.raises(StatementValidationError) as caught:
        validate_statement(statement, "2.0")
    message = str(caught.value)
    assert message.startswith(f"{expected_path}: "), message


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            [("actor.mbox", "xapi@adlnet.gov")],
            "statement.actor.mbox: must be a 'mailto:' IRI with an email address",
            id="mbox",
        ),
        pytest.param([("verb", DELETE)], "statement.verb: required property is missing", id="verb"),
        pytest.param(
            [("object", MBOX_AGENT), ("context", {"revision": "r1"})],
            "statement.context.revision: not allowed when the object is an Agent or Group",
            id="revision",
        ),
        pytest.param([("actor.name", None)], "statement.actor.name: must not be null", id="null"),
        pytest.param(
            [("result", {"success": "true"})],
            "statement.result.success: must be a boolean, not a string",
            id="type",
        ),
    ],
)
def test_error_messages(changes: list[tuple[str, object]], expected: str) -> None:
    """Messages read as '<path>: <what is wrong>' so clients can fix the statement."""
    with pytest.raises(StatementValidationError) as caught:
        validate_statement(changed(MINIMAL, *changes), "1.0")
    assert str(caught.value) == expected


def test_unsupported_version_argument_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unsupported xAPI version"):
        validate_statement(MINIMAL, "1.0.3")  # type: ignore[arg-type]
