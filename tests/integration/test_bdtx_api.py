"""``/api/bdtx`` and the ``/bdtx`` pages in-process, on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.integration.bdtx_helpers import LMS, LedgerDriver, account, fresh_driver, mbox
from tests.integration.test_bdtx_ledger import finish

AN = {
    "temis_id": "079001",
    "name": "Nguyễn Thị An",
    "role": "giáo viên",
    "level": "Mầm non",
    "school_code": "HN-MN-0042",
    "school_name": "Trường Mầm non Hoa Sen",
    "province": "Hà Nội",
}


def _setup(app: FastAPI, client: TestClient) -> LedgerDriver:
    lrs = fresh_driver(app, client)
    assert client.put("/api/bdtx/people/079001", json=AN).status_code == 200
    linked = client.post(
        "/api/bdtx/people/079001/identities",
        json={"account_homepage": LMS, "account_name": "gv-001"},
    )
    assert linked.status_code == 200, linked.text
    return lrs


def test_person_year_summary_counts_ct03_periods_and_status(
    app: FastAPI, client: TestClient
) -> None:
    """Summary: modules, periods against 120 and the 40-period CT03 block, Hoàn thành rule."""
    lrs = _setup(app, client)
    lrs.send(*finish(lrs, "gv-001", "GVMN2", "2025-10-01T09:00:00+07:00", scaled=0.9))
    lrs.run()
    body = client.get("/api/bdtx/people/079001/years/2025-2026").json()
    assert [(m["module_code"], m["periods"], m["score"]) for m in body["modules"]] == [
        ("GVMN 2", 20, 9.0)
    ]
    assert body["person"]["role"] == "GV" and body["person"]["level"] == "MN"
    assert (body["periods_earned"], body["ct03_periods"], body["ct03_missing"]) == (20, 20, 20)
    assert body["required_periods"] == 120 and body["ct03_required"] == 40
    assert body["status"] == "Không hoàn thành"
    assert body["modules"][0]["delivery"] == "pending"

    lrs.send(*finish(lrs, "gv-001", "GVMN7", "2026-05-01T09:00:00+07:00", scaled=0.6))
    lrs.run()
    body = client.get("/api/bdtx/people/079001/years/2025-2026").json()
    assert body == {**body, "ct03_periods": 40, "ct03_missing": 0, "status": "Hoàn thành"}

    school = client.get("/api/bdtx/schools/HN-MN-0042/years/2025-2026").json()
    assert (school["people"], school["done"]) == (1, 1)
    page = client.get("/bdtx/people/079001?year=2025-2026")
    assert page.status_code == 200
    assert "Hoàn thành / Completed" in page.text and "GVMN 7" in page.text
    school_page = client.get("/bdtx/schools/HN-MN-0042?year=2025-2026")
    assert "Trường Mầm non Hoa Sen" in school_page.text


def test_bad_person_input_names_the_field_and_stores_nothing(client: TestClient) -> None:
    """Bad input: 422 with the field named; the stored person is untouched."""
    assert client.put("/api/bdtx/people/079001", json=AN).status_code == 200
    bad = client.put("/api/bdtx/people/079001", json={**AN, "name": "X", "role": "hiệu phó"})
    assert bad.status_code == 422
    assert bad.json()["detail"]["field"] == "role"
    assert client.get("/api/bdtx/people/079001").json()["name"] == AN["name"]
    bad_year = client.get("/api/bdtx/people/079001/years/2025-2027")
    assert bad_year.status_code == 422 and bad_year.json()["detail"]["field"] == "school_year"
    bad_link = client.post("/api/bdtx/people/079001/identities", json={"email": "not-mail"})
    assert bad_link.status_code == 422 and bad_link.json()["detail"]["field"] == "email"
    assert client.get("/api/bdtx/people/079001").json()["identities"] == []
    assert client.get("/api/bdtx/people/079404").status_code == 404


def test_an_identity_of_another_person_is_a_conflict(app: FastAPI, client: TestClient) -> None:
    """An identity linked to one person is not silently moved to another (409)."""
    _setup(app, client)
    client.put("/api/bdtx/people/079002", json={**AN, "temis_id": "079002", "name": "Bình"})
    taken = client.post(
        "/api/bdtx/people/079002/identities",
        json={"account_homepage": LMS, "account_name": "gv-001"},
    )
    assert taken.status_code == 409
    assert client.get("/api/bdtx/people/079002").json()["identities"] == []


def test_pending_actors_are_listed_for_admins(app: FastAPI, client: TestClient) -> None:
    """Statements whose actor maps to no person wait, visible to admins."""
    lrs = fresh_driver(app, client)
    lrs.send(
        *[dict(s, actor=mbox("lan")) for s in finish(lrs, "x", "GVMN2", "2025-10-01T09:00:00Z")]
    )
    lrs.run()
    [waiting] = client.get("/api/bdtx/pending").json()
    assert waiting["actor"] == "Agent|mbox|mailto:lan@school.edu.vn"
    assert waiting["modules"] == [["GVMN 2", "2025-2026", 20]]
    status = client.get("/api/bdtx/status").json()
    assert status["lag"] == 0 and status["credits"] == {"pending": 1}


def test_the_api_wants_credentials(client: TestClient) -> None:
    """Personal data: no credentials, no answer."""
    assert account("x")  # keep helper import used
    response = client.get("/api/bdtx/people", headers={"Authorization": ""})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")
