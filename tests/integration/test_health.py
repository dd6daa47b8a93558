"""Health, readiness and metrics endpoints."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text

from gateway.db import Database


def test_healthz_and_readyz_on_a_migrated_database(client: TestClient) -> None:
    """A migrated database is ready; the schema heads are reported."""
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["schema"]


def test_readyz_fails_when_the_schema_is_behind(client: TestClient) -> None:
    """A replica must not take traffic before ``gateway db upgrade`` ran."""
    database: Database = client.app.state.database  # type: ignore[attr-defined]
    with database.sessions.begin() as session:
        session.execute(text("DELETE FROM alembic_version"))
        session.execute(text("INSERT INTO alembic_version (version_num) VALUES ('old')"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["schema"] == ["old"]


def test_metrics_count_requests_by_area(client: TestClient) -> None:
    """Prometheus text with per-area request counters."""
    client.get("/xapi/about")
    body = client.get("/metrics").text
    assert 'gateway_http_requests_total{area="xapi",method="GET",status="200"}' in body


def test_openapi_schema_builds_without_duplicate_operations(client: TestClient) -> None:
    """The API documentation at /api/docs needs a valid OpenAPI document."""
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert "/xapi/statements" in response.json()["paths"]


def test_home_page_names_the_xapi_endpoint_in_vietnamese_first(client: TestClient) -> None:
    """The landing page tells an admin where the LRS is, Vietnamese before English."""
    page = client.get("/")
    assert page.status_code == 200
    text = page.text
    assert "/xapi/" in text
    assert text.index("Danh mục học liệu") < text.index("module catalog")
