"""``gateway content …`` run as an operator runs it (a real process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.integration.test_content_packages import cmi5_xml, make_zip

GATEWAY = str(Path(sys.executable).parent / "gateway")


def _run(database_url: str, content: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GATEWAY_DATABASE_URL": database_url, "GATEWAY_CONTENT_DIR": str(content)}
    return subprocess.run([GATEWAY, *args], env=env, capture_output=True, text=True, timeout=120)


def test_upload_list_demo_and_abandon(database_url: str, tmp_path: Path) -> None:
    """Upload a package, refuse a bad one (exit 2, nothing kept), install the demos."""
    content = tmp_path / "content"
    good = tmp_path / "course.zip"
    good.write_bytes(make_zip([("cmi5.xml", cmi5_xml()), ("index.html", "x")]))
    bad = tmp_path / "bad.zip"
    bad.write_bytes(make_zip([("cmi5.xml", cmi5_xml()), ("index.html", "x"), ("../x", "x")]))

    demo = _run(database_url, content, "content", "install-demo")
    assert demo.returncode == 0, demo.stderr
    assert "12" in demo.stdout
    folders = set(content.iterdir())

    refused = _run(database_url, content, "content", "upload", str(bad), "--module", "gvpt-15")
    assert refused.returncode == 2 and "zip slip" in refused.stderr
    assert set(content.iterdir()) == folders

    uploaded = _run(database_url, content, "content", "upload", str(good), "--module", "GVPT 15")
    assert uploaded.returncode == 0, uploaded.stderr
    assert "GVPT15" in uploaded.stdout and "1 AU" in uploaded.stdout

    listed = _run(database_url, content, "content", "list")
    lines = [line for line in listed.stdout.splitlines() if "GVPT15" in line]
    assert len(lines) == 2 and lines[0].startswith("* ") and "upload" in lines[0]

    again = _run(database_url, content, "content", "install-demo")
    assert "0" in again.stdout, "modules with content keep it"

    stale = _run(database_url, content, "content", "abandon-stale")
    assert stale.returncode == 0 and "abandoned: 0" in stale.stdout
