"""The State, Activity Profile and Agent Profile resources in-process, on SQLite and PostgreSQL.

xAPI 1.0.3 Communication 2.2-2.3, 2.6-2.7 and 3.1; xAPI 2.0 4.1.4, 4.1.6.2, 4.1.6.5, 4.1.6.6.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from gateway.db import Database
from learning_store.clients import create_client, parse_scopes
from learning_store.models import Client, Document
from tests.conftest import basic_auth

STATE = "/xapi/activities/state"
ACTIVITY_PROFILE = "/xapi/activities/profile"
AGENT_PROFILE = "/xapi/agents/profile"
ACTIVITY = "https://temis.example/modules/GVMN2"
LEARNER: dict[str, Any] = {"objectType": "Agent", "mbox": "mailto:gv1@school.edu.vn"}
OTHER_LEARNER: dict[str, Any] = {"objectType": "Agent", "mbox": "mailto:gv2@school.edu.vn"}
V2 = {"X-Experience-API-Version": "2.0.0"}


def url(path: str, **params: Any) -> str:
    """``path?query`` with dict values (agents) sent as JSON, like xAPI clients do."""
    query = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    return f"{path}?{urlencode(query)}"


def state_params(state_id: str = "bookmark", **extra: Any) -> dict[str, Any]:
    """Key parameters of one State document."""
    return {"activityId": ACTIVITY, "agent": LEARNER, "stateId": state_id, **extra}


def activity_profile_params(profile_id: str = "settings") -> dict[str, Any]:
    """Key parameters of one Activity Profile document."""
    return {"activityId": ACTIVITY, "profileId": profile_id}


def agent_profile_params(profile_id: str = "preferences") -> dict[str, Any]:
    """Key parameters of one Agent Profile document."""
    return {"agent": LEARNER, "profileId": profile_id}


RESOURCES = [
    pytest.param(STATE, state_params, id="state"),
    pytest.param(ACTIVITY_PROFILE, activity_profile_params, id="activity-profile"),
    pytest.param(AGENT_PROFILE, agent_profile_params, id="agent-profile"),
]


def document_count(app: FastAPI) -> int:
    """Rows in the document table, whatever their kind."""
    database: Database = app.state.database
    with database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Document)) or 0)


def create(client: TestClient, path: str, params: dict[str, Any], body: Any) -> None:
    """Create a JSON document (If-None-Match: * satisfies every version and resource)."""
    response = client.put(url(path, **params), json=body, headers={"If-None-Match": "*"})
    assert response.status_code == 204, response.text


def etag_of(client: TestClient, path: str, params: dict[str, Any]) -> str:
    """The current ETag header of a document."""
    response = client.get(url(path, **params))
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


def extra_client(app: FastAPI, scopes: str, agent_ifi: str | None = None) -> dict[str, str]:
    """Headers of a further client with ``scopes`` (and, optionally, restricted to an agent)."""
    database: Database = app.state.database
    key = f"client-{uuid.uuid4().hex[:8]}"
    created = database.transaction(create_client, "extra", parse_scopes(scopes), key=key)
    if agent_ifi is not None:
        database.transaction(
            lambda session: session.execute(
                update(Client).where(Client.key == key).values(agent_ifi=agent_ifi)
            )
        )
    return {"Authorization": basic_auth(key, created.secret)}


# --- reading and writing -------------------------------------------------------------------


@pytest.mark.parametrize(("path", "params"), RESOURCES)
def test_put_then_get_returns_the_exact_bytes_and_content_type(
    client: TestClient, path: str, params: Any
) -> None:
    """Communication 2.2: the LRS returns the document as stored, with ETag and Last-Modified."""
    content = "Điểm: 9,5 — hoàn thành".encode("utf-16")
    response = client.put(
        url(path, **params()),
        content=content,
        headers={"Content-Type": "text/plain; charset=utf-16", "If-None-Match": "*"},
    )
    assert response.status_code == 204, response.text
    assert response.content == b""

    got = client.get(url(path, **params()))
    assert got.status_code == 200
    assert got.content == content
    assert got.headers["Content-Type"] == "text/plain; charset=utf-16"
    assert got.headers["ETag"] == f'"{hashlib.sha1(content).hexdigest()}"'
    modified = parsedate_to_datetime(got.headers["Last-Modified"])
    assert abs(time.time() - modified.timestamp()) < 60
    assert got.headers["X-Experience-API-Version"] == "1.0.3"


@pytest.mark.parametrize(("path", "params"), RESOURCES)
def test_head_has_the_get_headers_and_no_body(client: TestClient, path: str, params: Any) -> None:
    """Communication 1.1: HEAD answers like GET without the body."""
    create(client, path, params(), {"progress": 40})
    got = client.get(url(path, **params()))
    head = client.head(url(path, **params()))
    assert head.status_code == 200
    assert head.content == b""
    for name in ("ETag", "Last-Modified", "Content-Type", "Content-Length"):
        assert head.headers[name] == got.headers[name]


@pytest.mark.parametrize(("path", "params"), RESOURCES)
def test_get_of_a_missing_document_is_404_naming_the_id(
    client: TestClient, path: str, params: Any
) -> None:
    """A single-document GET of nothing is 404 (2.0 4.1.6: 'any request targeting a document')."""
    response = client.get(url(path, **params("absent")))
    assert response.status_code == 404
    assert "absent" in response.json()["message"]


def test_document_without_content_type_is_stored_as_octet_stream(client: TestClient) -> None:
    """A body without Content-Type is opaque bytes."""
    response = client.put(url(STATE, **state_params()), content=b"\x00\x01\x02")
    assert response.status_code == 204, response.text
    got = client.get(url(STATE, **state_params()))
    assert got.content == b"\x00\x01\x02"
    assert got.headers["Content-Type"] == "application/octet-stream"


def test_state_registration_is_part_of_the_key(client: TestClient) -> None:
    """Communication 2.3: a registration keeps its own states apart from the others."""
    registration = str(uuid.uuid4())
    create(client, STATE, state_params(), {"where": "no registration"})
    create(client, STATE, state_params(registration=registration), {"where": "registration"})
    plain = client.get(url(STATE, **state_params()))
    scoped = client.get(url(STATE, **state_params(registration=registration.upper())))
    assert plain.json() == {"where": "no registration"}
    assert scoped.json() == {"where": "registration"}


def test_agents_with_the_same_identifier_share_documents(client: TestClient) -> None:
    """Data 2.4.2: the IFI identifies the agent; the name is not part of the key."""
    create(client, AGENT_PROFILE, agent_profile_params(), {"theme": "dark"})
    named = {**LEARNER, "name": "Nguyễn Văn A"}
    got = client.get(url(AGENT_PROFILE, agent=named, profileId="preferences"))
    assert got.json() == {"theme": "dark"}


def test_identified_group_has_its_own_agent_profile(client: TestClient) -> None:
    """2.0 4.1.6.5: the agent parameter may be an identified Group."""
    group = {"objectType": "Group", "mbox": "mailto:to-gv@school.edu.vn"}
    create(client, AGENT_PROFILE, {"agent": group, "profileId": "plan"}, {"term": 1})
    assert client.get(url(AGENT_PROFILE, agent=group, profileId="plan")).json() == {"term": 1}
    same_ifi_agent = {"objectType": "Agent", "mbox": "mailto:to-gv@school.edu.vn"}
    assert client.get(url(AGENT_PROFILE, agent=same_ifi_agent, profileId="plan")).status_code == 404


# --- lists and since -----------------------------------------------------------------------


def test_state_ids_list_honours_since_and_registration(client: TestClient) -> None:
    """Communication 2.3: GET without stateId lists ids, filtered by registration and since."""
    registration = str(uuid.uuid4())
    create(client, STATE, state_params("a"), {"n": 1})
    create(client, STATE, state_params("b", registration=registration), {"n": 2})
    create(client, STATE, {**state_params("c"), "agent": OTHER_LEARNER}, {"n": 3})
    key = {"activityId": ACTIVITY, "agent": LEARNER}

    everything = client.get(url(STATE, **key))
    assert everything.status_code == 200
    assert sorted(everything.json()) == ["a", "b"]
    assert "Last-Modified" in everything.headers
    assert client.get(url(STATE, **key, registration=registration)).json() == ["b"]
    assert client.get(url(STATE, **key, since="2000-01-01T00:00:00Z")).json() == ["a", "b"]
    assert client.get(url(STATE, **key, since="2999-01-01T00:00:00Z")).json() == []


@pytest.mark.parametrize(
    ("path", "key", "id_param"),
    [
        pytest.param(ACTIVITY_PROFILE, {"activityId": ACTIVITY}, "profileId", id="activity"),
        pytest.param(AGENT_PROFILE, {"agent": LEARNER}, "profileId", id="agent"),
    ],
)
def test_profile_ids_list_honours_since(
    client: TestClient, path: str, key: dict[str, Any], id_param: str
) -> None:
    """Communication 2.6, 2.7: the ids of the profiles, those updated after ``since`` only."""
    for profile_id in ("one", "two"):
        create(client, path, {**key, id_param: profile_id}, {"id": profile_id})
    assert sorted(client.get(url(path, **key)).json()) == ["one", "two"]
    assert client.get(url(path, **key, since="2999-12-31T23:59:59+07:00")).json() == []
    past = client.get(url(path, **key, since="2001-01-01T00:00:00.000+07:00"))
    assert sorted(past.json()) == ["one", "two"]
    head = client.head(url(path, **key))
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == client.get(url(path, **key)).headers["Content-Length"]


def test_ids_list_of_nothing_is_an_empty_array(client: TestClient) -> None:
    """An activity without profiles lists []."""
    response = client.get(url(ACTIVITY_PROFILE, activityId="https://temis.example/empty"))
    assert response.status_code == 200
    assert response.json() == []
    assert "Last-Modified" not in response.headers


def test_since_with_an_unencoded_plus_offset_is_understood(client: TestClient) -> None:
    """A '+' left unencoded in the query string arrives as a space; it still means '+'."""
    create(client, ACTIVITY_PROFILE, activity_profile_params(), {"x": 1})
    response = client.get(
        f"{ACTIVITY_PROFILE}?activityId={ACTIVITY}&since=2001-01-01T00:00:00+07:00"
    )
    assert response.status_code == 200, response.text
    assert response.json() == ["settings"]


# --- delete ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "params"), RESOURCES)
def test_delete_removes_the_document_and_is_idempotent(
    client: TestClient, path: str, params: Any
) -> None:
    """Communication 2.3, 2.6, 2.7: DELETE answers 204; a second DELETE too."""
    create(client, path, params(), {"x": 1})
    assert client.delete(url(path, **params())).status_code == 204
    assert client.get(url(path, **params())).status_code == 404
    assert client.delete(url(path, **params())).status_code == 204


def test_delete_without_state_id_removes_the_states_of_that_agent_only(
    client: TestClient, app: FastAPI
) -> None:
    """Communication 2.3: DELETE without stateId removes every state of activity and agent."""
    registration = str(uuid.uuid4())
    create(client, STATE, state_params("a"), {"n": 1})
    create(client, STATE, state_params("b", registration=registration), {"n": 2})
    create(client, STATE, {**state_params("c"), "agent": OTHER_LEARNER}, {"n": 3})
    key = {"activityId": ACTIVITY, "agent": LEARNER}

    assert client.delete(url(STATE, **key, registration=registration)).status_code == 204
    assert client.get(url(STATE, **key)).json() == ["a"]
    assert client.delete(url(STATE, **key)).status_code == 204
    assert client.get(url(STATE, **key)).json() == []
    assert client.get(url(STATE, **{**key, "agent": OTHER_LEARNER})).json() == ["c"]
    assert document_count(app) == 1


# --- POST merges -----------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "params"), RESOURCES)
def test_post_creates_then_merges_one_level_deep(
    client: TestClient, path: str, params: Any
) -> None:
    """Communication 2.2 'JSON Procedure': top-level properties of the POST replace the stored."""
    first = {"car": {"make": "Ford", "model": "Escape"}, "driver": "Dale"}
    assert client.post(url(path, **params()), json=first).status_code == 204
    assert client.get(url(path, **params())).json() == first

    second = {"car": {"make": "Dodge"}, "series": "nextel"}
    assert client.post(url(path, **params()), json=second).status_code == 204
    got = client.get(url(path, **params()))
    assert got.json() == {"car": {"make": "Dodge"}, "driver": "Dale", "series": "nextel"}
    assert got.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("content", "content_type", "named"),
    [
        pytest.param(b"abcdefg", "not/json", "Content-Type", id="posted-not-json"),
        pytest.param(b'{"a": 1}{', "application/json", "document", id="posted-invalid-json"),
        pytest.param(b"[1, 2]", "application/json", "document", id="posted-array"),
        pytest.param(b"\xff\xfe", "application/json", "document", id="posted-not-utf8"),
    ],
)
@pytest.mark.parametrize(("path", "params"), RESOURCES)
def test_post_that_cannot_merge_is_400_and_changes_nothing(
    client: TestClient,
    path: str,
    params: Any,
    content: bytes,
    content_type: str,
    named: str,
) -> None:
    """Communication 2.2: both documents must be JSON objects, else 400 and no change."""
    create(client, path, params(), {"kept": True})
    before = client.get(url(path, **params()))
    response = client.post(
        url(path, **params()), content=content, headers={"Content-Type": content_type}
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith(named)
    after = client.get(url(path, **params()))
    assert after.content == before.content
    assert after.headers["ETag"] == before.headers["ETag"]


def test_post_json_into_a_non_json_document_is_400_and_changes_nothing(
    client: TestClient,
) -> None:
    """XAPI-00229 case 2: the stored document is not JSON, so nothing can merge into it."""
    client.put(
        url(STATE, **state_params()),
        content=b"/ asdf / undefined",
        headers={"Content-Type": "application/octet-stream"},
    )
    response = client.post(url(STATE, **state_params()), json={"a": 1})
    assert response.status_code == 400
    assert response.json()["message"].startswith("stateId")
    assert client.get(url(STATE, **state_params())).content == b"/ asdf / undefined"


def test_post_of_a_non_json_document_creates_it(client: TestClient) -> None:
    """Communication 2.2: a POST to no document acts like a PUT, whatever the type."""
    response = client.post(
        url(STATE, **state_params()), content=b"raw", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 204
    got = client.get(url(STATE, **state_params()))
    assert (got.content, got.headers["Content-Type"]) == (b"raw", "text/plain")


def test_put_of_invalid_json_labelled_json_is_400_and_stores_nothing(
    client: TestClient, app: FastAPI
) -> None:
    """A document labelled application/json must parse, or later merges could not."""
    response = client.put(
        url(STATE, **state_params()),
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("document")
    assert document_count(app) == 0


# --- bad requests ----------------------------------------------------------------------------

BAD_STATE_REQUESTS = [
    ("put", {"activityId": None}, "activityId"),
    ("post", {"activityId": None}, "activityId"),
    ("get", {"activityId": None}, "activityId"),
    ("delete", {"activityId": None}, "activityId"),
    ("put", {"activityId": "not an iri"}, "activityId"),
    ("put", {"agent": None}, "agent"),
    ("post", {"agent": "not JSON"}, "agent"),
    ("get", {"agent": "true"}, "agent"),
    ("delete", {"agent": "true"}, "agent"),
    ("put", {"agent": {"name": "no identifier"}}, "agent"),
    ("put", {"agent": {"mbox": "gv1@school.edu.vn"}}, "agent"),
    ("put", {"registration": "true"}, "registration"),
    ("get", {"registration": "not-a-uuid"}, "registration"),
    ("delete", {"registration": "true"}, "registration"),
    ("put", {"stateId": None}, "stateId"),
    ("post", {"stateId": None}, "stateId"),
    ("put", {"stateId": ""}, "stateId"),
    ("get", {"stateId": None, "since": "not a timestamp"}, "since"),
    ("get", {"stateId": None, "since": "2024-01-01T00:00:00"}, "since"),
    ("put", {"since": "2024-01-01T00:00:00Z"}, "since"),
    ("delete", {"since": "2024-01-01T00:00:00Z"}, "since"),
    ("put", {"profileId": "x"}, "profileId"),
    ("get", {"limit": "10"}, "limit"),
]


@pytest.mark.parametrize(("method", "changes", "named"), BAD_STATE_REQUESTS)
def test_bad_state_request_is_400_naming_the_parameter_and_stores_nothing(
    client: TestClient, app: FastAPI, method: str, changes: dict[str, Any], named: str
) -> None:
    """Communication 2.3 table: required, well-formed and known parameters only."""
    params = state_params()
    for name, value in changes.items():
        if value is None:
            params.pop(name)
        else:
            params[name] = value
    kwargs: dict[str, Any] = {"json": {"x": 1}} if method in ("put", "post") else {}
    response = client.request(method.upper(), url(STATE, **params), **kwargs)
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith(named)
    assert document_count(app) == 0


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        (ACTIVITY_PROFILE, {"profileId": "p"}, "activityId"),
        (ACTIVITY_PROFILE, {"activityId": "urn", "profileId": "p"}, "activityId"),
        (ACTIVITY_PROFILE, {"activityId": ACTIVITY}, "profileId"),
        (ACTIVITY_PROFILE, {"activityId": ACTIVITY, "profileId": "p", "agent": LEARNER}, "agent"),
        (AGENT_PROFILE, {"profileId": "p"}, "agent"),
        (AGENT_PROFILE, {"agent": "true", "profileId": "p"}, "agent"),
        (AGENT_PROFILE, {"agent": LEARNER}, "profileId"),
        (AGENT_PROFILE, {"agent": LEARNER, "profileId": "p", "activityId": ACTIVITY}, "activityId"),
        (
            AGENT_PROFILE,
            {"agent": LEARNER, "profileId": "p", "registration": str(uuid.uuid4())},
            "registration",
        ),
    ],
)
@pytest.mark.parametrize("method", ["PUT", "POST", "DELETE"])
def test_bad_profile_request_is_400_naming_the_parameter_and_stores_nothing(
    client: TestClient,
    app: FastAPI,
    path: str,
    params: dict[str, Any],
    named: str,
    method: str,
) -> None:
    """Communication 2.6, 2.7: PUT, POST and DELETE need the whole, valid key."""
    kwargs: dict[str, Any] = {"json": {"x": 1}} if method in ("PUT", "POST") else {}
    response = client.request(method, url(path, **params), headers={"If-None-Match": "*"}, **kwargs)
    assert response.status_code == 400, response.text
    assert response.json()["message"].startswith(named)
    assert document_count(app) == 0


def test_profile_get_with_bad_since_is_400(client: TestClient) -> None:
    """Communication 2.6/2.7: since must be a Timestamp."""
    response = client.get(url(AGENT_PROFILE, agent=LEARNER, since="true"))
    assert response.status_code == 400
    assert response.json()["message"].startswith("since")


def test_repeated_parameter_is_400(client: TestClient, app: FastAPI) -> None:
    """A parameter given twice is ambiguous."""
    query = urlencode([("activityId", ACTIVITY), ("profileId", "a"), ("profileId", "b")])
    response = client.put(f"{ACTIVITY_PROFILE}?{query}", json={}, headers={"If-None-Match": "*"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("profileId")
    assert document_count(app) == 0


def test_malformed_agent_json_is_400(client: TestClient, app: FastAPI) -> None:
    """XAPI-00235: a broken agent parameter is rejected before the body is looked at."""
    agent = json.dumps(LEARNER).replace(":", '"', 1)
    response = client.post(
        f"{STATE}?{urlencode({'activityId': ACTIVITY, 'stateId': 's', 'agent': agent})}",
        json={"x": 1},
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("agent")
    assert document_count(app) == 0


def test_missing_version_header_is_400(client: TestClient) -> None:
    """Communication 3.3: every resource but About needs X-Experience-API-Version."""
    del client.headers["X-Experience-API-Version"]
    response = client.get(url(STATE, **state_params()))
    assert response.status_code == 400
    assert "X-Experience-API-Version" in response.json()["message"]


def test_body_over_the_limit_is_413_and_stores_nothing(app: FastAPI, client: TestClient) -> None:
    """The configured body limit covers documents too."""
    limit = app.state.settings.max_body_bytes
    app.state.settings.max_body_bytes = 16
    try:
        response = client.put(url(STATE, **state_params()), content=b"x" * 17)
    finally:
        app.state.settings.max_body_bytes = limit
    assert response.status_code == 413
    assert document_count(app) == 0


# --- concurrency -----------------------------------------------------------------------------


def test_v1_state_put_without_preconditions_overwrites(client: TestClient) -> None:
    """1.0.3 Communication 3.1: the State resource permits PUT without concurrency headers."""
    assert client.put(url(STATE, **state_params()), json={"v": 1}).status_code == 204
    assert client.put(url(STATE, **state_params()), json={"v": 2}).status_code == 204
    assert client.get(url(STATE, **state_params())).json() == {"v": 2}


@pytest.mark.parametrize(
    ("path", "params"),
    [
        pytest.param(ACTIVITY_PROFILE, activity_profile_params, id="activity-profile"),
        pytest.param(AGENT_PROFILE, agent_profile_params, id="agent-profile"),
    ],
)
def test_v1_profile_put_without_preconditions_is_refused(
    client: TestClient, app: FastAPI, path: str, params: Any
) -> None:
    """1.0.3 Communication 3.1: 400 for a new profile (XAPI-00273), 409 for an existing one."""
    missing = client.put(url(path, **params()), json={"v": 1})
    assert missing.status_code == 400
    assert missing.json()["message"].startswith("If-Match/If-None-Match")
    assert document_count(app) == 0

    create(client, path, params(), {"v": 1})
    existing = client.put(url(path, **params()), json={"v": 2})
    assert existing.status_code == 409
    assert "If-Match" in existing.json()["message"]
    assert client.get(url(path, **params())).json() == {"v": 1}


@pytest.mark.parametrize(("path", "params"), RESOURCES)
def test_v2_put_without_preconditions_creates_but_never_overwrites(
    client: TestClient, path: str, params: Any
) -> None:
    """2.0 4.1.4: without If-Match/If-None-Match a PUT to an existing document is a 409."""
    assert client.put(url(path, **params()), json={"v": 1}, headers=V2).status_code == 204
    conflict = client.put(url(path, **params()), json={"v": 2}, headers=V2)
    assert conflict.status_code == 409
    assert conflict.json()["message"]
    assert client.get(url(path, **params()), headers=V2).json() == {"v": 1}


@pytest.mark.parametrize(("path", "params"), RESOURCES)
def test_put_with_if_match_succeeds_only_for_the_current_etag(
    client: TestClient, path: str, params: Any
) -> None:
    """1.0.3 Communication 3.1 / 2.0 4.1.4: a stale If-Match is 412 and changes nothing."""
    create(client, path, params(), {"v": 1})
    etag = etag_of(client, path, params())
    stale = client.put(url(path, **params()), json={"v": 2}, headers={"If-Match": '"1234"'})
    assert stale.status_code == 412
    assert stale.json()["message"].startswith("If-Match")
    assert client.get(url(path, **params())).json() == {"v": 1}

    assert (
        client.put(url(path, **params()), json={"v": 2}, headers={"If-Match": etag}).status_code
        == 204
    )
    assert client.get(url(path, **params())).json() == {"v": 2}
    again = client.put(url(path, **params()), json={"v": 3}, headers={"If-Match": etag})
    assert again.status_code == 412


@pytest.mark.parametrize(
    ("header", "value", "status"),
    [
        pytest.param("If-Match", "*", 204, id="if-match-star"),
        pytest.param("If-Match", '"0000", {etag}', 204, id="if-match-list"),
        pytest.param("If-Match", "{bare}", 204, id="if-match-unquoted"),
        pytest.param("If-Match", "W/{etag}", 412, id="if-match-weak-never-matches"),
        pytest.param("If-None-Match", "*", 412, id="if-none-match-star"),
        pytest.param("If-None-Match", "W/{etag}", 412, id="if-none-match-weak"),
        pytest.param("If-None-Match", '"0000"', 204, id="if-none-match-other"),
    ],
)
def test_conditional_put_to_an_existing_document(
    client: TestClient, header: str, value: str, status: int
) -> None:
    """RFC 7232 3.1-3.2: '*', lists, weak tags (weak never match If-Match)."""
    create(client, AGENT_PROFILE, agent_profile_params(), {"v": 1})
    etag = etag_of(client, AGENT_PROFILE, agent_profile_params())
    sent = value.format(etag=etag, bare=etag.strip('"'))
    response = client.put(
        url(AGENT_PROFILE, **agent_profile_params()), json={"v": 2}, headers={header: sent}
    )
    assert response.status_code == status, response.text
    expected = {"v": 2} if status == 204 else {"v": 1}
    assert client.get(url(AGENT_PROFILE, **agent_profile_params())).json() == expected


def test_if_match_on_a_missing_document_is_412(client: TestClient, app: FastAPI) -> None:
    """RFC 7232 3.1: If-Match (even '*') fails when there is no current representation."""
    for value in ("*", '"0123"'):
        response = client.put(
            url(ACTIVITY_PROFILE, **activity_profile_params()), json={}, headers={"If-Match": value}
        )
        assert response.status_code == 412
    assert document_count(app) == 0


def test_malformed_if_match_is_400(client: TestClient, app: FastAPI) -> None:
    """An If-Match that is neither '*' nor a list of entity-tags names the header."""
    response = client.put(
        url(ACTIVITY_PROFILE, **activity_profile_params()),
        json={},
        headers={"If-Match": '"unterminated'},
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("If-Match")
    assert document_count(app) == 0


@pytest.mark.parametrize(("path", "params"), RESOURCES)
def test_post_and_delete_honour_if_match(client: TestClient, path: str, params: Any) -> None:
    """2.0 4.1.4: PUT, POST and DELETE all handle If-Match."""
    create(client, path, params(), {"v": 1})
    etag = etag_of(client, path, params())
    stale = {"If-Match": '"1234"'}
    assert client.post(url(path, **params()), json={"w": 2}, headers=stale).status_code == 412
    assert client.delete(url(path, **params()), headers=stale).status_code == 412
    assert client.get(url(path, **params())).json() == {"v": 1}

    current = {"If-Match": etag}
    assert client.post(url(path, **params()), json={"w": 2}, headers=current).status_code == 204
    etag = etag_of(client, path, params())
    assert client.delete(url(path, **params()), headers={"If-Match": etag}).status_code == 204
    assert client.get(url(path, **params())).status_code == 404


def test_conditional_get(client: TestClient) -> None:
    """RFC 7232: GET with a matching If-None-Match is 304; with a failing If-Match 412."""
    create(client, STATE, state_params(), {"v": 1})
    etag = etag_of(client, STATE, state_params())
    not_modified = client.get(url(STATE, **state_params()), headers={"If-None-Match": etag})
    assert not_modified.status_code == 304
    assert not_modified.headers["ETag"] == etag
    assert client.get(url(STATE, **state_params()), headers={"If-Match": '"x"'}).status_code == 412
    assert client.get(url(STATE, **state_params()), headers={"If-Match": etag}).status_code == 200


def test_v2_last_modified_moves_forward_with_each_update(client: TestClient) -> None:
    """2.0 4.1.6.2: Last-Modified says when the document last changed."""
    create(client, STATE, state_params(), {"v": 1})
    before = parsedate_to_datetime(
        client.get(url(STATE, **state_params()), headers=V2).headers["Last-Modified"]
    )
    time.sleep(1.1)
    assert client.post(url(STATE, **state_params()), json={"v": 2}, headers=V2).status_code == 204
    after = parsedate_to_datetime(
        client.get(url(STATE, **state_params()), headers=V2).headers["Last-Modified"]
    )
    assert after > before


def test_concurrent_creation_is_retried(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A unique-key race on insert is run again and then sees the other writer's document."""
    from gateway.xapi import documents as routes
    from learning_store.documents import ConcurrentWriteError

    real = routes.put_document
    calls: list[int] = []

    def flaky(*args: Any) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ConcurrentWriteError("stateId: the document was created concurrently; retry")
        real(*args)

    monkeypatch.setattr(routes, "put_document", flaky)
    assert client.put(url(STATE, **state_params()), json={"v": 1}).status_code == 204
    assert len(calls) == 2
    assert client.get(url(STATE, **state_params())).json() == {"v": 1}


# --- credentials ------------------------------------------------------------------------------


def test_scopes_guard_each_resource(client: TestClient, app: FastAPI) -> None:
    """Communication 4.0 scopes: 'state' for State, 'profile' for profiles, all/read reads."""
    create(client, STATE, state_params(), {"v": 1})
    create(client, ACTIVITY_PROFILE, activity_profile_params(), {"v": 1})

    reader = extra_client(app, "all/read")
    assert client.get(url(STATE, **state_params()), headers=reader).status_code == 200
    assert (
        client.get(url(ACTIVITY_PROFILE, **activity_profile_params()), headers=reader).status_code
        == 200
    )
    refused = client.put(url(STATE, **state_params()), json={}, headers=reader)
    assert refused.status_code == 403

    statements_only = extra_client(app, "statements/write statements/read")
    assert client.get(url(STATE, **state_params()), headers=statements_only).status_code == 403

    profile_only = extra_client(app, "profile")
    assert client.get(url(STATE, **state_params()), headers=profile_only).status_code == 403
    put = client.put(
        url(AGENT_PROFILE, **agent_profile_params()),
        json={"v": 1},
        headers={**profile_only, "If-None-Match": "*"},
    )
    assert put.status_code == 204


def test_agent_bound_credentials_only_reach_their_agent(client: TestClient, app: FastAPI) -> None:
    """A client restricted to one agent (cmi5 launch credentials) gets 403 for others."""
    bound = extra_client(app, "state", agent_ifi=f"Agent|mbox|{LEARNER['mbox']}")
    own = client.put(url(STATE, **state_params()), json={"v": 1}, headers=bound)
    assert own.status_code == 204
    other = client.put(
        url(STATE, **{**state_params(), "agent": OTHER_LEARNER}), json={"v": 1}, headers=bound
    )
    assert other.status_code == 403
    assert other.json()["message"].startswith("agent")


def test_alternate_request_syntax_reaches_the_state_resource(client: TestClient) -> None:
    """1.0.3 Communication 1.3: a form POST with method=PUT stores a state document."""
    form = {
        "activityId": ACTIVITY,
        "agent": json.dumps(LEARNER),
        "stateId": "bookmark",
        "Authorization": client.headers["Authorization"],
        "X-Experience-API-Version": "1.0.3",
        "Content-Type": "application/json",
        "content": json.dumps({"page": 7}),
    }
    response = client.post(
        f"{STATE}?method=PUT",
        content=urlencode(form),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 204, response.text
    assert client.get(url(STATE, **state_params())).json() == {"page": 7}
