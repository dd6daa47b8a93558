"""Use cases of module content: install a package for a module, find it, serve its files.

``install_package`` is the one way a package gets in (upload API, CLI, demo content): it
stages and checks the archive (``packages``), then, in one transaction, marks the
module's earlier package as no longer current, stores the new row and renames the
staging folder into place. The folder is renamed before the commit: a crash in between
leaves an unreferenced folder (never served), never a row without its files. If the
commit fails, the folder is removed again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.catalog import service
from gateway.catalog.cmi5.structure import Course, best_text
from gateway.catalog.codes import parse_module_code
from gateway.catalog.content_errors import ContentNotFoundError, PackageError
from gateway.catalog.content_models import ContentPackage
from gateway.catalog.content_settings import ContentSettings
from gateway.catalog.models import CatalogModule
from gateway.catalog.packages import PackageLimits, StagedPackage, check_entry_name, stage_package
from learning_store.timestamps import to_stored_form, utc_now

# Called inside the install transaction (e.g. to set the module's BDTX rule to cmi5).
InstallHook = Callable[[Session, ContentPackage], None]

_STORAGE_KEY = re.compile(r"[0-9a-f]{32}")

MEDIA_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".xml": "application/xml",
    ".txt": "text/plain; charset=utf-8",
    ".csv": "text/csv; charset=utf-8",
    ".vtt": "text/vtt; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".webm": "video/webm",
    ".ogv": "video/ogg",
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".oga": "audio/ogg",
    ".ogg": "audio/ogg",
    ".wav": "audio/wav",
    ".pdf": "application/pdf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".wasm": "application/wasm",
}
DEFAULT_MEDIA_TYPE = "application/octet-stream"


def media_type_of(path: str) -> str:
    """The Content-Type a packaged file is served with (unknown types download)."""
    return MEDIA_TYPES.get(os.path.splitext(path)[1].lower(), DEFAULT_MEDIA_TYPE)


@dataclass(frozen=True)
class PackageSummary:
    """What lists and pages show of a package."""

    id: int
    module_key: str
    kind: str
    title: str
    publisher_id: str
    storage_key: str
    file_count: int
    unpacked_bytes: int
    sha256: str
    source: str
    created: str
    current: bool
    assignable_units: int

    @classmethod
    def of(cls, row: ContentPackage) -> PackageSummary:
        """The summary of a stored package."""
        units = (
            sum(1 for _ in Course.from_json(row.structure_json).assignable_units())
            if row.kind == "cmi5"
            else 1
        )
        return cls(
            row.id,
            row.module_key,
            row.kind,
            row.title,
            row.publisher_id,
            row.storage_key,
            row.file_count,
            row.unpacked_bytes,
            row.sha256,
            row.source,
            row.created,
            row.current,
            units,
        )


def _structure_json(staged: StagedPackage) -> str:
    if staged.course is not None:
        return staged.course.to_json()
    assert staged.xapi is not None
    return json.dumps(staged.xapi.__dict__, ensure_ascii=False)


def install_package(
    session: Session,
    module_code: str,
    upload: Path,
    filename: str,
    settings: ContentSettings,
    *,
    source: str = "upload",
    on_installed: InstallHook | None = None,
) -> ContentPackage:
    """Check, unpack and store ``upload`` as the module's current package; commits.

    Raises :class:`PackageError` (nothing stored, nothing left on disk) for a bad package
    and :class:`UnknownModuleError` for an unknown module code.
    """
    code = parse_module_code(module_code)
    module = service.get_module(session, code)
    if not module.active:
        raise PackageError(
            f"Mô đun {code.display} đã bị gỡ khỏi danh mục / module {code.display} was removed"
            " from the catalog"
        )
    staged = stage_package(
        upload, settings.dir, PackageLimits.from_settings(settings), settings.allowed_host_set
    )
    final = settings.dir / uuid.uuid4().hex
    try:
        # One current package per module, also when two uploads race (PostgreSQL).
        session.execute(
            select(CatalogModule.id).where(CatalogModule.id == module.id).with_for_update()
        )
        for old in session.scalars(
            select(ContentPackage).where(
                ContentPackage.module_key == module.key, ContentPackage.current.is_(True)
            )
        ):
            old.current = False
        row = ContentPackage(
            storage_key=final.name,
            module_id=module.id,
            module_key=module.key,
            kind=staged.kind,
            title=best_text(staged.title)[:500] or filename[:500],
            publisher_id=staged.publisher_id,
            structure_json=_structure_json(staged),
            filename=filename[:500],
            sha256=staged.sha256,
            size=staged.size,
            unpacked_bytes=staged.unpacked_bytes,
            file_count=staged.file_count,
            source=source,
            created=to_stored_form(utc_now()),
            current=True,
        )
        session.add(row)
        session.flush()
        if on_installed is not None:
            on_installed(session, row)
        os.rename(staged.path, final)
    except BaseException:
        session.rollback()
        staged.discard()
        raise
    try:
        session.commit()
    except BaseException:
        session.rollback()
        shutil.rmtree(final, ignore_errors=True)
        raise
    return row


def current_package(session: Session, module_key: str) -> ContentPackage | None:
    """The package launches of this module use now."""
    return session.scalar(
        select(ContentPackage)
        .where(ContentPackage.module_key == module_key, ContentPackage.current.is_(True))
        .order_by(ContentPackage.id.desc())
        .limit(1)
    )


def list_packages(session: Session, module_key: str | None = None) -> list[ContentPackage]:
    """Packages, newest first, of one module or of all."""
    query = select(ContentPackage).order_by(ContentPackage.id.desc())
    if module_key is not None:
        query = query.where(ContentPackage.module_key == module_key)
    return list(session.scalars(query))


def find_package(session: Session, storage_key: str) -> ContentPackage | None:
    """The package stored under this folder name."""
    if not _STORAGE_KEY.fullmatch(storage_key):
        return None
    return session.scalar(select(ContentPackage).where(ContentPackage.storage_key == storage_key))


def package_file(settings: ContentSettings, package: ContentPackage, path: str) -> Path:
    """The file ``path`` of the package on disk; :class:`ContentNotFoundError` otherwise."""
    try:
        relative = check_entry_name(path)
    except PackageError as exc:
        raise ContentNotFoundError("Không có tệp này / no such file") from exc
    root = (settings.dir / package.storage_key).resolve()
    target = (root / relative).resolve()
    if root not in target.parents or not target.is_file():
        raise ContentNotFoundError("Không có tệp này / no such file")
    return target


def files_url(public_url: str, package: ContentPackage) -> str:
    """The URL under which the package's files are served, ending in ``/``."""
    return f"{public_url.rstrip('/')}/content/files/{package.storage_key}/"
