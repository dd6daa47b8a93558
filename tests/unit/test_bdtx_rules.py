"""The module rule, school years and statement reading, without a database."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from gateway.bdtx.credits import FactRow, earn
from gateway.bdtx.errors import BdtxInputError
from gateway.bdtx.mapping import Fact, Voiding, read_statement, scaled_score
from gateway.bdtx.models import RULE_CMI5, RULE_XAPI
from gateway.bdtx.years import YearBoundary, canonical_year

IRI = "https://gw.example/catalog/modules/GVMN2"


def fact(seq: int, year: str, at: str, **flags: object) -> FactRow:
    values: dict[str, object] = {
        "completion": False,
        "success": None,
        "satisfied": False,
        "scaled": None,
    }
    values.update(flags)
    return FactRow(
        seq=seq,
        statement_id=f"s{seq}",
        actor_ifi="a",
        version_id=7,
        school_year=year,
        occurred=at,
        stored=at,
        registration=None,
        **values,  # type: ignore[arg-type]
    )


def test_year_boundary_is_first_of_august_in_vietnam() -> None:
    """BDTX.md School year [assumed]: 1 August -> 31 July, named 2025-2026, Vietnam time."""
    boundary = YearBoundary()
    assert boundary.year_of(datetime(2025, 8, 1, 0, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))) == (
        "2025-2026"
    )
    assert boundary.year_of(datetime(2025, 7, 31, 16, 59, tzinfo=UTC)) == "2024-2025"
    assert boundary.year_of(datetime(2025, 7, 31, 17, 0, tzinfo=UTC)) == "2025-2026"
    assert boundary.year_of(datetime(2026, 7, 31, 16, 59, tzinfo=UTC)) == "2025-2026"
    start, end = boundary.bounds("2025-2026")
    assert (start.isoformat(), end.isoformat()) == (
        "2025-07-31T17:00:00+00:00",
        "2026-07-31T17:00:00+00:00",
    )


def test_a_configured_boundary_moves_the_year() -> None:
    """The boundary is configurable (month, day, zone)."""
    september = YearBoundary(9, 5, ZoneInfo("UTC"))
    assert september.year_of(datetime(2025, 9, 4, tzinfo=UTC)) == "2024-2025"
    assert september.year_of(datetime(2025, 9, 5, tzinfo=UTC)) == "2025-2026"


def test_year_names_are_checked() -> None:
    """A school year is two consecutive years; anything else names the field."""
    assert canonical_year("2025/2026") == "2025-2026"
    with pytest.raises(BdtxInputError) as error:
        canonical_year("2025-2027")
    assert error.value.field == "school_year"


def test_xapi_rule_needs_completion_and_a_pass_at_the_threshold() -> None:
    """completed + passed with scaled >= 0.5; failures and low passes earn nothing."""
    y = "2025-2026"
    assert earn([fact(1, y, "2025-10-01", completion=True)], RULE_XAPI, 0.5) == {}
    low = [fact(1, y, "t1", completion=True), fact(2, y, "t2", success=True, scaled=0.49)]
    assert earn(low, RULE_XAPI, 0.5) == {}
    ok = [
        *low,
        fact(3, y, "t3", success=False, scaled=0.2),
        fact(4, y, "t4", success=True, scaled=0.5),
    ]
    [credit] = earn(ok, RULE_XAPI, 0.5).values()
    assert (credit.earned_at, credit.score, credit.statement_ids) == ("t4", 5.0, ["s1", "s4"])


def test_cmi5_rule_needs_satisfied() -> None:
    """cmi5 modules count on satisfied; the best passed score is kept."""
    y = "2025-2026"
    facts = [fact(1, y, "t1", completion=True), fact(2, y, "t2", success=True, scaled=0.7)]
    assert earn(facts, RULE_CMI5, 0.5) == {}
    [credit] = earn([*facts, fact(3, y, "t3", satisfied=True)], RULE_CMI5, 0.5).values()
    assert (credit.earned_at, credit.score) == ("t3", 7.0)


def test_the_result_does_not_depend_on_arrival_order() -> None:
    """Facts are ordered by time, then feed position: any arrival order, same credits."""
    y = "2025-2026"
    facts = [
        fact(5, y, "2025-10-02", success=True, scaled=0.8),
        fact(2, y, "2025-10-01", completion=True),
        fact(9, y, "2025-12-01", success=True, scaled=0.9),
    ]
    forward = earn(facts, RULE_XAPI, 0.5)
    backward = earn(list(reversed(facts)), RULE_XAPI, 0.5)
    assert forward == backward
    assert forward[y].score == 9.0


def test_old_facts_do_not_carry_over_two_years() -> None:
    """A completion from two years ago does not pair with this year's pass."""
    facts = [
        fact(1, "2023-2024", "2024-01-01", completion=True),
        fact(2, "2025-2026", "2025-10-01", success=True, scaled=0.9),
    ]
    assert earn(facts, RULE_XAPI, 0.5) == {}


def test_reading_statements() -> None:
    """Object, parent or grouping IRIs map; groups, unknown IRIs and plain verbs do not."""
    modules = {IRI: "GVMN2"}.get
    base = {
        "id": "ABC",
        "actor": {"mbox": "mailto:a@b.vn"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/passed"},
        "object": {"id": "https://elsewhere/x"},
        "context": {"contextActivities": {"parent": [{"id": IRI}]}},
        "result": {"score": {"raw": 7, "min": 0, "max": 10}},
        "timestamp": "2025-10-01T09:00:00+07:00",
        "stored": "2025-10-01T02:00:01.000Z",
    }
    found = read_statement(base, modules)
    assert isinstance(found, Fact)
    assert (found.statement_id, found.module_key, found.success, found.scaled) == (
        "abc",
        "GVMN2",
        True,
        0.7,
    )
    assert read_statement({**base, "context": {}}, modules) is None
    assert read_statement({**base, "actor": {"objectType": "Group", "member": []}}, modules) is None
    experienced = {**base, "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"}}
    assert read_statement({**experienced, "result": {}}, modules) is None
    voids = read_statement(
        {**base, "verb": {"id": "http://adlnet.gov/expapi/verbs/voided"},
         "object": {"objectType": "StatementRef", "id": "DEF"}},
        modules,
    )  # fmt: skip
    assert voids == Voiding("abc", "def")
    assert scaled_score({"scaled": 0.25}) == 0.25
    assert scaled_score({"raw": 3}) is None
