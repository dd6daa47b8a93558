"""Ties content installs to the ledger: a module whose content is cmi5 is credited by cmi5.

The catalog cannot know the ledger (layer contract), so the app wires this hook into the
content installer (API, CLI and demo installs alike).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from gateway.bdtx.mappings import set_module_rule
from gateway.catalog.content_models import ContentPackage


def credit_rule_on_install(session: Session, package: ContentPackage) -> None:
    """cmi5 content: the module counts when the course is ``satisfied`` (cmi5 moveOn)."""
    rule = "cmi5" if package.kind == "cmi5" else "xapi"
    set_module_rule(session, package.module_key, rule)
