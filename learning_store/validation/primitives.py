"""Formatted string values: IRIs, UUIDs, mailto IRIs, hashes, language tags, durations, times.

All patterns are compiled once at import. Patterns over ASCII-only grammars use
``re.ASCII`` so that ``[0-9]`` and ``[a-z]`` (with ``re.IGNORECASE``) never match Unicode
look-alikes such as Arabic-Indic digits or the Kelvin sign.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from learning_store.validation.base import XapiVersion, check_string, fail, wrong_type

# --- IRIs ------------------------------------------------------------------------------

# RFC 3987: scheme ":" then IRI characters. Spaces, controls and the characters RFC 3987
# excludes outright (<>"{}|\^`) never appear in an IRI, whatever its scheme.
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`\x00-\x1f\x7f-\x9f]+")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# Bounded caches of values already found valid: verb ids, activity ids, extension keys and
# language tags repeat across a feed, and a set lookup is ~10x cheaper than a regex match.
# The caches stop growing at their bound instead of evicting, which keeps them O(1) and
# makes them useless as a memory sink for hostile input.
_CACHE_LIMIT = 20_000
_known_iris: set[str] = set()


def is_iri(value: str) -> bool:
    """RFC 3987 absolute IRI: a scheme, a colon, no spaces or excluded characters."""
    if value in _known_iris:
        return True
    if _IRI.fullmatch(value) is None:
        return False
    if "%" in value and _BAD_PERCENT.search(value) is not None:
        return False
    if len(_known_iris) < _CACHE_LIMIT:
        _known_iris.add(value)
    return True


def validate_iri(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 2.2 / 4.1: IRIs are absolute (XAPI-00011: no IRI without a scheme)."""
    if not isinstance(value, str):
        wrong_type(path, "an IRI string", value)
    if not is_iri(value):
        fail(path, "must be an absolute IRI (scheme ':' ...)")


def check_irl(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 2.2: an IRL is an IRI that resolves, so it is absolute, too.

    The scheme is not restricted to http(s): ``fileUrl`` may legitimately be ``data:`` or
    ``ftp:``, and the conformance suite only checks that the scheme is present and valid.
    """
    if not isinstance(value, str):
        wrong_type(path, "an IRL string", value)
    if not is_iri(value):
        fail(path, "must be an absolute IRL (scheme ':' ...)")


# --- UUIDs, hashes, mailto ---------------------------------------------------------------

_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", re.ASCII
)
_SHA1 = re.compile(r"[0-9a-fA-F]{40}", re.ASCII)
_HEX = re.compile(r"[0-9a-fA-F]+", re.ASCII)
_SHA2_LENGTHS = frozenset({56, 64, 96, 128})  # SHA-224, -256, -384, -512 in hex
_MAILTO = re.compile(r"mailto:[^\s@<>\"]+@[^\s@<>\"]+")


def validate_uuid(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 2.4.1: a UUID in standard 8-4-4-4-12 form, any variant, any case."""
    if not isinstance(value, str):
        wrong_type(path, "a UUID string", value)
    if _UUID.fullmatch(value) is None:
        fail(path, "must be a UUID in 8-4-4-4-12 hex form")


def check_mbox(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 2.4.2.3: ``mbox`` is a ``mailto:`` IRI with an email address."""
    if not isinstance(value, str):
        wrong_type(path, "a 'mailto:' IRI string", value)
    if _MAILTO.fullmatch(value) is None:
        fail(path, "must be a 'mailto:' IRI with an email address")


def check_sha1sum(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 2.4.2.3: ``mbox_sha1sum`` is the hex SHA-1 of a mailto IRI."""
    if not isinstance(value, str):
        wrong_type(path, "a hex SHA-1 string", value)
    if _SHA1.fullmatch(value) is None:
        fail(path, "must be 40 hexadecimal digits (a SHA-1 hash)")


def check_sha2(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 2.4.11: ``sha2`` is a hex SHA-2 hash (224, 256, 384 or 512 bits)."""
    if not isinstance(value, str):
        wrong_type(path, "a hex SHA-2 string", value)
    if len(value) not in _SHA2_LENGTHS or _HEX.fullmatch(value) is None:
        fail(path, "must be a hexadecimal SHA-2 hash (56, 64, 96 or 128 digits)")


# --- Language tags and maps --------------------------------------------------------------

# RFC 5646 section 2.1 ABNF, as one pattern: langtag / privateuse / irregular grandfathered
# (the regular grandfathered tags such as "zh-min-nan" already match langtag's syntax).
_LANGUAGE_TAG = re.compile(
    r"""
    (?:[a-z]{2,3}(?:-[a-z]{3}){0,3}|[a-z]{4,8})     # language, with up to 3 extlangs
    (?:-[a-z]{4})?                                  # script
    (?:-(?:[a-z]{2}|[0-9]{3}))?                     # region
    (?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*        # variants
    (?:-[0-9a-wy-z](?:-[a-z0-9]{2,8})+)*            # extensions
    (?:-x(?:-[a-z0-9]{1,8})+)?                      # private use
    |x(?:-[a-z0-9]{1,8})+                           # private use only
    |en-gb-oed|sgn-(?:be-fr|be-nl|ch-de)
    |i-(?:ami|bnn|default|enochian|hak|klingon|lux|mingo|navajo|pwn|tao|tay|tsu)
    """,
    re.ASCII | re.IGNORECASE | re.VERBOSE,
)
_known_tags: set[str] = set()


def _has_duplicate_subtags(tag: str) -> bool:
    """RFC 5646 2.2.5/2.2.6: a variant or an extension singleton appears at most once.

    Variants come before the first singleton; after it only singletons are compared, and
    everything after a private-use ``x`` is free-form.
    """
    subtags = tag.lower().split("-")
    if subtags[0] in ("x", "i"):  # private use or grandfathered: no variants to compare
        return False
    seen: set[str] = set()
    in_extensions = False
    for subtag in subtags[1:]:
        if subtag == "x":
            return False
        if len(subtag) == 1:
            in_extensions = True
        elif in_extensions or not (len(subtag) >= 5 or (len(subtag) == 4 and subtag[0].isdigit())):
            continue
        if subtag in seen:
            return True
        seen.add(subtag)
    return False


def is_language_tag(tag: str) -> bool:
    """RFC 5646 well-formedness (not registry validity): ``en-US``, ``zh-Hans-CN``, ``und``."""
    if tag in _known_tags:
        return True
    if _LANGUAGE_TAG.fullmatch(tag) is None:
        return False
    if tag.count("-") >= 2 and _has_duplicate_subtags(tag):
        return False
    if len(_known_tags) < _CACHE_LIMIT:
        _known_tags.add(tag)
    return True


def check_language_tag(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 2.4.6: ``context.language`` is an RFC 5646 tag."""
    if not isinstance(value, str):
        wrong_type(path, "an RFC 5646 language tag string", value)
    if not is_language_tag(value):
        fail(path, f"{value!r} is not an RFC 5646 language tag")


def validate_language_map(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 4.2: keys are RFC 5646 tags, values are strings; ``{}`` is allowed."""
    if not isinstance(value, dict):
        wrong_type(path, "a language map object", value)
    for key, text in value.items():
        if not isinstance(key, str) or not is_language_tag(key):
            fail(path, f"{key!r} is not an RFC 5646 language tag")
        if not isinstance(text, str):
            wrong_type(f"{path}.{key}", "a string", text)


# --- Extensions ------------------------------------------------------------------------


def check_extensions(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 4.1: an object whose keys are IRIs; values are any JSON, even null."""
    if not isinstance(value, dict):
        wrong_type(path, "an object", value)
    for key in value:
        if not isinstance(key, str) or not is_iri(key):
            fail(path, f"extension key {key!r} must be an absolute IRI")


# --- Durations and timestamps ------------------------------------------------------------

_NUMBER = r"[0-9]+(?:[.,][0-9]+)?"
# ISO 8601:2004 4.4.3.2 format with designators: PnYnMnDTnHnMnS (at least one component,
# T only before a time component) or PnW; the alternative format (4.4.3.3) is excluded.
_DURATION = re.compile(
    rf"P(?:{_NUMBER}W|(?=[0-9]|T[0-9])(?:{_NUMBER}Y)?(?:{_NUMBER}M)?(?:{_NUMBER}D)?"
    rf"(?:T(?=[0-9])(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?)",
    re.ASCII,
)


def check_duration(value: object, path: str) -> None:
    """xAPI 1.0.3 Data 4.6: an ISO 8601 duration such as ``PT1H0M0S`` or ``P4W``."""
    if not isinstance(value, str):
        wrong_type(path, "an ISO 8601 duration string", value)
    if _DURATION.fullmatch(value) is None:
        fail(path, "must be an ISO 8601 duration such as 'PT1H30M' or 'P4W'")


# Groups: year, month, day, hour, minute, second, fraction, offset.
# xAPI 1.0.3 Data 4.5: ISO 8601 date and time, extended or basic format (not mixed).
_ISO_EXTENDED = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2})(?:[.,]([0-9]+))?)?([Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)",
    re.ASCII,
)
_ISO_BASIC = re.compile(
    r"([0-9]{4})([0-9]{2})([0-9]{2})[Tt]([0-9]{2})([0-9]{2})"
    r"(?:([0-9]{2})(?:[.,]([0-9]+))?)?([Zz]|[+-][0-9]{2}(?:[0-9]{2})?)",
    re.ASCII,
)
# xAPI 2.0 (IEEE 9274.1.1) 4.2.7: the RFC 3339 profile of ISO 8601.
_RFC3339 = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
    r"(?:\.([0-9]+))?([Zz]|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)
_NEGATIVE_ZERO = frozenset({"-00", "-0000", "-00:00"})
_UTC = datetime.UTC
_Groups = tuple[Any, ...]


def _match_timestamp(value: str, version: XapiVersion) -> _Groups | None:
    if version == "2.0":
        match = _RFC3339.fullmatch(value)
    else:
        match = _ISO_EXTENDED.fullmatch(value) or _ISO_BASIC.fullmatch(value)
    return None if match is None else match.groups()


def _zone(offset: str, path: str) -> datetime.tzinfo:
    if offset in ("Z", "z"):
        return _UTC
    if offset in _NEGATIVE_ZERO:
        # RFC 3339 4.3: "-00:00" means "offset unknown"; the conformance suite (XAPI-00123)
        # requires it, "-0000" and "-00" to be rejected under both 1.0.3 and 2.0.
        fail(path, "a negative zero UTC offset ('-00:00') is not allowed")
    digits = offset[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        fail(path, f"UTC offset {offset!r} is out of range")
    if hours == 0 and minutes == 0:
        return _UTC
    delta = datetime.timedelta(hours=hours, minutes=minutes)
    return datetime.timezone(-delta if offset[0] == "-" else delta)


def parse_timestamp(value: str, path: str, version: XapiVersion) -> datetime.datetime:
    """xAPI 1.0.3 Data 4.5 (ISO 8601) / 2.0 4.2.7 (RFC 3339) timestamp to an aware datetime.

    A time zone is required (the result must be comparable with ``stored``) and the date
    and time must exist: ``2015-02-30`` and ``25:00`` are rejected.
    """
    check_string(value, path)
    groups = _match_timestamp(value, version)
    if groups is None:
        expected = "an RFC 3339" if version == "2.0" else "an ISO 8601"
        fail(path, f"must be {expected} date and time with a time zone")
    year, month, day, hour, minute, second, fraction, offset = groups
    zone = _zone(offset, path)
    micro = int((fraction + "00000")[:6]) if fraction else 0
    try:
        return datetime.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, zone
        )
    except ValueError:
        fail(path, f"{value!r} is not a real date and time")
