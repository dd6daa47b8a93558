"""Screenshots of the LTI tool's own pages for ``docs/LMS_SETUP.md`` (not a test).

Runs the test platform and the gateway on loopback over a temporary SQLite database and
drives Debian's headless Chromium through the pages an LMS admin and a teacher see:

    .venv/bin/python -m tests.e2e.lti_screenshots docs/images
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from gateway.migrate import upgrade
from tests.e2e.lti_platform import TestPlatform, run_tool, serve
from tests.e2e.test_lti_browser import chromium_driver


def main(target: Path) -> int:
    """Write ``lti_*.png`` into ``target``."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    target.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="lti-shots-"))
    url = f"sqlite:///{folder}/gateway.db"
    upgrade(url)
    lms = TestPlatform(host="localhost")
    driver = chromium_driver(str(folder / "profile"))
    wait = WebDriverWait(driver, 20)
    try:
        with serve(lms.app, lms.port), run_tool(url, auto_activate=True) as tool:
            driver.set_window_size(1100, 1000)
            driver.get(tool.url + "/lti/setup")
            driver.save_screenshot(str(target / "lti_setup.png"))

            driver.set_window_size(900, 420)
            driver.get(
                tool.url
                + "/lti/register?openid_configuration="
                + f"{lms.url}/.well-known/openid-configuration"
                + f"&registration_token={lms.registration_token}"
            )
            wait.until(ec.presence_of_element_located((By.ID, "close")))
            driver.save_screenshot(str(target / "lti_register_done.png"))

            driver.set_window_size(1100, 820)
            driver.get(f"{lms.url}/course?message=deep_link")
            wait.until(ec.frame_to_be_available_and_switch_to_it("tool"))
            search = wait.until(ec.presence_of_element_located((By.NAME, "q")))
            search.send_keys("ky luat")
            search.submit()
            wait.until(ec.staleness_of(search))
            wait.until(ec.element_to_be_clickable((By.ID, "m-GVMN25"))).click()
            driver.switch_to.default_content()
            driver.save_screenshot(str(target / "lti_picker.png"))

            driver.get(f"{lms.url}/course?message=resource:link-1")
            wait.until(ec.frame_to_be_available_and_switch_to_it("tool"))
            wait.until(ec.presence_of_element_located((By.TAG_NAME, "h1")))
            driver.switch_to.default_content()
            time.sleep(0.3)
            driver.save_screenshot(str(target / "lti_module.png"))

            driver.set_window_size(900, 360)
            driver.get(tool.url + "/lti/deep-link?lt=expired")
            driver.save_screenshot(str(target / "lti_error.png"))
    finally:
        driver.quit()
        shutil.rmtree(folder, ignore_errors=True)
    for path in sorted(target.glob("lti_*.png")):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images")))
