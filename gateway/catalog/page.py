"""The server-rendered catalog page (Vietnamese first, then English).

Plain HTML and a little CSS, no script: it must work on school computers and inside an
LMS iframe. Every value from the database or the request is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from gateway.catalog.models import CatalogModule, CatalogRelease
from gateway.catalog.terms import Audience, Level, level_label

_LEVEL_NAMES: dict[Level, str] = {
    Level.MN: "Mầm non / Preschool (MN)",
    Level.PT: "Phổ thông / General education (PT)",
    Level.GDTX: "Giáo dục thường xuyên / Continuing education (GDTX)",
}
_AUDIENCE_LABELS: dict[Audience, str] = {
    Audience.GV: "Giáo viên / Teachers",
    Audience.CBQL: "Cán bộ quản lý / School managers",
}

_CSS = """
:root { color-scheme: light; --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec;
  --accent: #0b6e4f; --bg: #f7f9fb; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, "Segoe UI", Roboto, Arial, sans-serif;
  color: var(--ink); background: var(--bg); }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; }
h1 small { display: block; font-size: 1rem; font-weight: normal; color: var(--muted); }
.release { color: var(--muted); margin: 0 0 1.25rem; }
form { display: flex; flex-wrap: wrap; gap: .5rem; margin-bottom: 1rem; }
input, select, button { font: inherit; padding: .45rem .6rem; border: 1px solid var(--line);
  border-radius: .35rem; background: #fff; }
input[type=search] { flex: 1 1 18rem; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
.error { background: #fde8e8; border: 1px solid #f5b5b5; padding: .6rem .8rem;
  border-radius: .35rem; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: .55rem .7rem; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: #eef2f6; font-weight: 600; font-size: .9rem; }
th small { display: block; font-weight: normal; color: var(--muted); }
td.code { white-space: nowrap; font-weight: 600; }
td.num { text-align: right; }
.count { color: var(--muted); margin: .75rem 0; }
"""


def render_catalog_page(
    modules: Sequence[CatalogModule],
    release: CatalogRelease | None,
    *,
    query: str = "",
    level: Level | None = None,
    audience: Audience | None = None,
    error: str | None = None,
) -> str:
    """The whole page for the given search results."""
    parts = [
        "<!doctype html>",
        '<html lang="vi"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Danh mục học liệu BDTX / BDTX module catalog</title>",
        f"<style>{_CSS}</style></head><body><main>",
        "<h1>Danh mục học liệu BDTX<small>BDTX learning-module catalog</small></h1>",
        _release_line(release),
        _search_form(query, level, audience),
    ]
    if error:
        parts.append(f'<p class="error" role="alert">{escape(error)}</p>')
    if modules:
        parts.append(
            f'<p class="count">{len(modules)} mô đun / {len(modules)} '
            f"module{'' if len(modules) == 1 else 's'}</p>"
        )
        parts.append(_table(modules))
    else:
        parts.append(_empty())
    parts.append("</main></body></html>")
    return "\n".join(parts)


def _release_line(release: CatalogRelease | None) -> str:
    if release is None:
        return '<p class="release">Chưa có danh mục / The catalog is empty</p>'
    return (
        f'<p class="release">Phát hành số / Release {release.number}: '
        f"{escape(release.label)} · {escape(release.created[:10])}</p>"
    )


def _search_form(query: str, level: Level | None, audience: Audience | None) -> str:
    level_options = [_option("", "Mọi cấp học / All levels", level is None)] + [
        _option(item.value, _LEVEL_NAMES[item], item is level) for item in Level
    ]
    audience_options = [_option("", "Mọi đối tượng / Everyone", audience is None)] + [
        _option(item.value, _AUDIENCE_LABELS[item], item is audience) for item in Audience
    ]
    return (
        '<form method="get" action="" role="search">'
        '<input type="search" name="q" aria-label="Tìm kiếm / Search" '
        'placeholder="Tìm theo tên hoặc mã, có dấu hay không / Search by title or code" '
        f'value="{escape(query, quote=True)}">'
        '<select name="level" aria-label="Cấp học / Level">'
        + "".join(level_options)
        + '</select><select name="audience" aria-label="Đối tượng / Audience">'
        + "".join(audience_options)
        + '</select><button type="submit">Tìm / Search</button></form>'
    )


def _option(value: str, label: str, selected: bool) -> str:
    chosen = " selected" if selected else ""
    return f'<option value="{escape(value, quote=True)}"{chosen}>{escape(label)}</option>'


def _table(modules: Sequence[CatalogModule]) -> str:
    head = "".join(
        f"<th>{vi}<small>{en}</small></th>"
        for vi, en in (
            ("Mã", "Code"),
            ("Mô đun", "Module"),
            ("Cấp học", "Level"),
            ("Đối tượng", "Audience"),
            ("Số tiết", "Periods"),
        )
    )
    rows = []
    for module in modules:
        inactive = "" if module.active else " <small>(đã gỡ / removed)</small>"
        rows.append(
            "<tr>"
            f'<td class="code">{escape(module.code.display)}</td>'
            f"<td>{escape(module.title)}{inactive}</td>"
            f"<td>{escape(level_label(module.level_set))}</td>"
            f'<td title="{escape(_AUDIENCE_LABELS[module.audience_term], quote=True)}">'
            f"{escape(module.audience)}</td>"
            f'<td class="num">{module.periods}</td>'
            "</tr>"
        )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _empty() -> str:
    return '<p class="count">Không tìm thấy mô đun nào / No module found</p>'
