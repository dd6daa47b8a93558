"""ETags, preconditions and content rules of the document store (no database)."""

from __future__ import annotations

import hashlib

import pytest

from learning_store.documents import (
    EntityTag,
    Preconditions,
    TagCondition,
    check_json_content,
    check_preconditions,
    check_unconditional_put,
    content_etag,
    if_match_holds,
    if_none_match_holds,
    is_json,
    normalize_content_type,
    parse_tag_condition,
)
from learning_store.errors import BadRequestError, ConflictError, PreconditionFailedError

ETAG = hashlib.sha1(b"{}").hexdigest()


def test_etag_is_the_sha1_of_the_content() -> None:
    """1.0.3 Communication 3.1: a SHA-1 in hex (the suite checks for 40 hex digits)."""
    assert content_etag(b"{}") == ETAG
    assert len(ETAG) == 40


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("*", TagCondition(any_tag=True)),
        (' "abc" ', TagCondition(False, (EntityTag("abc"),))),
        ('W/"abc"', TagCondition(False, (EntityTag("abc", weak=True),))),
        (
            '"a", W/"b",  "c"',
            TagCondition(False, (EntityTag("a"), EntityTag("b", True), EntityTag("c"))),
        ),
        ("abc123", TagCondition(False, (EntityTag("abc123"),))),
        ('""', TagCondition(False, (EntityTag(""),))),
    ],
)
def test_parse_tag_condition(header: str, expected: TagCondition) -> None:
    """RFC 7232 2.3, 3.1: '*' or a comma-separated list of (weak) entity-tags."""
    assert parse_tag_condition(header, "If-Match") == expected


def test_absent_header_is_no_condition() -> None:
    """None stands for "header not sent"."""
    assert parse_tag_condition(None, "If-Match") is None


@pytest.mark.parametrize("header", ["", "   ", '"open', '"a" "b"', '"a",,', "W/abc"])
def test_malformed_tag_condition_is_400_naming_the_header(header: str) -> None:
    """A header that is no entity-tag list is a client error, not a failed precondition."""
    with pytest.raises(BadRequestError, match=r"^If-None-Match:"):
        parse_tag_condition(header, "If-None-Match")


def test_if_match_uses_strong_comparison() -> None:
    """RFC 7232 3.1: weak tags never satisfy If-Match; no document never does."""
    assert if_match_holds(TagCondition(True), ETAG)
    assert not if_match_holds(TagCondition(True), None)
    assert if_match_holds(TagCondition(False, (EntityTag("x"), EntityTag(ETAG))), ETAG)
    assert not if_match_holds(TagCondition(False, (EntityTag(ETAG, weak=True),)), ETAG)


def test_if_none_match_uses_weak_comparison() -> None:
    """RFC 7232 3.2: any tag equal in its opaque part fails If-None-Match."""
    assert if_none_match_holds(TagCondition(True), None)
    assert not if_none_match_holds(TagCondition(True), ETAG)
    assert not if_none_match_holds(TagCondition(False, (EntityTag(ETAG, weak=True),)), ETAG)
    assert if_none_match_holds(TagCondition(False, (EntityTag("other"),)), ETAG)


def test_check_preconditions_raises_412_with_the_header_named() -> None:
    """Failing conditions are 412s; holding ones pass silently."""
    check_preconditions(Preconditions(), ETAG)
    check_preconditions(Preconditions(if_match=TagCondition(True)), ETAG)
    check_preconditions(Preconditions(if_none_match=TagCondition(True)), None)
    with pytest.raises(PreconditionFailedError, match=r"^If-Match: the document does not exist"):
        check_preconditions(Preconditions(if_match=TagCondition(True)), None)
    with pytest.raises(PreconditionFailedError, match=r"^If-Match:"):
        check_preconditions(Preconditions(if_match=TagCondition(False, (EntityTag("x"),))), ETAG)
    with pytest.raises(PreconditionFailedError, match=r"^If-None-Match:"):
        check_preconditions(Preconditions(if_none_match=TagCondition(True)), ETAG)


@pytest.mark.parametrize(
    ("kind", "version", "exists", "error"),
    [
        ("state", "1.0", False, None),
        ("state", "1.0", True, None),
        ("activity_profile", "1.0", False, BadRequestError),
        ("agent_profile", "1.0", True, ConflictError),
        ("state", "2.0", False, None),
        ("state", "2.0", True, ConflictError),
        ("activity_profile", "2.0", False, None),
        ("agent_profile", "2.0", True, ConflictError),
    ],
)
def test_unconditional_put_rules(
    kind: str, version: str, exists: bool, error: type[Exception] | None
) -> None:
    """1.0.3 Communication 3.1 exempts State; 2.0 4.1.4 refuses only overwrites."""
    if error is None:
        check_unconditional_put(kind, version, exists, Preconditions())  # type: ignore[arg-type]
    else:
        with pytest.raises(error, match=r"^If-Match/If-None-Match:"):
            check_unconditional_put(kind, version, exists, Preconditions())  # type: ignore[arg-type]


def test_a_precondition_header_lifts_the_unconditional_rule() -> None:
    """With either header the request is conditional, and preconditions decide."""
    check_unconditional_put(
        "agent_profile", "1.0", True, Preconditions(if_none_match=TagCondition(False, ()))
    )


def test_content_type_rules() -> None:
    """application/json (any parameters, any case) is JSON; the stored type is as sent."""
    assert is_json("Application/JSON; charset=utf-8")
    assert not is_json("application/jsonp")
    assert normalize_content_type(None) == "application/octet-stream"
    assert normalize_content_type("  text/plain  ") == "text/plain"
    with pytest.raises(BadRequestError, match=r"^Content-Type:"):
        normalize_content_type("x/" + "y" * 300)


def test_json_content_must_parse() -> None:
    """A body labelled application/json must be JSON; other types are opaque."""
    check_json_content(b"[1]", "application/json")
    check_json_content(b"{broken", "text/plain")
    with pytest.raises(BadRequestError, match=r"^document:"):
        check_json_content(b"{broken", "application/json")
