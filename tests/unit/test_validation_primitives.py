"""Formatted values: IRIs, UUIDs, language tags and maps, durations and timestamps."""

from __future__ import annotations

import datetime

import pytest

from learning_store.errors import StatementValidationError
from learning_store.validation import (
    XapiVersion,
    parse_timestamp,
    validate_iri,
    validate_language_map,
    validate_uuid,
)
from learning_store.validation.primitives import is_language_tag

UTC = datetime.UTC


@pytest.mark.parametrize(
    "iri",
    [
        "http://adlnet.gov/expapi/verbs/attended",
        "https://example.com/path/../slug?q=1#frag",  # 4.2.7: not normalized, still valid
        "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "tag:example.com,2024:quiz",
        "http://例え.jp/パス",
        "http://example.com/a%20b",
        "mailto:someone@example.com",
        "x-custom+scheme.v1:thing",
    ],
)
def test_iri_accepts_absolute_iris(iri: str) -> None:
    """xAPI 1.0.3 Data 2.2: any absolute IRI, whatever the scheme."""
    validate_iri(iri, "verb")


@pytest.mark.parametrize(
    "value",
    [
        "adlnet.gov/expapi/verbs/attended",  # XAPI-00011: no scheme
        "not.a.valid.iri.com/verb",
        "ab=c://should.fail.com",  # '=' is not a scheme character
        "http://example.com/with space",
        "1http://example.com",
        "http:",
        "",
        "http://example.com/%zz",
        'http://example.com/"quoted"',
        "http://example.com/\x00",
        123,
        None,
        {"id": "http://example.com"},
    ],
)
def test_iri_rejects_relative_or_malformed(value: object) -> None:
    with pytest.raises(StatementValidationError, match=r"^activityId: "):
        validate_iri(value, "activityId")


@pytest.mark.parametrize(
    "value",
    [
        "fd41c918-b88b-4b20-a0a5-a4c32391aaa0",
        "FD41C918-B88B-4B20-A0A5-A4C32391AAA0",
        "00000000-0000-0000-0000-000000000000",  # any variant, even nil
        "fd41c918-b88b-1b20-c0a5-a4c32391aaa0",
    ],
)
def test_uuid_accepts_standard_form(value: str) -> None:
    """xAPI 1.0.3 Data 2.4.1: a UUID in 8-4-4-4-12 form, case-insensitive."""
    validate_uuid(value, "statementId")


@pytest.mark.parametrize(
    "value",
    [
        "AA97B177-9383-4934-8543-0F91A7A028368",  # too many digits (suite)
        "MA97B177-9383-4934-8543-0F91A7A02836",  # not hex (suite)
        "fd41c918b88b4b20a0a5a4c32391aaa0",
        "{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}",
        "fd41c918-b88b-4b20-a0a5-a4c32391aaa0\n",
        "wrong",
        12345,
        None,
    ],
)
def test_uuid_rejects_other_forms(value: object) -> None:
    with pytest.raises(StatementValidationError, match=r"^statementId: "):
        validate_uuid(value, "statementId")


@pytest.mark.parametrize(
    "tag",
    [
        "en",
        "en-US",
        "de-DE",
        "zh-Hant",
        "zh-Hans-CN",
        "sr-Latn-RS",
        "sr-Cyrl",
        "es-419",
        "tlh",
        "cmn",
        "ase",
        "und",
        "x-private",
        "en-GB-oed",
        "i-klingon",
        "zh-min-nan",
        "de-CH-1901",
        "en-a-bbb-x-a-ccc",
        "EN-us",
    ],
)
def test_language_tag_accepts_rfc5646(tag: str) -> None:
    """xAPI 1.0.3 Data 4.2: language map keys follow RFC 5646."""
    assert is_language_tag(tag)


@pytest.mark.parametrize(
    "tag",
    [
        "a12345678",  # suite: languages.js
        "something",  # 9 letters
        "s-something",
        "zh-something-ccc",
        "en-something-AU",
        "zh-z-aaa-z-bbb-c-ccc",  # the same extension singleton twice
        "de-CH-1901-1901",  # the same variant twice
        "en US",
        "en_US",
        "",
        "en-",
        "-en",
        "ſn",  # a Unicode letter that case-folds to 's'
    ],
)
def test_language_tag_rejects_malformed(tag: str) -> None:
    assert not is_language_tag(tag)


@pytest.mark.parametrize(
    "value",
    [
        {},
        {"en-US": "attended"},
        {"en-GB": "attended", "ja-JP": "出席した", "und": ""},
    ],
)
def test_language_map_accepts(value: dict[str, str]) -> None:
    validate_language_map(value, "display")


@pytest.mark.parametrize(
    ("value", "expected_path"),
    [
        ("attended", "display"),
        (12345, "display"),
        (None, "display"),
        ({"something": "x"}, "display"),
        ({"en-US": None}, "display.en-US"),
        ({"en-US": 1}, "display.en-US"),
        ({"en-US": {"text": "x"}}, "display.en-US"),
    ],
)
def test_language_map_rejects(value: object, expected_path: str) -> None:
    with pytest.raises(StatementValidationError) as caught:
        validate_language_map(value, "display")
    assert str(caught.value).startswith(f"{expected_path}: ")


@pytest.mark.parametrize(
    ("value", "version", "expected"),
    [
        ("2008-09-15T15:53:00.601Z", "1.0", datetime.datetime(2008, 9, 15, 15, 53, 0, 601000, UTC)),
        (
            "2008-09-15T15:53:00.601+00:00",
            "2.0",
            datetime.datetime(2008, 9, 15, 15, 53, 0, 601000, UTC),
        ),
        ("2023-05-04T12:00:00-05:00", "2.0", datetime.datetime(2023, 5, 4, 17, 0, 0, 0, UTC)),
        ("2023-05-04T12:00:00+05:30", "1.0", datetime.datetime(2023, 5, 4, 6, 30, 0, 0, UTC)),
        (
            "2024-02-29t23:59:59.1234567z",
            "2.0",
            datetime.datetime(2024, 2, 29, 23, 59, 59, 123456, UTC),
        ),
        ("2008-09-15T15:53Z", "1.0", datetime.datetime(2008, 9, 15, 15, 53, 0, 0, UTC)),
        ("20080915T155300+0100", "1.0", datetime.datetime(2008, 9, 15, 14, 53, 0, 0, UTC)),
        ("2008-09-15T15:53:00,5+01", "1.0", datetime.datetime(2008, 9, 15, 14, 53, 0, 500000, UTC)),
        ("2031-12-03T16:35:52.072Z", "2.0", datetime.datetime(2031, 12, 3, 16, 35, 52, 72000, UTC)),
    ],
)
def test_parse_timestamp_returns_aware_instant(
    value: str, version: XapiVersion, expected: datetime.datetime
) -> None:
    """xAPI 1.0.3 Data 4.5 (ISO 8601) and 2.0 4.2.7 (RFC 3339): the instant, time-zone aware."""
    parsed = parse_timestamp(value, "timestamp", version)
    assert parsed.tzinfo is not None
    assert parsed == expected


@pytest.mark.parametrize(
    ("value", "version"),
    [
        ("2008-09-15T15:53:00.601-00:00", "1.0"),  # negative zero offset (suite: timestamps.js)
        ("2008-09-15T15:53:00.601-0000", "1.0"),
        ("2008-09-15T15:53:00.601-00", "1.0"),
        ("2008-09-15T15:53:00.601-00:00", "2.0"),
        ("2008-09-15T15:53:00.601-0000", "2.0"),
        ("2008-09-15T15:53:00.601-00", "2.0"),
        ("should fail", "1.0"),
        ("01/011/2015", "2.0"),
        ("2008-09-15T15:53:00", "1.0"),  # no time zone
        ("2008-09-15T15:53:00", "2.0"),
        ("2008-09-15 15:53:00Z", "2.0"),
        ("2008-09-15T15:53Z", "2.0"),  # RFC 3339 needs seconds
        ("20080915T155300Z", "2.0"),  # RFC 3339 has no basic format
        ("2015-02-30T00:00:00Z", "1.0"),  # not a real date
        ("2015-13-01T00:00:00Z", "2.0"),
        ("2015-01-01T24:00:00Z", "2.0"),
        ("2015-01-01T00:00:00+24:00", "1.0"),
        ("2015-01-01T00:00:00+05:60", "2.0"),
        ("２０１５-01-01T00:00:00Z", "1.0"),  # full-width digits
        ("2015-01-01", "1.0"),
    ],
)
def test_parse_timestamp_rejects(value: str, version: XapiVersion) -> None:
    with pytest.raises(StatementValidationError, match=r"^statement\.timestamp: "):
        parse_timestamp(value, "statement.timestamp", version)


@pytest.mark.parametrize("value", [None, 12345, {"t": 1}])
def test_parse_timestamp_rejects_non_strings(value: object) -> None:
    with pytest.raises(StatementValidationError, match=r"^since: "):
        parse_timestamp(value, "since", "2.0")  # type: ignore[arg-type]
