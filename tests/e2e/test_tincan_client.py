"""tincan, a real xAPI client, against the running gateway over HTTP."""

from __future__ import annotations

import json
import uuid

import pytest
from tincan import (
    Activity,
    ActivityDefinition,
    Agent,
    Context,
    LanguageMap,
    Result,
    Score,
    Statement,
    StatementList,
    Verb,
)
from tincan.documents.state_document import StateDocument

from gateway.temis.lrs_client import GatewayRemoteLRS
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.e2e

ACTIVITY = "https://temis.example/catalog/modules/GVMN2"


def _lrs(server: LiveServer) -> GatewayRemoteLRS:
    return GatewayRemoteLRS(
        endpoint=server.xapi, username=server.key, password=server.secret, version="1.0.3"
    )


def _statement(n: int, verb: str = "completed", registration: str | None = None) -> Statement:
    return Statement(
        id=str(uuid.uuid4()),
        actor=Agent(name=f"Giáo viên {n}", mbox=f"mailto:gv{n}@school.edu.vn"),
        verb=Verb(
            id=f"http://adlnet.gov/expapi/verbs/{verb}",
            display=LanguageMap({"vi-VN": "hoàn thành", "en-US": verb}),
        ),
        object=Activity(
            id=ACTIVITY,
            definition=ActivityDefinition(
                name=LanguageMap({"vi-VN": "Quản lý cảm xúc bản thân của người GVMN"}),
            ),
        ),
        result=Result(score=Score(scaled=0.8), success=True, completion=True),
        context=Context(registration=registration) if registration else None,
    )


def test_about_lists_versions_even_though_tincan_does_not_know_2_0(
    live_server: LiveServer,
) -> None:
    """Communication 2.8: About lists 1.0.x and 2.0.0; the wrapper keeps tincan working."""
    response = _lrs(live_server).about()
    assert response.success
    assert "1.0.3" in response.content.version
    raw = json.loads(response.data)
    assert "2.0.0" in raw["version"]


def test_save_retrieve_and_query_statements(live_server: LiveServer) -> None:
    """Communication 2.1: statements saved by tincan come back by id and by query."""
    lrs = _lrs(live_server)
    registration = str(uuid.uuid4())
    first = _statement(1, registration=registration)
    saved = lrs.save_statement(first)
    assert saved.success, saved.data
    batch = StatementList([_statement(2), _statement(3, verb="passed")])
    saved_batch = lrs.save_statements(batch)
    assert saved_batch.success, saved_batch.data

    got = lrs.retrieve_statement(first.id)
    assert got.success
    assert str(got.content.id) == str(first.id)
    assert got.content.actor.mbox == "mailto:gv1@school.edu.vn"
    assert got.content.result.score.scaled == 0.8

    by_registration = lrs.query_statements({"registration": registration})
    assert by_registration.success, by_registration.data
    assert [str(s.id) for s in by_registration.content.statements] == [str(first.id)]

    by_verb = lrs.query_statements(
        {"verb": Verb(id="http://adlnet.gov/expapi/verbs/passed"), "limit": 10}
    )
    assert by_verb.success
    assert len(by_verb.content.statements) == 1

    paged = lrs.query_statements({"activity": Activity(id=ACTIVITY), "limit": 2})
    assert paged.success and len(paged.content.statements) == 2
    assert paged.content.more
    rest = lrs.more_statements(paged.content)
    assert rest.success, rest.data
    assert len(rest.content.statements) == 1


def test_state_documents_with_registration_and_etag(live_server: LiveServer) -> None:
    """Communication 2.3: state saved with a registration is found only with it."""
    lrs = _lrs(live_server)
    agent = Agent(mbox="mailto:gv1@school.edu.vn")
    activity = Activity(id=ACTIVITY)
    registration = str(uuid.uuid4())
    state = StateDocument(
        id="bookmark",
        activity=activity,
        agent=agent,
        registration=registration,
        content=json.dumps({"page": 3, "ghi_chú": "đã đọc"}, ensure_ascii=False),
        content_type="application/json",
    )
    assert lrs.save_state(state).success

    got = lrs.retrieve_state(activity, agent, "bookmark", registration=registration)
    assert got.success
    assert json.loads(got.content.content) == {"page": 3, "ghi_chú": "đã đọc"}
    assert got.content.etag

    other = lrs.retrieve_state(activity, agent, "bookmark")  # no registration
    assert other.response.status == 404

    ids = lrs.retrieve_state_ids(activity, agent, registration=registration)
    assert ids.success and ids.content == ["bookmark"]
