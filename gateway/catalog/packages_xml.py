"""Parse a package's XML manifest safely: no DTD, no entities, no external references.

``cmi5.xml`` and ``tincan.xml`` never need a document type declaration, so one is refused
outright; that closes entity expansion ("billion laughs") and external entities (XXE)
without relying on the parser's own limits.
"""

from __future__ import annotations

from typing import Any, NoReturn
from xml.etree.ElementTree import Element, TreeBuilder
from xml.parsers import expat

from gateway.catalog.content_errors import PackageError

MAX_MANIFEST_BYTES = 10 * 1024 * 1024


def _qualified(name: str) -> str:
    """``"uri local"`` from expat to ElementTree's ``"{uri}local"``."""
    uri, _, local = name.rpartition(" ")
    return f"{{{uri}}}{local}" if uri else local


def parse_manifest(data: bytes, filename: str) -> Element:
    """The root element of ``data``; :class:`PackageError` naming ``filename`` if unusable."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise PackageError(
            f"{filename}: lớn hơn {MAX_MANIFEST_BYTES // (1024 * 1024)} MB / larger than "
            f"{MAX_MANIFEST_BYTES // (1024 * 1024)} MB"
        )
    builder = TreeBuilder()
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True

    def refuse(*_args: Any) -> NoReturn:
        raise PackageError(
            f"{filename}: không được chứa DOCTYPE hay ENTITY / must not contain a DOCTYPE "
            "or entity declarations"
        )

    def start(name: str, attributes: dict[str, str]) -> None:
        builder.start(_qualified(name), {_qualified(k): v for k, v in attributes.items()})

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda name: builder.end(_qualified(name))
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise PackageError(
            f"{filename}: XML không hợp lệ / not well-formed XML: "
            f"{expat.ErrorString(exc.code)} (dòng / line {exc.lineno}, cột / column {exc.offset})"
        ) from exc
    root: Element = builder.close()
    return root


def local_name(tag: str) -> tuple[str, str]:
    """``("uri", "local")`` of an ElementTree tag (``""`` for no namespace)."""
    if tag.startswith("{"):
        uri, _, local = tag[1:].partition("}")
        return uri, local
    return "", tag
