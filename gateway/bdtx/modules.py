"""What the ledger needs from the catalog: IRIs to modules, versions in force, rules.

Loaded once per batch (a catalog holds a few dozen modules per list). The version a fact
is counted under is the module's latest version whose release was created at or before
the statement was *stored* (the LRS clock, not the client's), so a replay long after a
new catalog release still credits what was in force at the time. A statement stored
before the gateway had any release counts under the module's first version.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.bdtx.models import RULE_XAPI, ActivityMapping, ModuleRule
from gateway.bdtx.years import utc_text
from gateway.catalog.models import CatalogModule, CatalogModuleVersion, CatalogRelease


@dataclass(frozen=True)
class VersionInfo:
    """A module version as a credit references it."""

    id: int
    module_key: str
    release_number: int
    release_created: str
    title: str
    periods: int
    block: str
    removed: bool


@dataclass
class ModuleIndex:
    """Activity IRIs, versions and completion rules of every catalog module."""

    by_activity: dict[str, str] = field(default_factory=dict)
    versions: dict[str, list[VersionInfo]] = field(default_factory=dict)
    by_version_id: dict[int, VersionInfo] = field(default_factory=dict)
    rules: dict[str, tuple[str, float | None]] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> ModuleIndex:
        """Read the catalog, the admin mappings and the module rules."""
        index = cls()
        for key, activity_id in session.execute(
            select(CatalogModule.key, CatalogModule.activity_id)
        ):
            index.by_activity[activity_id] = key
        for activity_id, key in session.execute(
            select(ActivityMapping.activity_id, ActivityMapping.module_key)
        ):
            # The catalog's own IRI wins: a mapping cannot steal a module's IRI.
            index.by_activity.setdefault(activity_id, key)
        grouped: dict[str, list[VersionInfo]] = defaultdict(list)
        rows = session.execute(
            select(CatalogModuleVersion, CatalogRelease.number, CatalogRelease.created)
            .join(CatalogRelease, CatalogRelease.id == CatalogModuleVersion.release_id)
            .order_by(CatalogRelease.number)
        )
        for version, number, created in rows:
            info = VersionInfo(
                id=version.id,
                module_key=version.module_key,
                release_number=number,
                release_created=created,
                title=version.title,
                periods=version.periods,
                block=version.block,
                removed=version.removed,
            )
            grouped[version.module_key].append(info)
            index.by_version_id[info.id] = info
        index.versions = dict(grouped)
        for rule in session.scalars(select(ModuleRule)):
            index.rules[rule.module_key] = (rule.rule, rule.threshold)
        return index

    def module_of(self, activity_id: str) -> str | None:
        """The module key an activity IRI counts for."""
        return self.by_activity.get(activity_id)

    def version_at(self, module_key: str, stored: datetime) -> VersionInfo | None:
        """The version in force when a statement was stored; None if the module was removed."""
        versions = self.versions.get(module_key)
        if not versions:
            return None
        # Releases record whole seconds; compare at that precision.
        moment = utc_text(stored)[:19]
        chosen = versions[0]
        for version in versions:
            if version.release_created[:19] <= moment:
                chosen = version
        return None if chosen.removed else chosen

    def rule_of(self, module_key: str, default_threshold: float) -> tuple[str, float]:
        """The module's rule and pass threshold."""
        rule, threshold = self.rules.get(module_key, (RULE_XAPI, None))
        return rule, default_threshold if threshold is None else threshold
