"""Response models of the catalog API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from gateway.catalog.models import CatalogModule
from gateway.catalog.service import ModuleHistoryEntry, ReleaseSummary


class ModuleOut(BaseModel):
    """A catalog module as the API shows it."""

    model_config = ConfigDict(extra="forbid")

    code: str
    key: str
    title: str
    levels: list[str]
    audience: str
    periods: int
    block: str
    description: str
    activity_id: str
    active: bool

    @classmethod
    def from_module(cls, module: CatalogModule) -> ModuleOut:
        """Build from a stored module."""
        return cls(
            code=module.code.display,
            key=module.key,
            title=module.title,
            levels=[level.value for level in module.level_set],
            audience=module.audience,
            periods=module.periods,
            block=module.block,
            description=module.description,
            activity_id=module.activity_id,
            active=module.active,
        )


class ModuleVersionOut(BaseModel):
    """One immutable version of a module; credits reference ``id``."""

    model_config = ConfigDict(extra="forbid")

    id: int
    release: int
    release_label: str
    change: str
    title: str
    levels: list[str]
    audience: str
    periods: int
    block: str
    removed: bool

    @classmethod
    def from_entry(cls, entry: ModuleHistoryEntry) -> ModuleVersionOut:
        """Build from a history entry."""
        version = entry.version
        return cls(
            id=version.id,
            release=entry.release.number,
            release_label=entry.release.label,
            change=entry.change,
            title=version.title,
            levels=[part for part in version.levels.split(",") if part],
            audience=version.audience,
            periods=version.periods,
            block=version.block,
            removed=version.removed,
        )


class ModuleDetailOut(ModuleOut):
    """A module with its full history."""

    versions: list[ModuleVersionOut]


class ModuleListOut(BaseModel):
    """A filtered list of modules."""

    model_config = ConfigDict(extra="forbid")

    count: int
    modules: list[ModuleOut]


class ReleaseOut(BaseModel):
    """A catalog release and what it changed."""

    model_config = ConfigDict(extra="forbid")

    number: int
    label: str
    created: str
    source: str | None
    note: str | None
    added: int
    changed: int
    removed: int

    @classmethod
    def from_summary(cls, summary: ReleaseSummary) -> ReleaseOut:
        """Build from a release summary."""
        release = summary.release
        return cls(
            number=release.number,
            label=release.label,
            created=release.created,
            source=release.source,
            note=release.note,
            added=summary.added,
            changed=summary.changed,
            removed=summary.removed,
        )
