"""Learner-bound credentials and application policies on the statement write path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from gateway.db import Database
from learning_store.agents import ifi_key
from learning_store.clients import create_client, parse_scopes
from learning_store.errors import BadRequestError
from learning_store.models import Client
from learning_store.statements import WriteContext
from tests.conftest import basic_auth
from tests.integration.xapi_helpers import agent, count_statements, statement


def test_learner_bound_credentials_write_only_that_learners_statements(
    client: TestClient,
) -> None:
    """A launch token for one learner cannot write statements for another (403)."""
    database: Database = client.app.state.database  # type: ignore[attr-defined]
    token = database.transaction(create_client, "launch", parse_scopes("statements/write"))

    def bind(session: Session) -> None:
        session.execute(
            update(Client).where(Client.key == token.key).values(agent_ifi=ifi_key(agent(1)))
        )

    database.transaction(bind)
    auth = {"Authorization": basic_auth(token.key, token.secret)}
    other = client.post("/xapi/statements", json=[statement(actor=1), statement(actor=2)],
                        headers=auth)  # fmt: skip
    assert other.status_code == 403
    assert "statements[1].actor" in other.json()["message"]
    assert count_statements(client) == 0
    own = client.post("/xapi/statements", json=statement(actor=1), headers=auth)
    assert own.status_code == 200


def test_application_policies_run_before_anything_is_stored(client: TestClient) -> None:
    """A policy registered by the app refuses a batch; nothing of it is stored."""
    seen: list[int] = []

    def no_passed_verbs(
        session: Session, statements: Sequence[dict[str, Any]], context: WriteContext
    ) -> None:
        seen.append(len(statements))
        for statement_ in statements:
            if statement_["verb"]["id"].endswith("/passed"):
                raise BadRequestError("verb: 'passed' is refused by policy")

    client.app.state.statement_policies = [no_passed_verbs]  # type: ignore[attr-defined]
    ok = statement()
    refused = statement(verb="http://adlnet.gov/expapi/verbs/passed")
    response = client.post("/xapi/statements", json=[ok, refused])
    assert response.status_code == 400
    assert "policy" in response.json()["message"]
    assert count_statements(client) == 0
    assert client.post("/xapi/statements", json=ok).status_code == 200
    assert seen == [2, 1]
