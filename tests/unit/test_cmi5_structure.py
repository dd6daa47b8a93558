"""The cmi5 course structure parser: what CourseStructure.xsd and section 13 require."""

from __future__ import annotations

import pytest

from gateway.catalog.cmi5.structure import AssignableUnit, Block, Course, parse_course_structure
from gateway.catalog.content_errors import PackageError

NS = "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"


def course_xml(body: str, course_extra: str = "", root_extra: str = "") -> bytes:
    """A course structure with the given top-level AUs/blocks."""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="{NS}" xmlns:x="https://example.org/ext" {root_extra}>
  <course id="https://example.org/course">
    <title><langstring lang="vi-VN">Khóa học</langstring>
      <langstring lang="en-US">Course</langstring></title>
    <description><langstring>Mô tả</langstring></description>
    {course_extra}
  </course>
  {body}
</courseStructure>""".encode()


def au_xml(au_id: str = "https://example.org/au/1", attrs: str = "", url: str = "a.html") -> str:
    """One AU element."""
    return f"""<au id="{au_id}" {attrs}>
      <title><langstring lang="en">AU</langstring></title>
      <description><langstring lang="en">d</langstring></description>
      <url>{url}</url>
    </au>"""


def test_a_full_structure_is_read_with_defaults_and_nesting() -> None:
    """13.1: blocks nest, AU attributes default (moveOn NotApplicable, AnyWindow)."""
    xml = course_xml(
        f"""<objectives><objective id="https://example.org/obj/1">
              <title><langstring>O</langstring></title><description><langstring>d</langstring>
              </description></objective></objectives>
        {au_xml("https://example.org/au/0")}
        <block id="https://example.org/block/1">
          <title><langstring>B</langstring></title><description><langstring>d</langstring></description>
          <objectives><objective idref="https://example.org/obj/1"/></objectives>
          {au_xml("https://example.org/au/1", 'moveOn="Passed" masteryScore="0.75" x:w="1"')}
          <block id="https://example.org/block/2">
            <title><langstring>B2</langstring></title><description><langstring>d</langstring></description>
            <au id="https://example.org/au/2" launchMethod="OwnWindow" activityType="t">
              <title><langstring>AU</langstring></title><description><langstring>d</langstring></description>
              <url> https://cdn.example.org/au2.html </url>
              <launchParameters>{{"a": 1}}</launchParameters>
              <entitlementKey>KEY-1</entitlementKey>
              <x:anything/>
            </au>
          </block>
        </block>""",
        course_extra="<x:publisher>P</x:publisher>",
    )
    course = parse_course_structure(xml)
    assert course.id == "https://example.org/course"
    assert course.title == {"vi-VN": "Khóa học", "en-US": "Course"}
    assert course.description == {"und": "Mô tả"}
    units = list(course.assignable_units())
    assert [u.id for u in units] == [f"https://example.org/au/{n}" for n in range(3)]
    assert units[0].move_on == "NotApplicable" and units[0].launch_method == "AnyWindow"
    assert units[1].move_on == "Passed" and units[1].mastery_score == 0.75
    assert units[2].url == "https://cdn.example.org/au2.html"
    assert units[2].launch_parameters == '{"a": 1}' and units[2].entitlement_key == "KEY-1"
    assert [b.id for b in course.blocks()] == [
        "https://example.org/block/1",
        "https://example.org/block/2",
    ]
    assert Course.from_json(course.to_json()) == course


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", "at least one <au> or <block>"),
        (au_xml(attrs='moveOn="Sometimes"'), "@moveOn"),
        (au_xml(attrs='masteryScore="1.5"'), "@masteryScore"),
        (au_xml(attrs='masteryScore="abc"'), "@masteryScore"),
        (au_xml(attrs='launchMethod="Popup"'), "@launchMethod"),
        (au_xml(attrs='colour="red"'), "@colour: thuộc tính không được phép"),
        (au_xml(au_id="not an iri"), "absolute IRI"),
        (au_xml() + au_xml(), "same id as"),
        (au_xml(url=""), "/url: không được rỗng"),
        (
            """<au id="https://example.org/au/1"><description><langstring>d</langstring>
               </description><title><langstring>t</langstring></title><url>a</url></au>""",
            "out of order",
        ),
        (
            """<au id="https://example.org/au/1"><title><langstring>t</langstring></title>
               <url>a</url></au>""",
            "missing element <description>",
        ),
        (
            """<block id="https://example.org/b"><title><langstring>t</langstring></title>
               <description><langstring>d</langstring></description></block>""",
            "a block needs at least one",
        ),
        (
            """<au id="https://example.org/au/1"><title><langstring>t</langstring></title>
               <description><langstring>d</langstring></description>
               <objectives><objective idref="https://example.org/nope"/></objectives>
               <url>a</url></au>""",
            "no objective with id",
        ),
        ('<lesson xmlns=""/>' + au_xml(), "element without a namespace"),
        ("<lesson/>" + au_xml(), "element not allowed here"),
        (f"<x:ext/>{au_xml()}", "extension elements must come after"),
    ],
)
def test_schema_violations_are_reported_with_their_path(body: str, expected: str) -> None:
    """CourseStructure.xsd: order, cardinality, enumerations, ranges; 13.1: ids and refs."""
    with pytest.raises(PackageError) as raised:
        parse_course_structure(course_xml(body))
    assert expected in raised.value.message
    assert "cmi5.xml" in raised.value.message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"<courseStructure", "not well-formed XML"),
        (b"<course xmlns='urn:x'/>", "the root element must be courseStructure"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><courseStructure>&lol2;</courseStructure>',
            "must not contain a DOCTYPE",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<courseStructure>&x;</courseStructure>",
            "must not contain a DOCTYPE",
        ),
    ],
)
def test_malformed_and_hostile_xml_is_refused(data: bytes, expected: str) -> None:
    """No entity expansion, no external entities: a DTD is refused outright."""
    with pytest.raises(PackageError) as raised:
        parse_course_structure(data)
    assert expected in raised.value.message


def test_every_problem_is_listed_at_once() -> None:
    """A province fixes its package in one round: all errors, not just the first."""
    body = au_xml(attrs='moveOn="X" masteryScore="2"')
    with pytest.raises(PackageError) as raised:
        parse_course_structure(course_xml(body))
    assert "@moveOn" in raised.value.message and "@masteryScore" in raised.value.message


def test_node_types() -> None:
    """The parsed tree holds AUs and blocks."""
    course = parse_course_structure(
        course_xml(
            """<block id="https://example.org/b"><title><langstring>t</langstring></title>
               <description><langstring>d</langstring></description>"""
            + au_xml()
            + "</block>"
        )
    )
    assert isinstance(course.children[0], Block)
    assert isinstance(course.children[0].children[0], AssignableUnit)
