"""The deep-linking picker inside an LMS iframe, in Debian's headless Chromium.

The course page is served by the test platform on ``localhost`` and frames the tool on
``127.0.0.1`` (another site), with third-party cookies blocked. The login puts the state
in LTI Platform Storage (the course page answers ``lti.put_data`` / ``lti.get_data``);
the teacher searches without diacritics, picks a module, and the platform receives and
verifies the signed Deep Linking response.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator

import pytest

from tests.e2e.browser import CHROMEDRIVER, CHROMIUM, CHROMIUM_FLAGS
from tests.e2e.lti_platform import TestPlatform, ToolServer, run_tool, serve

pytestmark = pytest.mark.e2e


def chromium_driver(user_data_dir: str, block_all_cookies: bool = False):  # type: ignore[no-untyped-def]
    """A selenium driver on Debian's chromium with third-party (or all) cookies blocked."""
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={user_data_dir}")
    prefs: dict[str, object] = {
        "profile.block_third_party_cookies": True,
        "profile.cookie_controls_mode": 1,
    }
    if block_all_cookies:
        prefs["profile.default_content_setting_values.cookies"] = 2
    options.add_experimental_option("prefs", prefs)
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)


@pytest.fixture(params=["third-party-cookies-blocked", "all-cookies-blocked"])
def driver(request: pytest.FixtureRequest) -> Iterator[object]:
    """Chromium, or a skip where it is not installed (``.ci/run`` installs it)."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        pytest.skip("Debian's chromium and chromium-driver are not installed")
    profile = tempfile.mkdtemp(prefix="chromium-")
    browser = chromium_driver(profile, block_all_cookies=request.param == "all-cookies-blocked")
    browser.cookie_mode = request.param
    try:
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def platform() -> Iterator[TestPlatform]:
    """The test platform on ``localhost`` (a different site from the tool's 127.0.0.1)."""
    lms = TestPlatform(host="localhost")
    with serve(lms.app, lms.port):
        yield lms


@pytest.fixture
def tool(database_url: str, platform: TestPlatform) -> Iterator[ToolServer]:
    """The gateway with the platform registered."""
    with run_tool(database_url) as server:
        server.register(platform)
        yield server


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_picker_in_a_cross_site_iframe_without_third_party_cookies(
    driver: object, tool: ToolServer, platform: TestPlatform
) -> None:
    """Deep Linking 2.0 in an iframe; LTI Platform Storage keeps the state instead of cookies."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    browser = driver  # typed loosely: selenium is optional locally
    wait = WebDriverWait(browser, 30)  # type: ignore[arg-type]
    browser.get(f"{platform.url}/course?message=deep_link")  # type: ignore[attr-defined]
    wait.until(ec.frame_to_be_available_and_switch_to_it("tool"))
    search = wait.until(ec.presence_of_element_located((By.NAME, "q")))
    assert "Chọn mô đun BDTX" in browser.page_source  # type: ignore[attr-defined]
    search.send_keys("ky luat")
    search.submit()
    wait.until(ec.staleness_of(search))  # the unfiltered list had GVMN 25 too
    choice = wait.until(ec.element_to_be_clickable((By.ID, "m-GVMN25")))
    assert "GVMN 2<" not in browser.page_source  # type: ignore[attr-defined]
    choice.click()
    browser.find_element(By.ID, "add").click()  # type: ignore[attr-defined]
    result = wait.until(ec.presence_of_element_located((By.ID, "result")))
    assert result.text.startswith("received 1: GVMN 25")
    browser.switch_to.default_content()  # type: ignore[attr-defined]
    log = browser.execute_script("return window.storageLog")  # type: ignore[attr-defined]
    if browser.cookie_mode == "all-cookies-blocked":  # type: ignore[attr-defined]
        # No cookie at all: the state came back from Platform Storage.
        assert log == ["lti.put_data", "lti.get_data"]
    else:
        # A partitioned (CHIPS) cookie survives third-party blocking; storage was offered.
        assert log[0] == "lti.put_data"
    [item] = platform.received.deep_link_items
    assert item["custom"]["module_code"] == "GVMN25"
    assert tool.count("lti_launch") == 1
