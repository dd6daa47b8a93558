"""Content packages: a zip (or a standalone ``cmi5.xml``) checked, unpacked and staged.

An uploaded archive is untrusted. Before a byte is written, every entry is checked:

* names: no absolute paths (``/x``, ``C:x``), no ``..`` (zip slip), no backslashes or
  control characters, no two entries that differ only in case;
* kinds: regular files and folders only; symlinks, devices, FIFOs and encrypted entries
  are refused;
* sizes: the archive, the number of entries, the total unpacked size and each entry's
  compression ratio are capped (zip bombs), and the bytes really written are counted
  again while unpacking, so a header that lies about its size gains nothing.

Then the manifest (``cmi5.xml`` or ``tincan.xml`` at the root) is validated and every AU
URL is resolved: a relative URL must name a file of the package, an absolute one must be
on a host of the allowed list. Only then is the archive unpacked, into a staging folder
beside the final one, which the caller renames into place in one step. On any error the
staging folder is removed: nothing half-written is ever left behind.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import re
import shutil
import stat
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from gateway.catalog.cmi5.structure import MANIFEST as CMI5_MANIFEST
from gateway.catalog.cmi5.structure import Course, parse_course_structure
from gateway.catalog.cmi5.vocabulary import LAUNCH_PARAMETERS
from gateway.catalog.content_errors import PackageError, PackageTooLargeError
from gateway.catalog.content_settings import ContentSettings
from gateway.catalog.packages_xapi import TINCAN_MANIFEST, XapiPackage, parse_tincan

CHUNK = 1024 * 1024
# Entries smaller than this may compress as well as they like (a page of spaces).
RATIO_FREE_BYTES = 1024 * 1024
MAX_NAME_LENGTH = 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_ALLOWED_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
STAGING_PREFIX = ".staging-"


@dataclass(frozen=True)
class PackageLimits:
    """What one package may be; see ``ContentSettings``."""

    max_package_bytes: int
    max_unpacked_bytes: int
    max_files: int
    max_ratio: int

    @classmethod
    def from_settings(cls, settings: ContentSettings) -> PackageLimits:
        """The limits configured for this deployment."""
        return cls(
            settings.max_package_bytes,
            settings.max_unpacked_bytes,
            settings.max_files,
            settings.max_ratio,
        )


@dataclass
class StagedPackage:
    """A checked, unpacked package in its staging folder, not yet in place."""

    path: Path
    kind: str  # "cmi5" | "xapi"
    sha256: str
    size: int
    unpacked_bytes: int
    file_count: int
    course: Course | None = None
    xapi: XapiPackage | None = None
    files: frozenset[str] = field(default_factory=frozenset)

    @property
    def title(self) -> dict[str, str]:
        """The course or activity title by language."""
        if self.course is not None:
            return self.course.title
        assert self.xapi is not None
        return self.xapi.title

    @property
    def publisher_id(self) -> str:
        """The course id (cmi5) or the launchable activity id (xAPI)."""
        if self.course is not None:
            return self.course.id
        assert self.xapi is not None
        return self.xapi.activity_id

    def discard(self) -> None:
        """Remove the staging folder (idempotent)."""
        shutil.rmtree(self.path, ignore_errors=True)


def _size_text(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{size} B"


# --- archive entries --------------------------------------------------------------------------


def _entry_error(name: str, message: str) -> PackageError:
    return PackageError(f"Gói bị từ chối / package rejected: {name!r}: {message}")


def check_entry_name(name: str) -> str:
    """The entry's path inside the package; raises for anything that could escape it."""
    if not name:
        raise _entry_error(name, "tên rỗng / empty name")
    if len(name) > MAX_NAME_LENGTH:
        raise _entry_error(name[:80] + "…", "tên quá dài / name too long")
    if _CONTROL.search(name):
        raise _entry_error(name, "tên chứa ký tự điều khiển / control character in the name")
    if "\\" in name:
        raise _entry_error(name, "tên chứa dấu \\ / backslash in the name (not a portable zip)")
    if name.startswith("/") or _DRIVE.match(name):
        raise _entry_error(name, "đường dẫn tuyệt đối / absolute path")
    parts = name.rstrip("/").split("/")
    if any(part in ("..", ".", "") for part in parts):
        raise _entry_error(name, "đường dẫn thoát khỏi gói (zip slip) / path escapes the package")
    return "/".join(parts)


def check_entries(infos: Iterable[zipfile.ZipInfo], limits: PackageLimits) -> list[zipfile.ZipInfo]:
    """The archive's file entries in order, after every check on names, kinds and sizes."""
    infos = list(infos)
    if len(infos) > limits.max_files:
        raise PackageTooLargeError(
            f"Gói có {len(infos)} mục, tối đa {limits.max_files} / the package has "
            f"{len(infos)} entries, at most {limits.max_files} are allowed"
        )
    files: list[zipfile.ZipInfo] = []
    seen: dict[str, str] = {}
    total = 0
    for info in infos:
        path = check_entry_name(info.filename)
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        if kind == stat.S_IFLNK:
            raise _entry_error(info.filename, "liên kết tượng trưng / symbolic link")
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise _entry_error(info.filename, "không phải tệp thường / not a regular file")
        if info.flag_bits & 0x1:
            raise _entry_error(info.filename, "tệp được mã hóa / encrypted entry")
        folded = path.casefold()
        if folded in seen:
            raise _entry_error(
                info.filename, f"trùng tên với / same name as {seen[folded]!r} (ignoring case)"
            )
        seen[folded] = info.filename
        if info.is_dir():
            continue
        if info.compress_type not in _ALLOWED_METHODS:
            raise _entry_error(info.filename, "kiểu nén không hỗ trợ / unsupported compression")
        if info.file_size > RATIO_FREE_BYTES and info.file_size > limits.max_ratio * max(
            info.compress_size, 1
        ):
            raise PackageTooLargeError(
                f"Gói bị từ chối (nghi zip bomb) / package rejected (zip bomb suspected): "
                f"{info.filename!r} expands {info.file_size // max(info.compress_size, 1)}:1 "
                f"to {_size_text(info.file_size)}; at most {limits.max_ratio}:1"
            )
        total += info.file_size
        if total > limits.max_unpacked_bytes:
            raise PackageTooLargeError(
                f"Gói giải nén lớn hơn {_size_text(limits.max_unpacked_bytes)} / the package "
                f"unpacks to more than {_size_text(limits.max_unpacked_bytes)}"
            )
        files.append(info)
    # A folder entry must not collide with a file path ("a" the file and "a/b").
    names = {check_entry_name(info.filename) for info in files}
    for name in names:
        parent = name.rpartition("/")[0]
        while parent:
            if parent in names:
                raise _entry_error(parent, "vừa là tệp vừa là thư mục / both a file and a folder")
            parent = parent.rpartition("/")[0]
    return files


def _unpack(
    archive: zipfile.ZipFile, files: list[zipfile.ZipInfo], target: Path, limits: PackageLimits
) -> int:
    """Write the files under ``target``; returns the bytes written."""
    root = target.resolve()
    written_total = 0
    for info in files:
        relative = check_entry_name(info.filename)
        destination = (root / relative).resolve()
        if root not in destination.parents:
            raise _entry_error(info.filename, "đường dẫn thoát khỏi gói / path escapes the package")
        destination.parent.mkdir(parents=True, exist_ok=True)
        written = 0
        with archive.open(info) as source, open(destination, "xb") as sink:
            while chunk := source.read(CHUNK):
                written += len(chunk)
                written_total += len(chunk)
                if written > info.file_size or written_total > limits.max_unpacked_bytes:
                    raise PackageTooLargeError(
                        f"Gói bị từ chối / package rejected: {info.filename!r} expands beyond "
                        "its declared size or the unpacked limit"
                    )
                sink.write(chunk)
        os.chmod(destination, 0o644)
    return written_total


# --- manifests and AU URLs ---------------------------------------------------------------------


def check_au_url(url: str, files: frozenset[str] | None, allowed_hosts: frozenset[str]) -> None:
    """A relative AU URL names a packaged file; an absolute one an allowed host (cmi5 14.1).

    ``files`` None means a standalone ``cmi5.xml``: every URL must be absolute (14.2).
    """
    parts = urlsplit(url)
    for name, _value in parse_qsl(parts.query, keep_blank_values=True):
        if name in LAUNCH_PARAMETERS:
            raise PackageError(
                f"URL của AU {url!r} dùng tham số {name!r} dành cho LMS / the AU URL uses the "
                f"launch parameter name {name!r}, which cmi5 8.1 reserves for the LMS"
            )
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PackageError(
                f"URL của AU {url!r} phải là http(s) / an absolute AU URL must be http or https"
            )
        host = parts.hostname.lower()
        if host not in allowed_hosts:
            allowed = ", ".join(sorted(allowed_hosts)) or "(không có / none)"
            raise PackageError(
                f"URL của AU {url!r} trỏ tới máy chủ {host!r} không nằm trong danh sách cho phép"
                f" / the AU URL points at host {host!r}, which is not in the allowed list "
                f"(GATEWAY_CONTENT_ALLOWED_HOSTS: {allowed})"
            )
        return
    if files is None:
        raise PackageError(
            f"cmi5.xml đứng riêng cần URL đầy đủ / a standalone cmi5.xml needs fully qualified "
            f"AU URLs (cmi5 14.2), got {url!r}"
        )
    path = unquote(parts.path)
    normalized = posixpath.normpath(path) if path else ""
    if not normalized or normalized.startswith(("../", "/")) or normalized in ("..", "."):
        raise PackageError(
            f"URL của AU {url!r} không trỏ tới tệp trong gói / the AU URL does not name a file "
            "inside the package"
        )
    if normalized not in files:
        raise PackageError(
            f"URL của AU {url!r}: gói không có tệp {normalized!r} / the package has no file "
            f"{normalized!r}"
        )


def _read_manifest(
    archive: zipfile.ZipFile, files: list[zipfile.ZipInfo], name: str
) -> bytes | None:
    for info in files:
        if info.filename == name:
            with archive.open(info) as handle:
                return handle.read()
    return None


# --- staging ------------------------------------------------------------------------------------


def new_staging_dir(content_dir: Path) -> Path:
    """A fresh, empty staging folder inside ``content_dir`` (same filesystem as the target)."""
    content_dir.mkdir(parents=True, exist_ok=True)
    path = content_dir / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
    path.mkdir()
    return path


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _is_xml(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<")


def stage_package(
    upload: Path, content_dir: Path, limits: PackageLimits, allowed_hosts: frozenset[str]
) -> StagedPackage:
    """Check ``upload`` and unpack it into a staging folder; raise and leave nothing if bad."""
    size = upload.stat().st_size
    if size > limits.max_package_bytes:
        raise PackageTooLargeError(
            f"Gói lớn hơn {_size_text(limits.max_package_bytes)} / the package is larger than "
            f"{_size_text(limits.max_package_bytes)}"
        )
    if size == 0:
        raise PackageError("Tệp rỗng / the file is empty")
    if _is_xml(upload):
        return _stage_standalone(upload, content_dir, allowed_hosts, size)
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageError(
            "Tệp không phải gói zip hay cmi5.xml / the file is neither a zip package nor a "
            f"cmi5.xml ({exc})"
        ) from exc
    with archive:
        try:
            files = check_entries(archive.infolist(), limits)
            names = frozenset(check_entry_name(info.filename) for info in files)
            staged = _check_manifest(archive, files, names, allowed_hosts)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
            raise PackageError(f"Gói zip hỏng / the zip is damaged: {exc}") from exc
        staging = new_staging_dir(content_dir)
        try:
            written = _unpack(archive, files, staging, limits)
        except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as exc:
            shutil.rmtree(staging, ignore_errors=True)
            raise PackageError(f"Gói zip hỏng / the zip is damaged: {exc}") from exc
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    kind, course, xapi = staged
    return StagedPackage(
        path=staging,
        kind=kind,
        sha256=_digest(upload),
        size=size,
        unpacked_bytes=written,
        file_count=len(files),
        course=course,
        xapi=xapi,
        files=names,
    )


def _check_manifest(
    archive: zipfile.ZipFile,
    files: list[zipfile.ZipInfo],
    names: frozenset[str],
    allowed_hosts: frozenset[str],
) -> tuple[str, Course | None, XapiPackage | None]:
    cmi5 = _read_manifest(archive, files, CMI5_MANIFEST)
    if cmi5 is not None:
        course = parse_course_structure(cmi5)
        for au in course.assignable_units():
            check_au_url(au.url, names, allowed_hosts)
        return "cmi5", course, None
    tincan = _read_manifest(archive, files, TINCAN_MANIFEST)
    if tincan is not None:
        package = parse_tincan(tincan)
        check_au_url(package.launch, names, allowed_hosts)
        return "xapi", None, package
    nested = sorted(n for n in names if n.endswith(("/" + CMI5_MANIFEST, "/" + TINCAN_MANIFEST)))
    hint = (
        f" (tìm thấy / found {nested[0]!r}: nén nội dung thư mục, không nén thư mục / zip the "
        "folder's contents, not the folder)"
        if nested
        else ""
    )
    raise PackageError(
        f"Gói thiếu cmi5.xml (hoặc tincan.xml) ở thư mục gốc / the package has no cmi5.xml "
        f"(or tincan.xml) at its root{hint}"
    )


def _stage_standalone(
    upload: Path, content_dir: Path, allowed_hosts: frozenset[str], size: int
) -> StagedPackage:
    """cmi5 14.2: a course structure without a zip; every AU URL is absolute."""
    data = upload.read_bytes()
    course = parse_course_structure(data)
    for au in course.assignable_units():
        check_au_url(au.url, None, allowed_hosts)
    staging = new_staging_dir(content_dir)
    try:
        (staging / CMI5_MANIFEST).write_bytes(data)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return StagedPackage(
        path=staging,
        kind="cmi5",
        sha256=hashlib.sha256(data).hexdigest(),
        size=size,
        unpacked_bytes=len(data),
        file_count=1,
        course=course,
        files=frozenset({CMI5_MANIFEST}),
    )
