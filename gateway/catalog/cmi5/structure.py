"""The cmi5 course structure (``cmi5.xml``): parsed, and checked as the schema demands.

The checks follow ``CourseStructure.xsd`` of cmi5 (section 14: "The course package MUST
conform to ...CourseStructure.xsd") element by element: the order and number of
elements, required and enumerated attributes, ``masteryScore`` in 0..1, and extension
elements and attributes only from other namespaces (the schema's ``##other``). Section
13 adds what a schema cannot say: ids are absolute IRIs and unique in the course, and an
objective reference names a declared objective. Every problem found is reported, with
the path of the element, so a province can fix its package in one round.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element

from gateway.catalog.cmi5.vocabulary import LAUNCH_METHODS, MOVE_ON_VALUES, NAMESPACE
from gateway.catalog.content_errors import PackageError
from gateway.catalog.packages_xml import local_name, parse_manifest
from learning_store.validation.primitives import is_iri

MANIFEST = "cmi5.xml"
MAX_AUS = 10_000
MAX_ERRORS_SHOWN = 20
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")


@dataclass(frozen=True)
class AssignableUnit:
    """An AU (cmi5 13.1.4): what the LMS launches."""

    id: str
    title: dict[str, str]
    description: dict[str, str]
    url: str
    move_on: str = "NotApplicable"
    mastery_score: float | None = None
    launch_method: str = "AnyWindow"
    activity_type: str | None = None
    launch_parameters: str | None = None
    entitlement_key: str | None = None
    objectives: tuple[str, ...] = ()


@dataclass(frozen=True)
class Block:
    """A block (cmi5 13.1.2): AUs and blocks satisfied together."""

    id: str
    title: dict[str, str]
    description: dict[str, str]
    children: tuple[Node, ...]
    objectives: tuple[str, ...] = ()


Node = AssignableUnit | Block


@dataclass(frozen=True)
class Course:
    """The course (cmi5 13.1.1) with its top-level AUs and blocks in order."""

    id: str
    title: dict[str, str]
    description: dict[str, str]
    children: tuple[Node, ...]
    objectives: dict[str, dict[str, str]] = field(default_factory=dict)

    def assignable_units(self) -> Iterator[AssignableUnit]:
        """Every AU, in course order."""
        yield from _units(self.children)

    def blocks(self) -> Iterator[Block]:
        """Every block, parents before their children."""
        yield from _blocks(self.children)

    def find_unit(self, au_id: str) -> AssignableUnit | None:
        """The AU with this publisher id."""
        return next((au for au in self.assignable_units() if au.id == au_id), None)

    def to_json(self) -> str:
        """A JSON form for the database (``from_json`` reads it back)."""
        return json.dumps(_node_json(self), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Course:
        """The course stored by ``to_json``."""
        data = json.loads(text)
        return Course(
            id=data["id"],
            title=data["title"],
            description=data["description"],
            children=tuple(_node_from(item) for item in data["children"]),
            objectives=data.get("objectives", {}),
        )


def _units(nodes: tuple[Node, ...]) -> Iterator[AssignableUnit]:
    for node in nodes:
        if isinstance(node, Block):
            yield from _units(node.children)
        else:
            yield node


def _blocks(nodes: tuple[Node, ...]) -> Iterator[Block]:
    for node in nodes:
        if isinstance(node, Block):
            yield node
            yield from _blocks(node.children)


def _node_json(node: Course | Node) -> dict[str, Any]:
    if isinstance(node, AssignableUnit):
        return {"kind": "au", **{k: v for k, v in node.__dict__.items() if k != "objectives"},
                "objectives": list(node.objectives)}  # fmt: skip
    data: dict[str, Any] = {
        "kind": "block" if isinstance(node, Block) else "course",
        "id": node.id,
        "title": node.title,
        "description": node.description,
        "children": [_node_json(child) for child in node.children],
    }
    if isinstance(node, Course):
        data["objectives"] = node.objectives
    else:
        data["objectives"] = list(node.objectives)
    return data


def _node_from(data: dict[str, Any]) -> Node:
    if data["kind"] == "au":
        values = {k: v for k, v in data.items() if k != "kind"}
        values["objectives"] = tuple(values.get("objectives", ()))
        return AssignableUnit(**values)
    return Block(
        id=data["id"],
        title=data["title"],
        description=data["description"],
        children=tuple(_node_from(child) for child in data["children"]),
        objectives=tuple(data.get("objectives", ())),
    )


def best_text(texts: dict[str, str], preferred: tuple[str, ...] = ("vi", "en")) -> str:
    """The text in the first preferred language present (``vi-VN`` matches ``vi``)."""
    for wanted in preferred:
        for lang, text in texts.items():
            if lang.lower() == wanted or lang.lower().startswith(wanted + "-"):
                return text
    return next(iter(texts.values()), "")


# --- parsing --------------------------------------------------------------------------------


class _Checker:
    """Walks the tree once, collecting every problem with its element path."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.ids: dict[str, str] = {}
        self.objective_refs: list[tuple[str, str]] = []
        self.au_count = 0

    def error(self, path: str, message: str) -> None:
        self.errors.append(f"{path}: {message}")

    # -- generic shape ----------------------------------------------------------------------

    def children(
        self, element: Element, path: str, allowed: tuple[str, ...]
    ) -> list[tuple[str, Element, str]]:
        """cmi5 children as ``(name, element, path)``; extensions only at the end."""
        found: list[tuple[str, Element, str]] = []
        seen_extension = False
        counts: dict[str, int] = {}
        for child in element:
            uri, name = local_name(child.tag)
            if uri != NAMESPACE:
                if uri == "":
                    self.error(f"{path}/{name}", "phần tử không có namespace / element without "
                               f"a namespace; cmi5 elements use {NAMESPACE}")  # fmt: skip
                seen_extension = True
                continue
            counts[name] = counts.get(name, 0) + 1
            child_path = f"{path}/{name}" + (f"[{counts[name]}]" if counts[name] > 1 else "")
            if name not in allowed:
                self.error(child_path, f"phần tử không được phép ở đây / element not allowed "
                           f"here (expected one of {', '.join(allowed)})")  # fmt: skip
                continue
            if seen_extension:
                self.error(child_path, "phần tử mở rộng phải đứng sau cùng / extension elements"
                           " must come after the cmi5 elements")  # fmt: skip
            found.append((name, child, child_path))
        return found

    def attributes(self, element: Element, path: str, allowed: tuple[str, ...]) -> None:
        """Unqualified attributes must be declared; qualified ones are extensions."""
        for name in element.attrib:
            if not name.startswith("{") and name not in allowed:
                self.error(f"{path}/@{name}", "thuộc tính không được phép / attribute not allowed")

    def order(self, found: list[tuple[str, Element, str]], path: str, sequence: str) -> None:
        """Elements appear in the schema's order: ``sequence`` is space-separated names."""
        rank = {name: position for position, name in enumerate(sequence.split())}
        last = -1
        for name, _element, child_path in found:
            # ``au`` and ``block`` share one place in the sequence (an xs:choice).
            position = rank.get("au" if name == "block" else name, last)
            if position < last:
                self.error(child_path, f"sai thứ tự / out of order (schema order: {sequence})")
            last = max(last, position)

    def exactly_one(
        self, found: list[tuple[str, Element, str]], name: str, path: str, required: bool = True
    ) -> Element | None:
        matches = [(element, p) for n, element, p in found if n == name]
        if not matches:
            if required:
                self.error(path, f"thiếu phần tử / missing element <{name}>")
            return None
        for _element, extra_path in matches[1:]:
            self.error(extra_path, f"<{name}> chỉ được xuất hiện một lần / may appear only once")
        return matches[0][0]

    def text(self, element: Element | None, path: str) -> dict[str, str]:
        """A ``textType``: one or more ``langstring``, each with an optional ``lang``."""
        if element is None:
            return {}
        self.attributes(element, path, ())
        found = self.children(element, path, ("langstring",))
        texts: dict[str, str] = {}
        if not found:
            self.error(path, "cần ít nhất một <langstring> / needs at least one <langstring>")
        for _name, langstring, child_path in found:
            self.attributes(langstring, child_path, ("lang",))
            lang = langstring.get("lang", "und").strip() or "und"
            if lang != "und" and not _LANGUAGE.fullmatch(lang):
                self.error(f"{child_path}/@lang", f"không phải mã ngôn ngữ / not a language "
                           f"tag: {lang!r}")  # fmt: skip
            if len(langstring):
                self.error(child_path, "chỉ chứa văn bản / must contain text only")
            texts[lang] = " ".join((langstring.text or "").split())
        return texts

    def identifier(self, element: Element, path: str, attribute: str = "id") -> str:
        value = (element.get(attribute) or "").strip()
        if not value:
            self.error(f"{path}/@{attribute}", "bắt buộc / required")
        elif not is_iri(value):
            self.error(f"{path}/@{attribute}", f"phải là IRI tuyệt đối / must be an absolute IRI,"
                       f" got {value!r}")  # fmt: skip
        elif attribute == "id":
            if value in self.ids:
                self.error(f"{path}/@id", f"trùng với / same id as {self.ids[value]}")
            else:
                self.ids[value] = path
        return value

    def objective_references(self, element: Element | None, path: str) -> tuple[str, ...]:
        if element is None:
            return ()
        self.attributes(element, path, ())
        found = self.children(element, path, ("objective",))
        if not found:
            self.error(path, "cần ít nhất một <objective> / needs at least one <objective>")
        refs: list[str] = []
        for _name, objective, child_path in found:
            self.attributes(objective, child_path, ("idref",))
            idref = (objective.get("idref") or "").strip()
            if idref:
                refs.append(idref)
                self.objective_refs.append((idref, f"{child_path}/@idref"))
        return tuple(refs)

    # -- the cmi5 elements -----------------------------------------------------------------

    def course_structure(self, root: Element) -> Course | None:
        uri, name = local_name(root.tag)
        if uri != NAMESPACE or name != "courseStructure":
            self.error(
                "/", f"phần tử gốc phải là <courseStructure xmlns=\"{NAMESPACE}\"> / the root "
                f"element must be courseStructure in the cmi5 namespace, got {root.tag!r}",
            )  # fmt: skip
            return None
        path = "/courseStructure"
        self.attributes(root, path, ())
        found = self.children(root, path, ("course", "objectives", "au", "block"))
        self.order(found, path, "course objectives au")
        course = self.exactly_one(found, "course", path)
        objectives_element = self.exactly_one(found, "objectives", path, required=False)
        nodes = self.nodes(found)
        if not nodes:
            self.error(path, "khóa học cần ít nhất một <au> hoặc <block> / the course needs at "
                       "least one <au> or <block>")  # fmt: skip
        if course is None:
            return None
        course_path = f"{path}/course"
        self.attributes(course, course_path, ("id",))
        course_found = self.children(course, course_path, ("title", "description"))
        self.order(course_found, course_path, "title description")
        course_id = self.identifier(course, course_path)
        title = self.text(
            self.exactly_one(course_found, "title", course_path), course_path + "/title"
        )
        description = self.text(
            self.exactly_one(course_found, "description", course_path), course_path + "/description"
        )
        objectives = self.objectives(objectives_element, f"{path}/objectives")
        for idref, ref_path in self.objective_refs:
            if idref not in objectives:
                self.error(ref_path, f"không có mục tiêu / no objective with id {idref!r}")
        if self.au_count > MAX_AUS:
            self.error(path, f"hơn {MAX_AUS} AU / more than {MAX_AUS} AUs")
        return Course(course_id, title, description, tuple(nodes), objectives)

    def objectives(self, element: Element | None, path: str) -> dict[str, dict[str, str]]:
        if element is None:
            return {}
        self.attributes(element, path, ())
        found = self.children(element, path, ("objective",))
        if not found:
            self.error(path, "cần ít nhất một <objective> / needs at least one <objective>")
        declared: dict[str, dict[str, str]] = {}
        for _name, objective, child_path in found:
            self.attributes(objective, child_path, ("id",))
            objective_id = self.identifier(objective, child_path)
            parts = self.children(objective, child_path, ("title", "description"))
            title = self.text(self.exactly_one(parts, "title", child_path), child_path + "/title")
            self.text(
                self.exactly_one(parts, "description", child_path), child_path + "/description"
            )
            if objective_id:
                declared[objective_id] = title
        return declared

    def nodes(self, found: list[tuple[str, Element, str]]) -> list[Node]:
        nodes: list[Node] = []
        for name, element, child_path in found:
            if name == "au":
                au = self.assignable_unit(element, child_path)
                if au is not None:
                    nodes.append(au)
            elif name == "block":
                block = self.block(element, child_path)
                if block is not None:
                    nodes.append(block)
        return nodes

    def block(self, element: Element, path: str) -> Block | None:
        self.attributes(element, path, ("id",))
        found = self.children(element, path, ("title", "description", "objectives", "au", "block"))
        self.order(found, path, "title description objectives au")
        block_id = self.identifier(element, path)
        title = self.text(self.exactly_one(found, "title", path), path + "/title")
        description = self.text(self.exactly_one(found, "description", path), path + "/description")
        refs = self.objective_references(
            self.exactly_one(found, "objectives", path, required=False), path + "/objectives"
        )
        children = self.nodes([item for item in found if item[0] in ("au", "block")])
        if not any(name in ("au", "block") for name, _e, _p in found):
            self.error(path, "khối cần ít nhất một <au> hoặc <block> / a block needs at least one"
                       " <au> or <block>")  # fmt: skip
        return Block(block_id, title, description, tuple(children), refs)

    def assignable_unit(self, element: Element, path: str) -> AssignableUnit | None:
        self.au_count += 1
        self.attributes(
            element, path, ("id", "moveOn", "masteryScore", "launchMethod", "activityType")
        )
        found = self.children(
            element,
            path,
            ("title", "description", "objectives", "url", "launchParameters", "entitlementKey"),
        )
        self.order(found, path, "title description objectives url launchParameters entitlementKey")
        au_id = self.identifier(element, path)
        title = self.text(self.exactly_one(found, "title", path), path + "/title")
        description = self.text(self.exactly_one(found, "description", path), path + "/description")
        refs = self.objective_references(
            self.exactly_one(found, "objectives", path, required=False), path + "/objectives"
        )
        url_element = self.exactly_one(found, "url", path)
        url = " ".join((url_element.text or "").split()) if url_element is not None else ""
        if url_element is not None:
            self.attributes(url_element, path + "/url", ())
            if not url:
                self.error(path + "/url", "không được rỗng / must not be empty")
        move_on = element.get("moveOn", "NotApplicable").strip()
        if move_on not in MOVE_ON_VALUES:
            self.error(f"{path}/@moveOn", f"phải là một trong / must be one of "
                       f"{', '.join(MOVE_ON_VALUES)}; got {move_on!r}")  # fmt: skip
        launch_method = element.get("launchMethod", "AnyWindow").strip()
        if launch_method not in LAUNCH_METHODS:
            self.error(f"{path}/@launchMethod", f"phải là / must be AnyWindow or OwnWindow; got "
                       f"{launch_method!r}")  # fmt: skip
        mastery_score = self.mastery_score(element.get("masteryScore"), f"{path}/@masteryScore")
        parameters = self.exactly_one(found, "launchParameters", path, required=False)
        entitlement = self.exactly_one(found, "entitlementKey", path, required=False)
        activity_type = element.get("activityType")
        return AssignableUnit(
            id=au_id,
            title=title,
            description=description,
            url=url,
            move_on=move_on,
            mastery_score=mastery_score,
            launch_method=launch_method,
            activity_type=activity_type.strip() if activity_type else None,
            launch_parameters=(parameters.text or "") if parameters is not None else None,
            entitlement_key=(entitlement.text or "").strip() if entitlement is not None else None,
            objectives=refs,
        )

    def mastery_score(self, value: str | None, path: str) -> float | None:
        if value is None:
            return None
        text = value.strip()
        try:
            number = Decimal(text) if _DECIMAL.fullmatch(text) else None
        except InvalidOperation:
            number = None
        if number is None or not Decimal(0) <= number <= Decimal(1):
            self.error(path, f"phải là số thập phân từ 0 đến 1 / must be a decimal from 0 to 1;"
                       f" got {value!r}")  # fmt: skip
            return None
        return float(number)


def parse_course_structure(data: bytes, filename: str = MANIFEST) -> Course:
    """The course in ``data``; :class:`PackageError` listing every problem otherwise."""
    root = parse_manifest(data, filename)
    checker = _Checker()
    course = checker.course_structure(root)
    if checker.errors or course is None:
        shown = checker.errors[:MAX_ERRORS_SHOWN]
        more = len(checker.errors) - len(shown)
        lines = "\n".join(f"  {error}" for error in shown)
        if more > 0:
            lines += f"\n  … và {more} lỗi khác / and {more} more"
        raise PackageError(
            f"{filename} không đúng cấu trúc khóa học cmi5 / does not follow the cmi5 course "
            f"structure schema:\n{lines}"
        )
    return course
