"""Fixtures for tests of the app in-process: an app over a fresh database and a client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.db import Database
from gateway.settings import Settings
from learning_store.clients import create_client, parse_scopes
from tests.conftest import SUITE_KEY, SUITE_SECRET, basic_auth


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings of a test app over the fresh database."""
    return Settings(database_url=database_url, environment="test", embedded_workers=False)


@pytest.fixture
def app(settings: Settings) -> Iterator[FastAPI]:
    """The gateway app with one all-scopes client (``SUITE_KEY``/``SUITE_SECRET``)."""
    application = create_app(settings)
    database: Database = application.state.database
    database.transaction(
        create_client, "tests", parse_scopes("all"), key=SUITE_KEY, secret=SUITE_SECRET
    )
    yield application
    database.dispose()


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A test client sending the xAPI 1.0.3 version header and Basic credentials."""
    with TestClient(app) as test_client:
        test_client.headers.update(
            {
                "Authorization": basic_auth(SUITE_KEY, SUITE_SECRET),
                "X-Experience-API-Version": "1.0.3",
            }
        )
        yield test_client
