"""Comparing an imported table with the stored catalog, without a database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gateway.catalog.codes import parse_module_code
from gateway.catalog.models import CatalogModule
from gateway.catalog.releases import FieldChange, compare_rows, search_text_for
from gateway.catalog.seed import seed_rows
from gateway.catalog.tables import ModuleRow
from gateway.catalog.terms import Audience, Level, format_levels


def stored(rows: list[ModuleRow], *, inactive: frozenset[str] = frozenset()) -> list[CatalogModule]:
    """Transient module objects as the database would hold them after importing ``rows``."""
    modules = []
    for position, row in enumerate(rows, start=1):
        module = CatalogModule(
            key=row.code.key,
            title=row.title,
            levels=format_levels(row.levels),
            audience=row.audience.value,
            periods=row.periods,
            block=row.block,
            description="",
            activity_id="https://gateway.test/catalog/modules/" + row.code.key,
            active=row.code.key not in inactive,
            position=position,
        )
        modules.append(module)
    return modules


def by_key(rows: list[ModuleRow], text: str) -> ModuleRow:
    """The row with the given code."""
    key = parse_module_code(text).key
    return next(row for row in rows if row.code.key == key)


def test_the_same_table_is_an_empty_diff() -> None:
    """Re-importing the current catalog changes nothing."""
    rows = seed_rows()
    diff = compare_rows(stored(rows), rows)
    assert diff.is_empty
    assert diff.unchanged == tuple(rows)


def test_changed_added_and_removed_modules_are_reported_exactly() -> None:
    """One module's periods change, one is added, one removed: exactly that, field by field."""
    rows = seed_rows()
    new_table = [replace(r, periods=40) if r.code.key == "GVMN2" else r for r in rows]
    new_table = [r for r in new_table if r.code.key != "QLMN10"]
    added = ModuleRow(14, parse_module_code("GVMN 40"), "Mô đun mới", 20, (Level.MN,), Audience.GV)
    new_table.append(added)

    diff = compare_rows(stored(rows), new_table)

    assert diff.added == (added,)
    assert [(c.row.code.key, c.changes) for c in diff.changed] == [
        ("GVMN2", (FieldChange("periods", 20, 40),))
    ]
    assert [r.code.key for r in diff.removed] == ["QLMN10"]
    assert len(diff.unchanged) == 10
    assert not diff.is_empty
    assert diff.restored == frozenset()


def test_title_and_level_changes_show_before_and_after() -> None:
    """A renamed module and a level widened from PT to PT,GDTX."""
    rows = seed_rows()
    old = [replace(r, levels=(Level.PT,)) if r.code.key == "GVPT15" else r for r in rows]
    new = [replace(r, title="Tên mới") if r.code.key == "QLPT18" else r for r in rows]
    diff = compare_rows(stored(old), new)
    changes = {c.row.code.key: c.changes for c in diff.changed}
    assert changes == {
        "GVPT15": (FieldChange("levels", "PT", "PT,GDTX"),),
        "QLPT18": (FieldChange("title", "Ứng dụng CNTT trong quản lý nhà trường", "Tên mới"),),
    }
    assert changes["GVPT15"][0].label == "Cấp học / levels"


def test_a_removed_module_that_returns_is_added_and_marked_restored() -> None:
    """Inactive modules keep their history; bringing one back is an addition."""
    rows = seed_rows()
    diff = compare_rows(stored(rows, inactive=frozenset({"QLMN10"})), rows)
    assert [r.code.key for r in diff.added] == ["QLMN10"]
    assert diff.restored == frozenset({"QLMN10"})
    assert diff.removed == ()


def test_an_inactive_module_missing_from_the_table_is_not_removed_again() -> None:
    """Only active modules can be removed."""
    rows = seed_rows()
    table = [r for r in rows if r.code.key != "QLMN10"]
    diff = compare_rows(stored(rows, inactive=frozenset({"QLMN10"})), table)
    assert diff.is_empty


def test_removed_modules_come_in_catalog_order() -> None:
    """So the printed diff reads like the table."""
    rows = seed_rows()
    diff = compare_rows(stored(rows), rows[:1])
    assert [r.code.display for r in diff.removed] == [r.code.display for r in rows[1:]]


@pytest.mark.parametrize("query", ["ky luat", "KỶ LUẬT", "gvmn 25", "gvmn25"])
def test_search_text_holds_code_forms_and_folded_title(query: str) -> None:
    """What the accent-free search matches against."""
    rows = seed_rows()
    module = stored([by_key(rows, "GVMN 25")])[0]
    text = search_text_for(module)
    assert all(
        word in text for word in query.casefold().replace("ỷ", "y").replace("ậ", "a").split()
    )
