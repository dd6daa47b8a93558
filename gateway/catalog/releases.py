"""Catalog releases: compare an imported table with the catalog, then apply it as a release.

Nothing is overwritten in place without a trace: applying a table creates release N+1
and one immutable ``CatalogModuleVersion`` per module it adds, changes or removes. A
removed module is made inactive, never deleted, because credits point at its versions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from gateway.catalog.errors import CatalogError
from gateway.catalog.models import CatalogModule, CatalogModuleVersion, CatalogRelease
from gateway.catalog.settings import default_activity_base
from gateway.catalog.tables import ModuleRow
from gateway.catalog.terms import format_levels, levels_from_storage
from gateway.catalog.text import normalize_text, search_key

# Fields a release can change, with the labels people read in a diff.
FIELD_LABELS: dict[str, str] = {
    "title": "Tên mô đun / title",
    "periods": "Số tiết / periods",
    "levels": "Cấp học / levels",
    "audience": "Đối tượng / audience",
    "block": "Khối nội dung / block",
}
MAX_LABEL_LENGTH = 200
# Any fixed number: it names the catalog's advisory lock on PostgreSQL.
_CATALOG_LOCK_KEY = 0x7E3150CA7A


@dataclass(frozen=True)
class FieldChange:
    """One field of one module, before and after the release."""

    field: str
    before: str | int
    after: str | int

    @property
    def label(self) -> str:
        """Bilingual field name."""
        return FIELD_LABELS.get(self.field, self.field)


@dataclass(frozen=True)
class ModuleChange:
    """A module whose values the table changes; ``row`` holds the new values."""

    row: ModuleRow
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class ReleaseDiff:
    """What applying a table would do to the active catalog.

    ``removed`` rows carry the module's current values; their ``row`` is its position.
    ``restored`` names the added modules that an earlier release had removed.
    """

    added: tuple[ModuleRow, ...]
    changed: tuple[ModuleChange, ...]
    removed: tuple[ModuleRow, ...]
    unchanged: tuple[ModuleRow, ...]
    restored: frozenset[str] = frozenset()

    @property
    def is_empty(self) -> bool:
        """True when the table matches the active catalog exactly."""
        return not (self.added or self.changed or self.removed)


@dataclass(frozen=True)
class ReleaseResult:
    """The outcome of :func:`apply_release`; ``release`` is None when nothing changed."""

    diff: ReleaseDiff
    release: CatalogRelease | None


def diff_release(session: Session, rows: Sequence[ModuleRow]) -> ReleaseDiff:
    """Compare a parsed table with the active catalog, field by field."""
    return compare_rows(session.scalars(select(CatalogModule)), rows)


def compare_rows(modules: Iterable[CatalogModule], rows: Sequence[ModuleRow]) -> ReleaseDiff:
    """The diff between stored modules (active or not) and a table; no database needed."""
    by_key = {module.key: module for module in modules}
    added: list[ModuleRow] = []
    changed: list[ModuleChange] = []
    unchanged: list[ModuleRow] = []
    restored: set[str] = set()
    for row in rows:
        module = by_key.get(row.code.key)
        if module is None or not module.active:
            added.append(row)
            if module is not None:
                restored.add(row.code.key)
            continue
        changes = _field_changes(module, row)
        if changes:
            changed.append(ModuleChange(row, changes))
        else:
            unchanged.append(row)
    keys = {row.code.key for row in rows}
    removed = [
        module_row(module)
        for module in sorted(by_key.values(), key=lambda m: (m.position, m.key))
        if module.active and module.key not in keys
    ]
    return ReleaseDiff(
        tuple(added), tuple(changed), tuple(removed), tuple(unchanged), frozenset(restored)
    )


def apply_release(
    session: Session,
    rows: Sequence[ModuleRow],
    label: str,
    source: str | None = None,
    note: str | None = None,
    *,
    activity_base: str | None = None,
) -> ReleaseResult:
    """Make the table the active catalog as a new release; no release when nothing changed.

    The caller commits. On PostgreSQL concurrent imports are serialised by an advisory
    lock held to the end of the transaction; the unique release number catches the rest.
    """
    label = normalize_text(label)
    if not label or len(label) > MAX_LABEL_LENGTH:
        raise CatalogError(
            f"Nhãn phát hành phải có 1 đến {MAX_LABEL_LENGTH} ký tự / "
            f"the release label must have 1 to {MAX_LABEL_LENGTH} characters"
        )
    if not rows:
        raise CatalogError("Bảng không có dòng mô đun nào / the table has no module rows")
    lock_catalog(session)
    diff = diff_release(session, rows)
    if diff.is_empty:
        return ReleaseResult(diff, None)

    last_number = session.scalar(select(func.max(CatalogRelease.number))) or 0
    release = CatalogRelease(
        number=last_number + 1,
        label=label,
        created=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        source=normalize_text(source) if source else None,
        note=note.strip() if note and note.strip() else None,
    )
    session.add(release)
    session.flush()

    base = activity_base or default_activity_base()
    modules = {module.key: module for module in session.scalars(select(CatalogModule))}
    touched = {row.code.key for row in diff.added} | {c.row.code.key for c in diff.changed}
    for position, row in enumerate(rows, start=1):
        module = modules.get(row.code.key)
        if module is None:
            module = CatalogModule(
                key=row.code.key, activity_id=base + row.code.key, description=""
            )
            session.add(module)
        module.position = position
        if row.code.key in touched:
            _set_values(module, row)
            module.active = True
            session.flush()
            session.add(_version(release, module, removed=False))
    for gone in diff.removed:
        module = modules[gone.code.key]
        module.active = False
        session.flush()
        session.add(_version(release, module, removed=True))
    session.flush()
    return ReleaseResult(diff, release)


def module_row(module: CatalogModule) -> ModuleRow:
    """A stored module in the shape of a table row (``row`` is its position)."""
    return ModuleRow(
        row=module.position,
        code=module.code,
        title=module.title,
        periods=module.periods,
        levels=levels_from_storage(module.levels),
        audience=module.audience_term,
        block=module.block,
    )


def current_rows(session: Session) -> list[ModuleRow]:
    """The active catalog as table rows, in the order of the last imported table."""
    modules = session.scalars(
        select(CatalogModule)
        .where(CatalogModule.active.is_(True))
        .order_by(CatalogModule.position, CatalogModule.key)
    )
    return [module_row(module) for module in modules]


def search_text_for(module: CatalogModule) -> str:
    """What the accent-free search looks in: both code forms, title and description."""
    code = module.code
    return search_key(f"{code.key} {code.display} {module.title} {module.description}")


def _row_values(row: ModuleRow) -> dict[str, str | int]:
    return {
        "title": row.title,
        "periods": row.periods,
        "levels": format_levels(row.levels),
        "audience": row.audience.value,
        "block": row.block,
    }


def _field_changes(module: CatalogModule, row: ModuleRow) -> tuple[FieldChange, ...]:
    before: dict[str, str | int] = {
        "title": module.title,
        "periods": module.periods,
        "levels": module.levels,
        "audience": module.audience,
        "block": module.block,
    }
    return tuple(
        FieldChange(field, before[field], after)
        for field, after in _row_values(row).items()
        if before[field] != after
    )


def _set_values(module: CatalogModule, row: ModuleRow) -> None:
    values = _row_values(row)
    module.title = str(values["title"])
    module.periods = int(values["periods"])
    module.levels = str(values["levels"])
    module.audience = str(values["audience"])
    module.block = str(values["block"])
    module.search_text = search_text_for(module)


def _version(
    release: CatalogRelease, module: CatalogModule, *, removed: bool
) -> CatalogModuleVersion:
    return CatalogModuleVersion(
        release_id=release.id,
        module_id=module.id,
        module_key=module.key,
        title=module.title,
        levels=module.levels,
        audience=module.audience,
        periods=module.periods,
        block=module.block,
        removed=removed,
    )


def lock_catalog(session: Session) -> None:
    """Serialise catalog writers; SQLite already admits one writer at a time."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CATALOG_LOCK_KEY})
