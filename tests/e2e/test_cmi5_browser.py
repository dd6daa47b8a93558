"""cmi5 launches in Debian's headless Chromium against a real ``gateway serve``.

1. A built-in demo module: the learner launches it, answers the quiz and finishes; the
   LRS then holds launched, initialized, passed, completed, terminated and satisfied with
   the cmi5 context, and the fetch URL refuses a second use (cmi5 8.2.3.1).
2. A course this project did not write the runtime of (``THIRD_PARTY``): uploaded through
   the API, a block with two AUs in a sub-folder, an AU runtime of its own (async/await,
   ``crypto.randomUUID``, cmi5-allowed statements), ``OwnWindow``, launch parameters,
   objectives and an extension element. Both AUs meet moveOn, so the block and the course
   are satisfied.
3. Optional: every zip in ``$GATEWAY_TEST_CMI5_PACKAGES`` (e.g. the ADL CATAPULT course
   examples) is uploaded and launched; the AU must initialize with the LMS's launch data.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import basic_auth
from tests.e2e.browser import CHROMEDRIVER, CHROMIUM, CHROMIUM_FLAGS
from tests.e2e.conftest import LiveServer, start_server

pytestmark = pytest.mark.e2e

ADMIN_TOKEN = "content-admin-token-for-tests"
CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
SESSION_ID = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
VERBS = {
    "launched": "http://adlnet.gov/expapi/verbs/launched",
    "initialized": "http://adlnet.gov/expapi/verbs/initialized",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "terminated": "http://adlnet.gov/expapi/verbs/terminated",
    "satisfied": "https://w3id.org/xapi/adl/verbs/satisfied",
}
WAIT = 30


@dataclass
class Browser:
    """A selenium driver and the helpers the tests need."""

    driver: Any

    def wait_for(self, condition: Any, timeout: float = WAIT) -> Any:
        from selenium.webdriver.support.ui import WebDriverWait

        return WebDriverWait(self.driver, timeout).until(condition)

    def wait_state(self, *states: str) -> str:
        """Wait until ``#status[data-state]`` is one of ``states``; fail fast on error."""

        def reached(driver: Any) -> str | bool:
            from selenium.common.exceptions import NoSuchElementException

            try:
                element = driver.find_element("id", "status")
            except NoSuchElementException:
                return False
            state = element.get_attribute("data-state")
            if state == "error":
                raise AssertionError(f"the AU reported an error: {element.text}")
            return state if state in states else False

        result: str = self.wait_for(reached)
        return result

    def launch(self, server: LiveServer, module: str, learner: str, au: str | None = None) -> str:
        """Use the demo launch form; returns the AU launch URL the browser landed on."""
        self.driver.get(f"{server.url}/content/launch/{module}")
        self.driver.find_element("id", "learner").send_keys(learner)
        if au is not None:
            self.driver.find_element("css selector", f'input[name="au"][value="{au}"]').click()
        self.driver.find_element("id", "launch").click()
        self.wait_for(lambda d: "/content/files/" in d.current_url)
        url: str = self.driver.current_url
        return url


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Chromium with a fresh profile, or a skip where it is not installed."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="chromium-cmi5-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    try:
        yield Browser(driver)
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def server(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LiveServer]:
    """``gateway serve`` with its own content folder and the demo courses installed."""
    monkeypatch.setenv("GATEWAY_CONTENT_DIR", str(tmp_path / "content"))
    monkeypatch.setenv("GATEWAY_CONTENT_DEMO_AT_STARTUP", "true")
    monkeypatch.setenv("GATEWAY_CONTENT_ADMIN_TOKEN", ADMIN_TOKEN)
    live = start_server(database_url, tmp_path / "server.log")
    yield live
    live.process.terminate()
    live.process.wait(timeout=10)


def lrs_statements(server: LiveServer, registration: str) -> list[dict[str, Any]]:
    """Every statement of the registration, oldest first."""
    response = httpx.get(
        server.xapi + "statements",
        params={"registration": registration, "ascending": "true", "limit": "100"},
        headers={
            "Authorization": basic_auth(server.key, server.secret),
            "X-Experience-API-Version": "1.0.3",
        },
    )
    assert response.status_code == 200, response.text
    statements: list[dict[str, Any]] = response.json()["statements"]
    return statements


def assert_cmi5_context(statement: dict[str, Any], registration: str) -> str:
    """The cmi5 context of a cmi5 defined statement (9.6); returns its session id."""
    context = statement["context"]
    assert context["registration"] == registration
    categories = [a["id"] for a in context["contextActivities"]["category"]]
    assert CMI5_CATEGORY in categories
    session_id: str = context["extensions"][SESSION_ID]
    assert session_id
    return session_id


def launch_parameters(url: str) -> dict[str, str]:
    """The cmi5 launch parameters of an AU URL (8.1)."""
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def test_demo_module_launch_quiz_and_statements(server: LiveServer, browser: Browser) -> None:
    """cmi5 8.1, 8.2, 9.3, 9.6, 10.0: a demo AU launched, passed and finished in Chromium."""
    launch_url = browser.launch(server, "GVPT15", "Nguyễn Thị Thử")
    parameters = launch_parameters(launch_url)
    assert set(parameters) >= {"endpoint", "fetch", "actor", "registration", "activityId"}
    assert json.loads(parameters["actor"])["account"]["name"] == "Nguyễn Thị Thử"
    registration = parameters["registration"]

    browser.wait_state("ready")
    for fieldset in browser.driver.find_elements("css selector", "fieldset[data-correct]"):
        correct = fieldset.get_attribute("data-correct")
        fieldset.find_element("css selector", f'input[value="{correct}"]').click()
    browser.driver.find_element("id", "submit").click()
    assert browser.wait_state("passed", "failed") == "passed"
    browser.driver.find_element("id", "finish").click()
    browser.wait_for(lambda d: "/done" in d.current_url)
    browser.wait_for(lambda d: d.find_elements("id", "satisfied"))

    statements = lrs_statements(server, registration)
    by_verb = {s["verb"]["id"]: s for s in statements}
    for verb in VERBS.values():
        assert verb in by_verb, f"missing {verb}: {[s['verb']['id'] for s in statements]}"
    session_ids = {assert_cmi5_context(by_verb[verb], registration) for verb in VERBS.values()}
    assert len(session_ids) == 1, "one launch session, one session id"
    for verb in ("initialized", "passed", "completed", "terminated"):
        assert by_verb[VERBS[verb]]["object"]["id"] == parameters["activityId"]
    assert by_verb[VERBS["passed"]]["result"]["success"] is True
    satisfied = by_verb[VERBS["satisfied"]]
    assert satisfied["object"]["definition"]["type"] == (
        "https://w3id.org/xapi/cmi5/activitytype/course"
    )
    order = [s["verb"]["id"] for s in statements]
    assert order.index(VERBS["launched"]) < order.index(VERBS["initialized"])
    assert order.index(VERBS["passed"]) < order.index(VERBS["satisfied"])

    second = httpx.post(parameters["fetch"])
    assert second.status_code == 200
    assert second.headers["content-type"].startswith("application/json")
    assert second.json()["error-code"] == "1"
    assert "auth-token" not in second.json()

    page = httpx.get(launch_url)
    assert "sandbox" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"


# --- a course written like a third party's ---------------------------------------------------

THIRD_PARTY_COURSE = "https://content.example.org/courses/school-safety-101"
THIRD_PARTY: dict[str, str] = {
    "cmi5.xml": f"""<?xml version="1.0" encoding="UTF-8"?>
<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"
                 xmlns:acme="https://example.org/acme/cmi5-extensions">
  <course id="{THIRD_PARTY_COURSE}">
    <title><langstring lang="en-US">School safety basics</langstring></title>
    <description><langstring lang="en-US">Two lessons from an outside publisher.</langstring>
    </description>
    <acme:publisher>Example Publishing</acme:publisher>
  </course>
  <objectives>
    <objective id="{THIRD_PARTY_COURSE}/objectives/evacuation">
      <title><langstring lang="en-US">Evacuation</langstring></title>
      <description><langstring lang="en-US">Knows the evacuation plan.</langstring></description>
    </objective>
  </objectives>
  <block id="{THIRD_PARTY_COURSE}/block/core">
    <title><langstring lang="en-US">Core lessons</langstring></title>
    <description><langstring lang="en-US">Read, then check.</langstring></description>
    <objectives><objective idref="{THIRD_PARTY_COURSE}/objectives/evacuation"/></objectives>
    <au id="{THIRD_PARTY_COURSE}/lesson-1" moveOn="Completed" launchMethod="OwnWindow">
      <title><langstring lang="en-US">Lesson 1: the plan</langstring></title>
      <description><langstring lang="en-US">Reading.</langstring></description>
      <url>lessons/player.html?lesson=plan&amp;theme=plain</url>
      <launchParameters>{{"lesson":"plan"}}</launchParameters>
    </au>
    <au id="{THIRD_PARTY_COURSE}/check" moveOn="Passed" masteryScore="0.5"
        activityType="http://adlnet.gov/expapi/activities/assessment" acme:weight="2">
      <title><langstring lang="en-US">Check</langstring></title>
      <description><langstring lang="en-US">One question.</langstring></description>
      <url>lessons/player.html?lesson=check</url>
    </au>
  </block>
</courseStructure>
""",
    "lessons/player.html": """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Player</title>
<script src="js/runtime.js"></script></head>
<body><h1 id="title">Loading</h1><p id="status" data-state="starting">starting</p>
<div id="reading" hidden><p>Leave by the nearest exit.</p>
<button id="done-reading">I have read this</button></div>
<div id="check" hidden><p>Where do you go?</p>
<label><input type="radio" name="a" value="exit"> The nearest exit</label>
<label><input type="radio" name="a" value="lift"> The lift</label>
<button id="answer">Answer</button></div>
<button id="exit">Exit</button></body></html>
""",
    "lessons/js/runtime.js": """
// A publisher's own cmi5 runtime: fetch + async/await, no library.
const q = new URLSearchParams(location.search);
const cfg = Object.fromEntries(["endpoint", "fetch", "actor", "registration", "activityId"]
  .map((k) => [k, q.get(k)]));
let token, launchData, t0 = Date.now(), closed = false;
const show = (s, text) => { const e = document.getElementById("status");
  e.dataset.state = s; e.textContent = text || s; };
async function lrs(method, path, params, body) {
  const u = new URL(path, cfg.endpoint);
  for (const [k, v] of Object.entries(params || {})) u.searchParams.set(k, v);
  const r = await fetch(u, { method, body: body && JSON.stringify(body), headers: {
    Authorization: token, "X-Experience-API-Version": "1.0.3",
    ...(body ? { "Content-Type": "application/json" } : {}) } });
  if (!r.ok) throw new Error(method + " " + path + " " + r.status + " " + await r.text());
  return r;
}
function stmt(verb, extra = {}) {
  const context = structuredClone(launchData.contextTemplate);
  context.registration = cfg.registration;
  const cmi5 = "https://w3id.org/xapi/cmi5/context/categories/cmi5";
  const cats = extra.cmi5 === false ? [] : [{ id: cmi5 }];
  if (extra.result && ("success" in extra.result || "completion" in extra.result))
    cats.push({ id: "https://w3id.org/xapi/cmi5/context/categories/moveon" });
  if (cats.length) context.contextActivities.category = cats;
  return { id: crypto.randomUUID(), timestamp: new Date().toISOString(),
    actor: JSON.parse(cfg.actor), verb: { id: verb },
    object: { id: extra.object || cfg.activityId }, context, result: extra.result };
}
const V = (v) => "http://adlnet.gov/expapi/verbs/" + v;
const dur = () => "PT" + ((Date.now() - t0) / 1000).toFixed(1) + "S";
async function main() {
  const auth = await (await fetch(cfg.fetch, { method: "POST" })).json();
  if (!auth["auth-token"]) throw new Error(auth["error-text"]);
  token = "Basic " + auth["auth-token"];
  launchData = await (await lrs("GET", "activities/state", { stateId: "LMS.LaunchData",
    activityId: cfg.activityId, agent: cfg.actor, registration: cfg.registration })).json();
  await lrs("POST", "statements", {}, stmt(V("initialized")));
  await lrs("POST", "statements", {}, stmt(V("experienced"), { cmi5: false,
    object: cfg.activityId + "/page/1",
    result: { extensions: { "https://w3id.org/xapi/cmi5/result/extensions/progress": 50 } } }));
  const lesson = q.get("lesson");
  document.getElementById("title").textContent = lesson;
  document.getElementById(lesson === "plan" ? "reading" : "check").hidden = false;
  show("ready", "ready: " + launchData.launchParameters);
}
document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("done-reading").onclick = async () => {
    await lrs("POST", "statements", {}, stmt(V("completed"),
      { result: { completion: true, duration: dur() } }));
    show("completed");
  };
  document.getElementById("answer").onclick = async () => {
    const right = document.querySelector("input[value=exit]").checked;
    const scaled = right ? 1 : 0;
    const verb = scaled >= launchData.masteryScore ? "passed" : "failed";
    const s = stmt(V(verb), { result: { success: verb === "passed", duration: dur(),
      score: { scaled } } });
    s.context.extensions["https://w3id.org/xapi/cmi5/context/extensions/masteryscore"] =
      launchData.masteryScore;
    await lrs("POST", "statements", {}, s);
    show(verb);
  };
  document.getElementById("exit").onclick = async () => {
    closed = true;
    await lrs("POST", "statements", {}, stmt(V("terminated"), { result: { duration: dur() } }));
    show("terminated");
    if (launchData.returnURL) location.assign(launchData.returnURL);
  };
  main().catch((e) => show("error", String(e)));
});
""",
}


def third_party_zip() -> bytes:
    """The third-party course as a zip, with folder entries like desktop zip tools write."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("lessons/", b"")
        archive.writestr("lessons/js/", b"")
        for name, text in THIRD_PARTY.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def upload(server: LiveServer, module: str, content: bytes, filename: str) -> dict[str, Any]:
    """Upload a package through the API."""
    response = httpx.post(
        f"{server.url}/api/content/packages/{module}",
        params={"filename": filename},
        content=content,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/zip"},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_third_party_course_with_a_block_of_two_aus(server: LiveServer, browser: Browser) -> None:
    """cmi5 9.3.9: both AUs meet moveOn, so the LMS issues satisfied for the block and course."""
    package = upload(server, "QLPT 18", third_party_zip(), "school-safety.zip")
    assert package["kind"] == "cmi5" and package["assignable_units"] == 2

    browser.launch(server, "QLPT18", "Trần Văn Ngoài", au=f"{THIRD_PARTY_COURSE}/lesson-1")
    assert browser.wait_state("ready")
    assert '{"lesson":"plan"}' in browser.driver.find_element("id", "status").text
    browser.driver.find_element("id", "done-reading").click()
    browser.wait_state("completed")
    browser.driver.find_element("id", "exit").click()
    browser.wait_for(lambda d: "/done" in d.current_url)
    assert not browser.driver.find_elements("id", "satisfied")

    url = browser.launch(server, "QLPT18", "Trần Văn Ngoài", au=f"{THIRD_PARTY_COURSE}/check")
    registration = launch_parameters(url)["registration"]
    browser.wait_state("ready")
    browser.driver.find_element("css selector", "input[value=exit]").click()
    browser.driver.find_element("id", "answer").click()
    assert browser.wait_state("passed", "failed") == "passed"
    browser.driver.find_element("id", "exit").click()
    browser.wait_for(lambda d: d.find_elements("id", "satisfied"))

    statements = lrs_statements(server, registration)
    satisfied = [s for s in statements if s["verb"]["id"] == VERBS["satisfied"]]
    kinds = sorted(s["object"]["definition"]["type"].rsplit("/", 1)[-1] for s in satisfied)
    assert kinds == ["block", "course"]
    groupings = {a["id"] for s in satisfied for a in s["context"]["contextActivities"]["grouping"]}
    assert {THIRD_PARTY_COURSE, f"{THIRD_PARTY_COURSE}/block/core"} <= groupings
    experienced = [s for s in statements if s["verb"]["id"].endswith("/experienced")]
    assert len(experienced) == 2, "cmi5 allowed statements of both sessions are kept"
    launched = [s for s in statements if s["verb"]["id"] == VERBS["launched"]]
    assert len({assert_cmi5_context(s, registration) for s in launched}) == 2


# --- optional: real third-party packages ------------------------------------------------------


def _external_packages() -> list[Path]:
    folder = os.environ.get("GATEWAY_TEST_CMI5_PACKAGES")
    return sorted(Path(folder).glob("*.zip")) if folder else []


@pytest.mark.skipif(not _external_packages(), reason="GATEWAY_TEST_CMI5_PACKAGES not set")
@pytest.mark.parametrize("package_path", _external_packages(), ids=lambda p: p.name)
def test_external_cmi5_package_initializes(
    server: LiveServer, browser: Browser, package_path: Path, tmp_path: Path
) -> None:
    """A cmi5 course from elsewhere uploads, launches, initializes (9.3.2) and, where it
    has an Exit control, terminates (9.3.8) without any statement refused."""
    package = upload(server, "GVMN 2", package_path.read_bytes(), package_path.name)
    assert package["kind"] == "cmi5"
    url = browser.launch(server, "GVMN2", "Người Học Ngoài")
    registration = launch_parameters(url)["registration"]

    def initialized(_driver: Any) -> bool:
        verbs = [s["verb"]["id"] for s in lrs_statements(server, registration)]
        return VERBS["initialized"] in verbs

    browser.wait_for(initialized, timeout=60)
    # The CATAPULT examples end the session from an "Exit" control (terminated, 9.3.8).
    exits = browser.driver.find_elements("xpath", "//*[normalize-space(text())='Exit']")
    if exits:
        exits[0].click()

        def terminated(_driver: Any) -> bool:
            verbs = [s["verb"]["id"] for s in lrs_statements(server, registration)]
            return VERBS["terminated"] in verbs

        browser.wait_for(terminated, timeout=60)
    errors = [
        entry["message"]
        for entry in browser.driver.get_log("browser")
        if entry["level"] == "SEVERE" and "Content Security Policy" in entry["message"]
    ]
    assert not errors, errors
    log = (tmp_path / "server.log").read_text(errors="replace")
    refused = [line for line in log.splitlines() if "/statements" in line and '" 403' in line]
    assert not refused, refused
