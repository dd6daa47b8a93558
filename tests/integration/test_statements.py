"""The Statements resource in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import uuid
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.integration.xapi_helpers import (
    VERB_PASSED,
    VERB_VOIDED,
    agent,
    count_statements,
    multipart,
    statement,
)


def test_post_then_get_returns_the_statement_with_lrs_properties(client: TestClient) -> None:
    """Data 2.4.8-2.4.10: the LRS sets stored, authority and version."""
    sent = statement()
    response = client.post("/xapi/statements", json=sent)
    assert response.status_code == 200, response.text
    assert response.json() == [sent["id"]]

    got = client.get(f"/xapi/statements?statementId={sent['id']}")
    assert got.status_code == 200
    body = got.json()
    assert body["actor"] == sent["actor"]
    assert body["object"] == sent["object"]
    assert body["version"] == "1.0.0"
    assert body["authority"]["account"]["name"] == "test-client"
    assert body["stored"].endswith("Z")
    assert got.headers["X-Experience-API-Version"] == "1.0.3"
    assert "Last-Modified" in got.headers


def test_put_with_statement_id_stores_and_answers_204(client: TestClient) -> None:
    """Communication 2.1.1: PUT stores under statementId."""
    sent = statement()
    statement_id = sent.pop("id")
    response = client.put(f"/xapi/statements?statementId={statement_id}", json=sent)
    assert response.status_code == 204
    assert client.get(f"/xapi/statements?statementId={statement_id}").json()["id"] == statement_id


def test_same_id_same_statement_is_accepted_different_is_conflict(client: TestClient) -> None:
    """Communication 2.1.1: a different statement under an existing id is a 409."""
    sent = statement()
    assert client.post("/xapi/statements", json=sent).status_code == 200
    assert client.post("/xapi/statements", json=sent).status_code == 200
    changed = {**sent, "verb": {"id": VERB_PASSED}}
    response = client.put(f"/xapi/statements?statementId={sent['id']}", json=changed)
    assert response.status_code == 409
    assert sent["id"] in response.json()["message"]
    assert count_statements(client) == 1


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (lambda s: s.pop("verb"), "verb"),
        (lambda s: s.update(actor={"mbox": "learner@school.edu.vn"}), "mbox"),
        (lambda s: s.update(actor={"name": "no identifier"}), "actor"),
        (lambda s: s.update(id="not-a-uuid"), "id"),
        (lambda s: s["object"].update(id="not an iri"), "object"),
        (lambda s: s.update(unknown=1), "unknown"),
    ],
)
def test_malformed_statement_is_rejected_and_nothing_is_stored(
    client: TestClient, mutate: object, named: str
) -> None:
    """Data 2.2: an invalid statement gets 400 naming the property; the batch stores none."""
    good = statement()
    bad = statement(actor=2)
    mutate(bad)  # type: ignore[operator]
    before = count_statements(client)
    response = client.post("/xapi/statements", json=[good, bad])
    assert response.status_code == 400
    assert named in response.json()["message"]
    assert count_statements(client) == before


def test_missing_or_wrong_version_header_is_rejected(client: TestClient) -> None:
    """Communication 3.3: every resource but About needs a supported version header."""
    missing = client.get("/xapi/statements", headers={"X-Experience-API-Version": ""})
    assert missing.status_code == 400
    wrong = client.post(
        "/xapi/statements", json=statement(), headers={"X-Experience-API-Version": "0.95"}
    )
    assert wrong.status_code == 400
    assert "X-Experience-API-Version" in wrong.json()["message"]
    assert count_statements(client) == 0
    assert client.get("/xapi/about", headers={"X-Experience-API-Version": ""}).status_code == 200


def test_bad_credentials_get_401_with_a_challenge(client: TestClient) -> None:
    """Communication 4.0: unauthenticated requests get 401."""
    response = client.get("/xapi/statements", headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_voiding_hides_the_target_and_a_voiding_statement_cannot_be_voided(
    client: TestClient,
) -> None:
    """Data 2.3.2: voided statements only by voidedStatementId; voidings are final."""
    target = statement()
    client.post("/xapi/statements", json=target)
    voiding = statement(verb=VERB_VOIDED)
    voiding["object"] = {"objectType": "StatementRef", "id": target["id"]}
    assert client.post("/xapi/statements", json=voiding).status_code == 200

    assert client.get(f"/xapi/statements?statementId={target['id']}").status_code == 404
    voided = client.get(f"/xapi/statements?voidedStatementId={target['id']}")
    assert voided.status_code == 200
    ids = [s["id"] for s in client.get("/xapi/statements").json()["statements"]]
    assert ids == [voiding["id"]]

    void_the_voiding = statement(verb=VERB_VOIDED)
    void_the_voiding["object"] = {"objectType": "StatementRef", "id": voiding["id"]}
    response = client.post("/xapi/statements", json=void_the_voiding)
    assert response.status_code == 400
    assert "voiding" in response.json()["message"]


def test_filters_by_agent_verb_activity_and_registration(client: TestClient) -> None:
    """Communication 2.1.3: each filter narrows the result."""
    registration = str(uuid.uuid4())
    a = statement(actor=1)
    b = statement(actor=2, verb=VERB_PASSED)
    c = statement(actor=1, activity="https://temis.example/modules/QLPT18")
    c["context"] = {"registration": registration}
    client.post("/xapi/statements", json=[a, b, c])

    def ids(query: str) -> set[str]:
        response = client.get(f"/xapi/statements?{query}")
        assert response.status_code == 200, response.text
        return {s["id"] for s in response.json()["statements"]}

    assert ids("agent=" + quote(json.dumps(agent(1)))) == {a["id"], c["id"]}
    assert ids("verb=" + quote(VERB_PASSED)) == {b["id"]}
    assert ids("activity=" + quote("https://temis.example/modules/QLPT18")) == {c["id"]}
    assert ids(f"registration={registration}") == {c["id"]}
    assert ids("agent=" + quote(json.dumps(agent(3)))) == set()


def test_more_links_page_through_everything_while_new_statements_arrive(
    client: TestClient,
) -> None:
    """Data 2.5 / Communication 2.1.3: ``more`` pages stay stable under new arrivals."""
    sent = [statement(actor=n) for n in range(7)]
    for item in sent:
        client.post("/xapi/statements", json=item)
    first = client.get("/xapi/statements?limit=3").json()
    assert len(first["statements"]) == 3 and first["more"]
    client.post("/xapi/statements", json=statement(actor=99))  # arrives between pages
    seen = [s["id"] for s in first["statements"]]
    url = first["more"]
    while url:
        page = client.get(url).json()
        seen += [s["id"] for s in page["statements"]]
        url = page["more"]
    assert seen == [s["id"] for s in reversed(sent)]


def test_consistent_through_header_is_present(client: TestClient) -> None:
    """Communication 2.1.3: X-Experience-API-Consistent-Through on statement queries."""
    response = client.get("/xapi/statements")
    assert response.headers["X-Experience-API-Consistent-Through"].endswith("Z")


def test_attachment_round_trip_and_mismatched_hash_rejected(client: TestClient) -> None:
    """Data 2.4.11 and Communication 1.5.2: parts are addressed by their SHA-2 hash."""
    content = "Minh chứng hoàn thành mô đun".encode()
    sha2 = hashlib.sha256(content).hexdigest()
    sent = statement()
    sent["attachments"] = [
        {
            "usageType": "http://id.tincanapi.com/attachment/certificate-of-completion",
            "display": {"vi-VN": "Giấy chứng nhận"},
            "contentType": "text/plain; charset=utf-8",
            "length": len(content),
            "sha2": sha2,
        }
    ]
    wrong, wrong_type = multipart(sent, [("text/plain", b"other bytes", sha2)])
    response = client.post("/xapi/statements", content=wrong, headers={"Content-Type": wrong_type})
    assert response.status_code == 400
    assert "sha2" in response.json()["message"]
    assert count_statements(client) == 0

    body, content_type = multipart(sent, [("text/plain; charset=utf-8", content, None)])
    response = client.post("/xapi/statements", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text
    got = client.get(f"/xapi/statements?statementId={sent['id']}&attachments=true")
    assert got.headers["Content-Type"].startswith("multipart/mixed")
    assert content in got.content


def test_missing_attachment_part_is_rejected(client: TestClient) -> None:
    """Communication 1.5.2: a declared attachment without fileUrl needs its part."""
    sent = statement()
    sent["attachments"] = [
        {
            "usageType": "http://id.tincanapi.com/attachment/supporting_media",
            "display": {"en-US": "x"},
            "contentType": "text/plain",
            "length": 3,
            "sha2": hashlib.sha256(b"abc").hexdigest(),
        }
    ]
    response = client.post("/xapi/statements", json=sent)
    assert response.status_code == 400
    assert "attachments" in response.json()["message"]


def test_oversized_body_is_rejected_with_413(settings: object, client: TestClient) -> None:
    """A body over GATEWAY_MAX_BODY_BYTES is refused before it is parsed."""
    client.app.state.settings = client.app.state.settings.model_copy(  # type: ignore[attr-defined]
        update={"max_body_bytes": 1000}
    )
    big = statement()
    big["result"] = {"response": "x" * 5000}
    response = client.post("/xapi/statements", json=big)
    assert response.status_code == 413
    assert "body" in response.json()["message"]


def test_read_mine_scope_sees_only_own_statements(app: object, client: TestClient) -> None:
    """Scope statements/read/mine limits queries to the client's own statements."""
    from gateway.db import Database
    from learning_store.clients import create_client, parse_scopes
    from tests.conftest import basic_auth

    database: Database = client.app.state.database  # type: ignore[attr-defined]
    mine = database.transaction(
        create_client, "content", parse_scopes("statements/write,statements/read/mine")
    )
    other = statement(actor=1)
    client.post("/xapi/statements", json=other)
    own = statement(actor=2)
    auth = {"Authorization": basic_auth(mine.key, mine.secret)}
    assert client.post("/xapi/statements", json=own, headers=auth).status_code == 200
    seen = client.get("/xapi/statements", headers=auth).json()["statements"]
    assert [s["id"] for s in seen] == [own["id"]]
    denied = client.post("/xapi/statements?x=1", json=own, headers=auth)
    assert denied.status_code == 400


def test_oversized_attachment_is_rejected_with_413_and_nothing_stored(client: TestClient) -> None:
    """One attachment over GATEWAY_MAX_ATTACHMENT_BYTES is refused; the batch stores none."""
    client.app.state.settings = client.app.state.settings.model_copy(  # type: ignore[attr-defined]
        update={"max_attachment_bytes": 100}
    )
    content = b"x" * 101
    sent = statement()
    sent["attachments"] = [
        {
            "usageType": "http://id.tincanapi.com/attachment/supporting_media",
            "display": {"en-US": "big"},
            "contentType": "application/octet-stream",
            "length": len(content),
            "sha2": hashlib.sha256(content).hexdigest(),
        }
    ]
    body, content_type = multipart(
        [sent, statement()], [("application/octet-stream", content, None)]
    )
    response = client.post("/xapi/statements", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 413
    assert "part 1" in response.json()["message"]
    assert count_statements(client) == 0
