"""The LMS side of cmi5 through the app: launch, fetch, LaunchData, statement rules,
moveOn and satisfied, abandoned sessions, the upload API and served files."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from gateway.catalog.cmi5.launch import start_launch
from gateway.catalog.cmi5.progress import abandon_stale_sessions
from gateway.catalog.content_demo import install_missing_demos
from gateway.catalog.content_settings import ContentSettings, get_content_settings
from gateway.db import Database
from gateway.settings import Settings
from learning_store.clients import create_client, parse_scopes
from tests.conftest import SUITE_KEY, SUITE_SECRET, basic_auth
from tests.integration.test_content_packages import cmi5_xml, make_zip

CMI5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON = "https://w3id.org/xapi/cmi5/context/categories/moveon"
SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
ADL = "http://adlnet.gov/expapi/verbs/"
SATISFIED = "https://w3id.org/xapi/adl/verbs/satisfied"
ABANDONED = "https://w3id.org/xapi/adl/verbs/abandoned"
ADMIN_TOKEN = "admin-token-for-tests"
PUBLIC_URL = "http://testserver"


@pytest.fixture
def client(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """The app with the demo courses installed in a fresh content folder."""
    monkeypatch.setenv("GATEWAY_CONTENT_DIR", str(tmp_path / "content"))
    monkeypatch.setenv("GATEWAY_CONTENT_ADMIN_TOKEN", ADMIN_TOKEN)
    get_content_settings.cache_clear()
    settings = Settings(
        database_url=database_url,
        environment="test",
        embedded_workers=False,
        public_url=PUBLIC_URL,
    )
    app = create_app(settings)
    database: Database = app.state.database
    database.transaction(
        create_client, "tests", parse_scopes("all"), key=SUITE_KEY, secret=SUITE_SECRET
    )
    with TestClient(app) as test_client:
        install_missing_demos(database.sessions, app.state.content_settings)
        test_client.headers.update(
            {
                "Authorization": basic_auth(SUITE_KEY, SUITE_SECRET),
                "X-Experience-API-Version": "1.0.3",
            }
        )
        yield test_client
    database.dispose()
    get_content_settings.cache_clear()


@dataclass
class Launch:
    """One AU launch as the AU sees it, with helpers to speak for the AU."""

    client: TestClient
    url: str
    params: dict[str, str] = field(init=False)
    token: str | None = None
    launch_data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.params = {k: v[0] for k, v in parse_qs(urlsplit(self.url).query).items()}

    @property
    def registration(self) -> str:
        return self.params["registration"]

    @property
    def session_id(self) -> str:
        session_id: str = self.launch_data["contextTemplate"]["extensions"][SESSION]
        return session_id

    def fetch(self) -> dict[str, Any]:
        """POST the fetch URL (8.2)."""
        response = self.client.post(urlsplit(self.params["fetch"]).path, headers={})
        assert response.status_code == 200
        body: dict[str, Any] = response.json()
        return body

    def start(self) -> Launch:
        """Fetch the token and read LMS.LaunchData, as every AU does first."""
        self.token = "Basic " + self.fetch()["auth-token"]
        response = self.client.get(
            "/xapi/activities/state",
            params={
                "activityId": self.params["activityId"],
                "agent": self.params["actor"],
                "registration": self.registration,
                "stateId": "LMS.LaunchData",
            },
            headers=self.headers,
        )
        assert response.status_code == 200, response.text
        self.launch_data = response.json()
        return self

    @property
    def headers(self) -> dict[str, str]:
        assert self.token is not None
        return {"Authorization": self.token, "X-Experience-API-Version": "1.0.3"}

    def statement(
        self, verb: str, result: dict[str, Any] | None = None, defined: bool = True
    ) -> dict[str, Any]:
        """A statement made from the context template, as 10.2.1 asks."""
        context = json.loads(json.dumps(self.launch_data["contextTemplate"]))
        context["registration"] = self.registration
        categories = []
        if defined:
            categories.append({"id": CMI5})
            if result and ("success" in result or "completion" in result):
                categories.append({"id": MOVEON})
        if categories:
            context["contextActivities"]["category"] = categories
        made: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "actor": json.loads(self.params["actor"]),
            "verb": {"id": verb if ":" in verb else ADL + verb},
            "object": {"id": self.params["activityId"]},
            "context": context,
        }
        if result is not None:
            made["result"] = result
        return made

    def send(self, *statements: dict[str, Any]) -> Any:
        """POST statements with the AU's credentials."""
        return self.client.post("/xapi/statements", json=list(statements), headers=self.headers)

    def passed(self, scaled: float = 1.0) -> dict[str, Any]:
        return self.statement("passed", {"success": True, "duration": "PT5S",
                                         "score": {"scaled": scaled}})  # fmt: skip

    def completed(self) -> dict[str, Any]:
        return self.statement("completed", {"completion": True, "duration": "PT5S"})

    def terminated(self) -> dict[str, Any]:
        return self.statement("terminated", {"duration": "PT9S"})


def launch(client: TestClient, learner: str = "Lê Thị Học", module: str = "GVPT15",
           au: str | None = None) -> Launch:  # fmt: skip
    """A demo launch through the launch form; the AU URL it redirects to."""
    data = {"learner": learner} | ({"au": au} if au else {})
    response = client.post(f"/content/launch/{module}", data=data, follow_redirects=False)
    assert response.status_code == 303, response.text
    return Launch(client, response.headers["location"])


def statements_of(client: TestClient, registration: str) -> list[dict[str, Any]]:
    """The registration's statements, oldest first."""
    response = client.get(
        "/xapi/statements", params={"registration": registration, "ascending": "true"}
    )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["statements"]
    return found


def verbs_of(client: TestClient, registration: str) -> list[str]:
    """Short verb names of the registration's statements, oldest first."""
    return [s["verb"]["id"].rsplit("/", 1)[-1] for s in statements_of(client, registration)]


# --- launch ------------------------------------------------------------------------------------


def test_launch_url_launch_data_and_launched_statement(client: TestClient) -> None:
    """8.1 launch parameters, 10.0 LMS.LaunchData, 9.3.1 launched with its extensions."""
    au = launch(client).start()
    assert au.params["endpoint"] == f"{PUBLIC_URL}/xapi/"
    actor = json.loads(au.params["actor"])
    assert actor["objectType"] == "Agent" and actor["account"]["name"] == "Lê Thị Học"
    data = au.launch_data
    assert data["launchMode"] == "Normal" and data["moveOn"] == "CompletedAndPassed"
    assert data["masteryScore"] == 0.8
    assert data["returnURL"].startswith(f"{PUBLIC_URL}/content/launch/GVPT15/done")
    grouping = [a["id"] for a in data["contextTemplate"]["contextActivities"]["grouping"]]
    assert "urn:temis-gateway:demo-content:gvpt15:au:1" in grouping
    assert au.params["activityId"] not in grouping, "8.1.5: not the publisher id"

    (launched,) = statements_of(client, au.registration)
    assert launched["verb"]["id"] == ADL + "launched"
    assert launched["object"]["id"] == au.params["activityId"]
    extensions = launched["context"]["extensions"]
    assert extensions[SESSION] == au.session_id
    ext = "https://w3id.org/xapi/cmi5/context/extensions/"
    assert extensions[ext + "launchmode"] == "Normal"
    assert extensions[ext + "moveon"] == "CompletedAndPassed"
    assert extensions[ext + "masteryscore"] == 0.8
    assert extensions[ext + "launchurl"].endswith("/index.html")
    assert "?" not in extensions[ext + "launchurl"]
    assert {"id": CMI5} in launched["context"]["contextActivities"]["category"]

    preferences = client.get(
        "/xapi/agents/profile",
        params={"agent": au.params["actor"], "profileId": "cmi5LearnerPreferences"},
    )
    assert preferences.json()["languagePreference"].startswith("vi")


def test_a_relaunch_keeps_registration_and_activity_and_abandons_the_open_session(
    client: TestClient,
) -> None:
    """8.1.5 same activityId per registration; 9.3.6 the earlier session is abandoned."""
    first = launch(client).start()
    assert first.send(first.statement("initialized")).status_code == 200
    second = launch(client)
    assert second.registration == first.registration
    assert second.params["activityId"] == first.params["activityId"]
    assert verbs_of(client, first.registration) == [
        "launched", "initialized", "abandoned", "launched"
    ]  # fmt: skip
    abandoned = statements_of(client, first.registration)[2]
    assert abandoned["context"]["extensions"][SESSION] == first.session_id
    assert abandoned["result"]["duration"].startswith("PT")
    refused = first.send(first.passed())
    assert refused.status_code in (401, 403), "no statement after abandoned (9.3.6)"
    other = launch(client, learner="Người Khác")
    assert other.registration != first.registration
    assert other.params["activityId"] == first.params["activityId"], "8.1.5 SHOULD"


def test_the_fetch_url_answers_once(client: TestClient) -> None:
    """8.2: the token once; then error-code 1; unknown URLs error-code 2; both with 200."""
    au = launch(client)
    first = au.fetch()
    assert set(first) == {"auth-token"}
    key, _, secret = base64.b64decode(first["auth-token"]).decode().partition(":")
    assert key and secret
    second = au.fetch()
    assert second["error-code"] == "1" and "auth-token" not in second
    unknown = client.post("/content/cmi5/fetch/not-a-real-key")
    assert unknown.status_code == 200 and unknown.json()["error-code"] == "2"
    assert client.get(urlsplit(au.params["fetch"]).path).status_code == 405


def test_the_token_is_scoped_to_the_learner(client: TestClient) -> None:
    """The AU's credentials read and write only their learner's data."""
    au = launch(client).start()
    other_agent = json.dumps({"account": {"homePage": "https://x.example", "name": "other"}})
    response = client.get(
        "/xapi/activities/state",
        params={"activityId": au.params["activityId"], "agent": other_agent,
                "stateId": "LMS.LaunchData"},
        headers=au.headers,
    )  # fmt: skip
    assert response.status_code == 403
    foreign = au.statement("initialized")
    foreign["actor"] = json.loads(other_agent)
    assert au.send(foreign).status_code == 403


# --- statement rules ---------------------------------------------------------------------------


def test_the_lms_rejects_statements_that_break_the_session_rules(client: TestClient) -> None:
    """9.3, 9.5, 9.6, 6.3: each refused with 403 and nothing of it stored."""
    au = launch(client).start()
    before = lambda: len(statements_of(client, au.registration))  # noqa: E731
    stored = before()

    def refused(*statements: dict[str, Any], fragment: str) -> None:
        response = au.send(*statements)
        assert response.status_code == 403, response.text
        assert fragment in response.json()["message"]
        assert before() == stored

    refused(au.completed(), fragment="must be initialized")
    refused(au.statement("experienced", defined=False), fragment="must be initialized")
    assert au.send(au.statement("initialized")).status_code == 200
    stored += 1
    refused(au.statement("initialized"), fragment="only once")
    wrong_session = au.statement("experienced", defined=False)
    wrong_session["context"]["extensions"][SESSION] = str(uuid.uuid4())
    refused(wrong_session, fragment="session id must be")
    wrong_registration = au.completed()
    wrong_registration["context"]["registration"] = str(uuid.uuid4())
    refused(wrong_registration, fragment="registration")
    wrong_object = au.completed()
    wrong_object["object"]["id"] = "https://example.org/elsewhere"
    refused(wrong_object, fragment="activityId")
    refused(au.passed(scaled=0.5), fragment="below the masteryScore")
    no_duration = au.completed()
    del no_duration["result"]["duration"]
    refused(no_duration, fragment="duration")
    no_moveon = au.completed()
    no_moveon["context"]["contextActivities"]["category"] = [{"id": CMI5}]
    refused(no_moveon, fragment="moveOn category")
    refused(au.statement(SATISFIED), fragment="only the LMS issues")
    voiding = au.statement("voided", defined=False)
    voiding["object"] = {"objectType": "StatementRef", "id": str(uuid.uuid4())}
    refused(voiding, fragment="may not void")
    refused(au.passed(), au.passed(), fragment="already sent")

    assert au.send(au.passed(), au.completed()).status_code == 200
    stored = before()
    refused(au.statement("failed", {"success": False, "duration": "PT1S"}),
            fragment="only one of passed and failed")  # fmt: skip
    assert au.send(au.terminated()).status_code == 200
    stored = before()
    refused(au.statement("experienced", defined=False), fragment="was terminated")


def test_registration_rules_hold_across_sessions(client: TestClient) -> None:
    """9.3: completed and passed once per registration; no failed after passed."""
    first = launch(client).start()
    assert first.send(first.statement("initialized"), first.passed(), first.completed(),
                      first.terminated()).status_code == 200  # fmt: skip
    second = launch(client).start()
    assert second.registration == first.registration
    assert second.send(second.statement("initialized")).status_code == 200
    assert second.send(second.completed()).status_code == 403
    assert second.send(second.passed()).status_code == 403
    failed = second.statement("failed", {"success": False, "duration": "PT1S",
                                         "score": {"scaled": 0.2}})  # fmt: skip
    assert "must not follow passed" in second.send(failed).json()["message"]


def test_other_clients_cannot_forge_statements_for_this_lms_registrations(
    client: TestClient,
) -> None:
    """A cmi5 defined statement naming our registration needs a session of it; other
    registrations (another LMS using this LRS) are left alone."""
    au = launch(client).start()
    forged = au.statement("initialized")
    forged["context"]["extensions"][SESSION] = str(uuid.uuid4())
    response = client.post("/xapi/statements", json=forged)
    assert response.status_code == 403 and "no AU session" in response.json()["message"]
    theirs = au.statement("initialized")
    theirs["context"]["registration"] = str(uuid.uuid4())
    assert client.post("/xapi/statements", json=theirs).status_code == 200


# --- moveOn, satisfied, abandoned ----------------------------------------------------------------


def test_satisfied_once_the_move_on_criteria_are_met(client: TestClient) -> None:
    """9.3.9: satisfied for the course after passed and completed, once per registration."""
    au = launch(client).start()
    assert au.send(au.statement("initialized"), au.passed()).status_code == 200
    assert SATISFIED not in [s["verb"]["id"] for s in statements_of(client, au.registration)]
    assert au.send(au.completed()).status_code == 200
    statements = statements_of(client, au.registration)
    satisfied = [s for s in statements if s["verb"]["id"] == SATISFIED]
    assert len(satisfied) == 1
    (course,) = satisfied
    assert course["object"]["id"].endswith("/catalog/modules/GVPT15")
    assert course["object"]["definition"]["type"].endswith("/activitytype/course")
    assert course["context"]["extensions"][SESSION] == au.session_id
    assert course["context"]["registration"] == au.registration
    assert [s["verb"]["id"] for s in statements][-2:] == [ADL + "completed", SATISFIED]
    assert au.send(au.terminated()).status_code == 200
    again = launch(client).start()
    assert again.send(again.statement("initialized"), again.terminated()).status_code == 200
    verbs = [s["verb"]["id"] for s in statements_of(client, au.registration)]
    assert verbs.count(SATISFIED) == 1


def test_browse_mode_records_no_outcome(client: TestClient) -> None:
    """10.2.2: in Browse mode only initialized and terminated are allowed."""
    app = client.app
    database: Database = app.state.database  # type: ignore[attr-defined]
    settings: ContentSettings = app.state.content_settings  # type: ignore[attr-defined]
    actor = {"account": {"homePage": "https://lms.example.vn", "name": "u-1"}}

    def begin(session: Any) -> str:
        info = start_launch(session, "GVPT 15", actor, None, PUBLIC_URL, settings=settings,
                            launch_mode="Browse")  # fmt: skip
        return info.url

    au = Launch(client, database.transaction(begin)).start()
    assert au.launch_data["launchMode"] == "Browse" and "returnURL" not in au.launch_data
    assert au.send(au.statement("initialized")).status_code == 200
    assert "Browse" in au.send(au.passed()).json()["message"]
    assert au.send(au.terminated()).status_code == 200


def test_sessions_that_never_terminate_are_abandoned(client: TestClient) -> None:
    """9.3.6: the periodic sweep records abandoned; the AU's credentials stop working."""
    au = launch(client).start()
    assert au.send(au.statement("initialized")).status_code == 200
    database: Database = client.app.state.database  # type: ignore[attr-defined]
    count = database.transaction(
        abandon_stale_sessions, public_url=PUBLIC_URL, idle=timedelta(hours=1)
    )
    assert count == 0
    count = database.transaction(abandon_stale_sessions, public_url=PUBLIC_URL,
                                 idle=timedelta(seconds=0))  # fmt: skip
    assert count == 1
    assert verbs_of(client, au.registration)[-1] == "abandoned"
    assert au.send(au.terminated()).status_code == 401
    assert au.fetch()["error-code"] == "1"


def test_a_block_of_aus_is_satisfied_before_the_course(client: TestClient) -> None:
    """9.3.9: block satisfied when its AUs are; NotApplicable AUs count at registration."""
    course = cmi5_xml(
        "a.html",
        extra_au="""<block id="https://example.org/c/block"><title><langstring>B</langstring>
        </title><description><langstring>d</langstring></description>
        <au id="https://example.org/c/na"><title><langstring>N</langstring></title>
        <description><langstring>d</langstring></description><url>a.html</url></au>
        </block>""",
    )
    upload = client.post(
        "/api/content/packages/QLMN8",
        content=make_zip([("cmi5.xml", course), ("a.html", "a")]),
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert upload.status_code == 201, upload.text
    au = launch(client, module="QLMN8", au="https://example.org/c/au").start()
    satisfied = [s for s in statements_of(client, au.registration)
                 if s["verb"]["id"] == SATISFIED]  # fmt: skip
    assert [s["object"]["definition"]["type"].rsplit("/", 1)[-1] for s in satisfied] == ["block"]
    assert satisfied[0]["context"]["extensions"][SESSION] != au.session_id
    assert au.send(au.statement("initialized"), au.completed()).status_code == 200
    kinds = [
        s["object"]["definition"]["type"].rsplit("/", 1)[-1]
        for s in statements_of(client, au.registration)
        if s["verb"]["id"] == SATISFIED
    ]
    assert kinds == ["block", "course"]  # fmt: skip


# --- upload API and served files -----------------------------------------------------------------


def test_the_upload_api_needs_the_admin_token_and_reports_bad_packages(
    client: TestClient,
) -> None:
    """Bearer token; a bad package is a 422 naming the problem; nothing is kept."""
    package = make_zip([("cmi5.xml", cmi5_xml()), ("index.html", "x")])
    path = "/api/content/packages/GVMN2"
    assert client.post(path, content=package).status_code == 401
    wrong = client.post(path, content=package, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    bad = client.post(
        path,
        content=make_zip([("cmi5.xml", cmi5_xml()), ("../../evil", "x")]),
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert bad.status_code == 422 and "zip slip" in bad.json()["detail"]
    listed = client.get("/api/content/packages", params={"module": "gvmn-2"}).json()
    assert [p["source"] for p in listed] == ["demo"]
    multipart = client.post(
        path,
        files={"file": ("course.zip", package, "application/zip")},
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
    )
    assert multipart.status_code == 201, multipart.text
    assert client.get("/api/content/packages", params={"module": "GVMN2"}).json()[0]["current"]


def test_files_are_served_sandboxed_with_their_media_types(client: TestClient) -> None:
    """Correct Content-Type, nosniff and a sandboxing CSP; no way out of the folder."""
    au = launch(client)
    base = urlsplit(au.url).path.rsplit("/", 1)[0]
    page = client.get(base + "/index.html")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    csp = page.headers["content-security-policy"]
    assert "sandbox allow-scripts" in csp and "allow-same-origin" not in csp
    assert "object-src 'none'" in csp and "connect-src 'self'" in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert client.get(base + "/au.js").headers["content-type"].startswith("text/javascript")
    assert client.get(base + "/style.css").headers["content-type"].startswith("text/css")
    assert client.get(base + "/cmi5.xml").headers["content-type"] == "application/xml"
    assert client.get(base + "/%2e%2e/%2e%2e/gateway.db").status_code == 404
    assert client.get(base + "/missing.html").status_code == 404
    assert client.get("/content/files/" + "0" * 32 + "/index.html").status_code == 404
    assert client.get("/content").status_code == 200
