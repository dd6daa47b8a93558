"""The catalog's HTTP face: JSON API and the /catalog page, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from gateway.catalog.releases import apply_release
from gateway.catalog.routes import build_router
from gateway.catalog.seed import SEED_LABEL, ensure_seeded, seed_rows
from learning_store.database import make_engine, make_session_factory

ACTIVITY_BASE = "https://gateway.test/catalog/modules/"
ANNEX_ORDER = [
    "GVMN2", "GVMN7", "GVMN21", "GVMN33", "GVMN25", "QLMN29",
    "QLMN8", "QLMN24", "QLMN17", "QLMN10", "GVPT15", "QLPT18",
]  # fmt: skip


@dataclass(frozen=True)
class Catalog:
    """A test client over the catalog router and the sessions behind it."""

    client: TestClient
    sessions: sessionmaker[Session]

    def module_keys(self, **params: Any) -> list[str]:
        """Keys of ``GET /api/catalog/modules`` with the given query."""
        response = self.client.get("/api/catalog/modules", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["count"] == len(body["modules"])
        return [module["key"] for module in body["modules"]]

    def remove_qlmn10(self) -> None:
        """Apply a release without QLMN 10 (it becomes inactive)."""
        rows = [row for row in seed_rows() if row.code.key != "QLMN10"]
        with self.sessions.begin() as session:
            apply_release(session, rows, "Gỡ QLMN 10", activity_base=ACTIVITY_BASE)


@pytest.fixture
def catalog(database_url: str) -> Iterator[Catalog]:
    """The router mounted on a bare app, over a fresh seeded database."""
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        ensure_seeded(session, activity_base=ACTIVITY_BASE)

    def session_dependency() -> Iterator[Session]:
        with sessions() as session:
            yield session

    app = FastAPI()
    app.include_router(build_router(session_dependency))
    with TestClient(app) as client:
        yield Catalog(client, sessions)
    engine.dispose()


def test_all_active_modules_in_annex_order(catalog: Catalog) -> None:
    """No filter: the 12 seed modules, as the annex lists them."""
    assert catalog.module_keys() == ANNEX_ORDER


def test_a_module_as_json(catalog: Catalog) -> None:
    """Both code forms, levels as a list, the activity IRI under the configured base."""
    body = catalog.client.get("/api/catalog/modules", params={"code": "GVPT15"}).json()
    assert body["modules"] == [
        {
            "code": "GVPT 15",
            "key": "GVPT15",
            "title": (
                "Ứng dụng CNTT khai thác và sử dụng thiết bị công nghệ trong dạy học và "
                "giáo dục học sinh phổ thông"
            ),
            "levels": ["PT", "GDTX"],
            "audience": "GV",
            "periods": 40,
            "block": "CT03",
            "description": "",
            "activity_id": ACTIVITY_BASE + "GVPT15",
            "active": True,
        }
    ]


# One database per backend serves every read-only case below (a fresh PostgreSQL database
# per case would cost a second each).
FILTER_CASES: list[tuple[dict[str, str], list[str]]] = [
    ({"level": "GDTX"}, ["GVPT15", "QLPT18"]),
    ({"level": "pt"}, ["GVPT15", "QLPT18"]),
    ({"level": "Mầm non"}, ANNEX_ORDER[:10]),
    ({"audience": "CBQL"}, ["QLMN29", "QLMN8", "QLMN24", "QLMN17", "QLMN10", "QLPT18"]),
    ({"audience": "giáo viên"}, ["GVMN2", "GVMN7", "GVMN21", "GVMN33", "GVMN25", "GVPT15"]),
    ({"code": "gvpt-015"}, ["GVPT15"]),
    ({"code": "Mô đun GVMN 25"}, ["GVMN25"]),
    ({"code": "QLPT 99"}, []),
    ({"q": "ky luat"}, ["GVMN25"]),
    ({"q": "KỶ LUẬT"}, ["GVMN25"]),
    ({"q": "cntt quan ly"}, ["QLPT18"]),
    ({"q": "gvmn 2"}, ["GVMN2"]),
    ({"q": "GVMN"}, ["GVMN2", "GVMN7", "GVMN21", "GVMN33", "GVMN25"]),
    ({"q": "100%"}, []),
    ({"q": "_"}, []),
    ({"level": "MN", "audience": "GV", "q": "tre em"}, ["GVMN7", "GVMN21", "GVMN33", "GVMN25"]),
    ({"level": "PT", "audience": "CBQL"}, ["QLPT18"]),
]
BAD_FILTER_CASES: list[tuple[dict[str, str], str]] = [
    ({"level": "THCS"}, "level"),
    ({"audience": "học sinh"}, "audience"),
    ({"code": "Mô đun 3"}, "2018"),
    ({"code": "GVXX 1"}, "invalid BDTX module code"),
]


def test_filters(catalog: Catalog) -> None:
    """Filters combine; q ignores case and diacritics; code accepts any spelling."""
    results = {repr(params): catalog.module_keys(**params) for params, _ in FILTER_CASES}
    assert results == {repr(params): expected for params, expected in FILTER_CASES}


def test_bad_filters_are_400_with_a_bilingual_reason(catalog: Catalog) -> None:
    """A filter that cannot match anything is the caller's mistake, said in both languages."""
    for params, fragment in BAD_FILTER_CASES:
        response = catalog.client.get("/api/catalog/modules", params=params)
        assert response.status_code == 400, params
        assert fragment in response.json()["detail"], params


def test_removed_modules_only_with_include_inactive(catalog: Catalog) -> None:
    """History is kept: a removed module is listed, last and inactive, on request."""
    catalog.remove_qlmn10()
    assert "QLMN10" not in catalog.module_keys()
    everything = catalog.client.get(
        "/api/catalog/modules", params={"include_inactive": "true"}
    ).json()["modules"]
    assert [m["key"] for m in everything][-1] == "QLMN10"
    assert everything[-1]["active"] is False
    assert len(everything) == 12


def test_one_module_by_any_spelling_of_its_code(catalog: Catalog) -> None:
    """The path takes any accepted spelling and answers with the canonical module."""
    bodies = [
        catalog.client.get(f"/api/catalog/modules/{code}").json()
        for code in ("GVPT15", "GVPT 15", "gvpt-015", "Mô đun GVPT 15", "ＧＶＰＴ１５")
    ]
    assert all(body == bodies[0] for body in bodies)
    body = bodies[0]
    assert (body["key"], body["code"], body["periods"]) == ("GVPT15", "GVPT 15", 40)
    assert [(v["release"], v["change"], v["periods"]) for v in body["versions"]] == [
        (1, "added", 40)
    ]
    assert body["versions"][0]["release_label"] == SEED_LABEL


def test_a_removed_module_keeps_its_history(catalog: Catalog) -> None:
    """Credits point at versions, so a removed module still answers, inactive."""
    catalog.remove_qlmn10()
    body = catalog.client.get("/api/catalog/modules/QLMN10").json()
    assert body["active"] is False
    assert [(v["release"], v["change"], v["removed"]) for v in body["versions"]] == [
        (1, "added", False),
        (2, "removed", True),
    ]


def test_unknown_and_invalid_codes(catalog: Catalog) -> None:
    """404 for a well-formed code the catalog never had, 400 for text that is no code."""
    unknown = catalog.client.get("/api/catalog/modules/GVPT 99")
    assert unknown.status_code == 404
    assert "GVPT 99" in unknown.json()["detail"]
    invalid = catalog.client.get("/api/catalog/modules/Mô đun 3")
    assert invalid.status_code == 400
    assert "2018" in invalid.json()["detail"]


def test_releases_newest_first_with_their_changes(catalog: Catalog) -> None:
    """Each release with what it added, changed and removed."""
    catalog.remove_qlmn10()
    body = catalog.client.get("/api/catalog/releases").json()
    assert [(r["number"], r["label"], r["added"], r["changed"], r["removed"]) for r in body] == [
        (2, "Gỡ QLMN 10", 0, 0, 1),
        (1, SEED_LABEL, 12, 0, 0),
    ]
    assert body[1]["source"] == "seed_2026_01.tsv"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body[1]["created"])


def _rows(html: str) -> list[str]:
    return re.findall(r'<td class="code">([^<]*)</td>', html)


def test_the_catalog_page_lists_every_module_vietnamese_first(catalog: Catalog) -> None:
    """A plain HTML page: Vietnamese, then English; one table row per module."""
    response = catalog.client.get("/catalog")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert '<html lang="vi">' in html
    assert html.index("Danh mục học liệu BDTX") < html.index("BDTX learning-module catalog")
    assert "Công văn 01/2026" in html
    assert len(_rows(html)) == 12
    assert "Phổ thông, GDTX" in html


def test_the_page_searches_without_diacritics(catalog: Catalog) -> None:
    """The search box behaves like the API's q, level and audience."""
    assert _rows(catalog.client.get("/catalog", params={"q": "ky luat"}).text) == ["GVMN 25"]
    html = catalog.client.get("/catalog", params={"level": "PT", "audience": "CBQL"}).text
    assert _rows(html) == ["QLPT 18"]
    assert '<option value="PT" selected>' in html


def test_the_page_escapes_the_query_and_says_when_nothing_matches(catalog: Catalog) -> None:
    """What the user typed is echoed escaped, never as markup."""
    html = catalog.client.get("/catalog", params={"q": '<script>"x"</script>'}).text
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "Không tìm thấy mô đun nào / No module found" in html


def test_the_page_reports_a_bad_filter(catalog: Catalog) -> None:
    """A bad level is explained on the page with status 400."""
    response = catalog.client.get("/catalog", params={"level": "THCS"})
    assert response.status_code == 400
    assert 'role="alert"' in response.text
