"""Statement query semantics: related filters, StatementRefs, time bounds and formats."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

from fastapi.testclient import TestClient

from tests.integration.xapi_helpers import VERB_PASSED, VERB_VOIDED, agent, statement


def _ids(client: TestClient, query: str) -> list[str]:
    response = client.get(f"/xapi/statements?{query}")
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()["statements"]]


def test_related_activities_and_agents_reach_context_and_substatements(
    client: TestClient,
) -> None:
    """Communication 2.1.3: related_* widen the activity and agent filters."""
    module = "https://temis.example/modules/GVPT15"
    in_context = statement(actor=1, activity="https://temis.example/lessons/1")
    in_context["context"] = {
        "contextActivities": {"grouping": {"id": module}},
        "instructor": agent(7),
    }
    sub = statement(actor=2)
    sub["object"] = {
        "objectType": "SubStatement",
        "actor": agent(8),
        "verb": {"id": VERB_PASSED},
        "object": {"id": module},
    }
    direct = statement(actor=3, activity=module)
    client.post("/xapi/statements", json=[in_context, sub, direct])

    activity = quote(module)
    assert _ids(client, f"activity={activity}") == [direct["id"]]
    related = _ids(client, f"activity={activity}&related_activities=true")
    assert set(related) == {in_context["id"], sub["id"], direct["id"]}

    instructor = quote(json.dumps(agent(7)))
    assert _ids(client, f"agent={instructor}") == []
    assert _ids(client, f"agent={instructor}&related_agents=true") == [in_context["id"]]
    sub_actor = quote(json.dumps(agent(8)))
    assert _ids(client, f"agent={sub_actor}&related_agents=true") == [sub["id"]]


def test_statements_targeting_a_match_are_returned_with_it(client: TestClient) -> None:
    """Data 2.5 "Filter Conditions for StatementRefs": the voiding of a match is a match."""
    target = statement(actor=1, verb=VERB_PASSED)
    client.post("/xapi/statements", json=target)
    voiding = statement(actor=9, verb=VERB_VOIDED)
    voiding["object"] = {"objectType": "StatementRef", "id": target["id"]}
    client.post("/xapi/statements", json=voiding)
    unrelated = statement(actor=2)
    client.post("/xapi/statements", json=unrelated)

    # The target is voided (hidden), but the voiding statement matches through it.
    assert _ids(client, f"verb={quote(VERB_PASSED)}") == [voiding["id"]]
    assert _ids(client, "agent=" + quote(json.dumps(agent(1)))) == [voiding["id"]]


def test_since_until_and_ascending(client: TestClient) -> None:
    """Communication 2.1.3: since is exclusive, until inclusive, ascending reverses."""
    first = statement(actor=1)
    client.post("/xapi/statements", json=first)
    stored_first = client.get(f"/xapi/statements?statementId={first['id']}").json()["stored"]
    time.sleep(0.01)
    second = statement(actor=2)
    client.post("/xapi/statements", json=second)

    assert _ids(client, f"since={quote(stored_first)}") == [second["id"]]
    assert _ids(client, f"until={quote(stored_first)}") == [first["id"]]
    assert _ids(client, "ascending=true") == [first["id"], second["id"]]


def test_bad_query_parameters_name_the_parameter(client: TestClient) -> None:
    """Communication 2.1.3: malformed parameters are a 400 that says which."""
    cases = {
        "agent=not-json": "agent",
        "agent=" + quote(json.dumps({"name": "no ifi"})): "agent",
        "verb=not%20an%20iri": "verb",
        "registration=123": "registration",
        "since=yesterday": "since",
        "limit=-1": "limit",
        "format=full": "format",
        "ascending=yes": "ascending",
        "statementId=" + "0" * 8 + "-0000-4000-8000-" + "0" * 12 + "&verb=x": "verb",
        "nonsense=1": "nonsense",
    }
    for query, name in cases.items():
        response = client.get(f"/xapi/statements?{query}")
        assert response.status_code == 400, query
        assert name in response.json()["message"], (query, response.json())


def test_ids_and_canonical_formats(client: TestClient) -> None:
    """Communication 2.1.3 format: ids keeps identifiers; canonical one language."""
    sent = statement()
    client.post("/xapi/statements", json=sent)
    ids = client.get(f"/xapi/statements?statementId={sent['id']}&format=ids").json()
    assert ids["actor"] == {"objectType": "Agent", "mbox": sent["actor"]["mbox"]}
    assert ids["verb"] == {"id": sent["verb"]["id"]}
    assert ids["object"] == {"id": sent["object"]["id"]}

    canonical = client.get(
        f"/xapi/statements?statementId={sent['id']}&format=canonical",
        headers={"Accept-Language": "vi-VN, en;q=0.5"},
    ).json()
    assert canonical["verb"]["display"] == {"vi-VN": "hoàn thành"}
    assert canonical["object"]["definition"]["name"] == {"vi-VN": "Mô đun GVMN 2"}
    english = client.get(
        f"/xapi/statements?statementId={sent['id']}&format=canonical",
        headers={"Accept-Language": "en-US"},
    ).json()
    assert english["verb"]["display"] == {"en-US": "completed"}
    exact = client.get(f"/xapi/statements?statementId={sent['id']}").json()
    assert exact["verb"]["display"] == sent["verb"]["display"]


def test_exact_form_keeps_unicode_and_key_order_of_what_was_sent(client: TestClient) -> None:
    """Stored statements come back as sent: Vietnamese text is not normalized."""
    sent = statement()
    decomposed = "Gia\u0301o vie\u0302n"  # NFD: must stay NFD inside statements
    sent["actor"]["name"] = decomposed
    client.post("/xapi/statements", json=sent)
    got = client.get(f"/xapi/statements?statementId={sent['id']}").json()
    assert got["actor"]["name"] == decomposed
