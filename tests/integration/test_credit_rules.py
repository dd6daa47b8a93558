"""Content installs set the ledger's module rule (cmi5 modules count by ``satisfied``)."""

from __future__ import annotations

from pathlib import Path

from gateway.bdtx.models import ModuleRule
from gateway.catalog.content import install_package
from gateway.catalog.content_settings import ContentSettings
from gateway.catalog.seed import ensure_seeded
from gateway.credit_rules import credit_rule_on_install
from gateway.db import Database
from tests.integration.test_content_packages import good_package


def test_installing_cmi5_content_switches_the_module_to_the_cmi5_rule(
    database_url: str, tmp_path: Path
) -> None:
    """Issue 5 mapping rule: "cmi5 `satisfied` for cmi5 modules"."""
    database = Database(database_url)
    try:
        database.transaction(ensure_seeded)
        upload = tmp_path / "course.zip"
        upload.write_bytes(good_package())
        settings = ContentSettings(dir=tmp_path / "content")
        with database.sessions.begin() as session:
            assert session.get(ModuleRule, "GVPT15") is None
            install_package(
                session, "GVPT 15", upload, "course.zip", settings,
                on_installed=credit_rule_on_install,
            )  # fmt: skip
        with database.sessions() as session:
            rule = session.get(ModuleRule, "GVPT15")
            assert rule is not None and rule.rule == "cmi5"
            assert session.get(ModuleRule, "GVMN2") is None
    finally:
        database.dispose()
