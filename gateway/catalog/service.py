"""Read-side use cases of the catalog: find modules, their history and the releases."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, literal, select
from sqlalchemy.orm import Session

from gateway.catalog.codes import ModuleCode, parse_module_code
from gateway.catalog.errors import CatalogError, UnknownModuleError
from gateway.catalog.models import CatalogModule, CatalogModuleVersion, CatalogRelease
from gateway.catalog.terms import Audience, Level
from gateway.catalog.text import search_key


@dataclass(frozen=True)
class ModuleHistoryEntry:
    """One version of a module with the release that made it."""

    version: CatalogModuleVersion
    release: CatalogRelease
    change: str  # "added" | "changed" | "removed" | "restored"


@dataclass(frozen=True)
class ReleaseSummary:
    """A release and how many modules it added, changed and removed."""

    release: CatalogRelease
    added: int
    changed: int
    removed: int


def list_modules(
    session: Session,
    *,
    level: Level | None = None,
    audience: Audience | None = None,
    code: ModuleCode | None = None,
    query: str | None = None,
    include_inactive: bool = False,
) -> list[CatalogModule]:
    """Modules matching every given filter, in catalog order (inactive ones last).

    ``query`` ignores case and Vietnamese diacritics ("ky luat" finds "kỷ luật"); every
    word must occur. A query that is itself a module code finds exactly that module.
    """
    statement = select(CatalogModule)
    if not include_inactive:
        statement = statement.where(CatalogModule.active.is_(True))
    if level is not None:
        wrapped = literal(",") + CatalogModule.levels + literal(",")
        statement = statement.where(wrapped.like(f"%,{level.value},%"))
    if audience is not None:
        statement = statement.where(CatalogModule.audience == audience.value)
    if code is not None:
        statement = statement.where(CatalogModule.key == code.key)
    if query and query.strip():
        statement = statement.where(*_query_conditions(query))
    statement = statement.order_by(
        CatalogModule.active.desc(), CatalogModule.position, CatalogModule.key
    )
    return list(session.scalars(statement))


def get_module(session: Session, code: ModuleCode) -> CatalogModule:
    """The module with this code, active or not; :class:`UnknownModuleError` if none."""
    module = session.scalar(select(CatalogModule).where(CatalogModule.key == code.key))
    if module is None:
        raise UnknownModuleError(
            f"Không có mô đun {code.display} trong danh mục / "
            f"no module {code.display} in the catalog"
        )
    return module


def find_module_by_activity(session: Session, activity_id: str) -> CatalogModule | None:
    """The module whose activity IRI a statement names, if any."""
    return session.scalar(select(CatalogModule).where(CatalogModule.activity_id == activity_id))


def current_version(session: Session, code: ModuleCode) -> CatalogModuleVersion | None:
    """The version a credit earned now must reference; None if the module is not active."""
    statement = (
        select(CatalogModuleVersion)
        .join(CatalogRelease, CatalogRelease.id == CatalogModuleVersion.release_id)
        .where(CatalogModuleVersion.module_key == code.key)
        .order_by(CatalogRelease.number.desc())
        .limit(1)
    )
    version = session.scalar(statement)
    return None if version is None or version.removed else version


def module_history(session: Session, module: CatalogModule) -> list[ModuleHistoryEntry]:
    """Every version of the module, oldest first."""
    rows = session.execute(
        select(CatalogModuleVersion, CatalogRelease)
        .join(CatalogRelease, CatalogRelease.id == CatalogModuleVersion.release_id)
        .where(CatalogModuleVersion.module_id == module.id)
        .order_by(CatalogRelease.number)
    ).all()
    history: list[ModuleHistoryEntry] = []
    previous: CatalogModuleVersion | None = None
    for version, release in rows:
        history.append(ModuleHistoryEntry(version, release, _change_kind(previous, version)))
        previous = version
    return history


def latest_release(session: Session) -> CatalogRelease | None:
    """The release the active catalog comes from."""
    return session.scalar(select(CatalogRelease).order_by(CatalogRelease.number.desc()).limit(1))


def list_releases(session: Session) -> list[ReleaseSummary]:
    """Every release, newest first, with counts of what it did."""
    releases = list(session.scalars(select(CatalogRelease).order_by(CatalogRelease.number)))
    counts = {release.id: {"added": 0, "changed": 0, "removed": 0} for release in releases}
    number_of = {release.id: release.number for release in releases}
    versions = sorted(
        session.scalars(select(CatalogModuleVersion)),
        key=lambda v: (v.module_id, number_of[v.release_id]),
    )
    previous: CatalogModuleVersion | None = None
    for version in versions:
        if previous is not None and previous.module_id != version.module_id:
            previous = None
        kind = _change_kind(previous, version)
        # A module a release brings back is, for that release, an added one.
        counts[version.release_id]["added" if kind == "restored" else kind] += 1
        previous = version
    return [ReleaseSummary(release, **counts[release.id]) for release in reversed(releases)]


def parse_code_filter(text: str | None) -> ModuleCode | None:
    """A code filter from user input; raises :class:`ModuleCodeError` when it is not one."""
    return parse_module_code(text) if text and text.strip() else None


def _query_conditions(query: str) -> list[ColumnElement[bool]]:
    try:
        code = parse_module_code(query)
    except CatalogError:
        code = None
    if code is not None:
        return [CatalogModule.key == code.key]
    return [
        CatalogModule.search_text.like(f"%{_escape_like(word)}%", escape="\\")
        for word in search_key(query).split()
    ]


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _change_kind(previous: CatalogModuleVersion | None, version: CatalogModuleVersion) -> str:
    if version.removed:
        return "removed"
    if previous is None:
        return "added"
    return "restored" if previous.removed else "changed"
