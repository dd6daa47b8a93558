"""Debian's headless Chromium for the browser tests: where it is and how it is started.

The flags keep Chromium off the network (this machine reaches no outside host) and out
of first-run screens; every test gives it a fresh ``--user-data-dir``.
"""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
)
