"""Server-rendered content pages (Vietnamese first, then English): the content list, the
demo launch form and the page a learner returns to after an AU.

Plain HTML without script, like the catalog page; every value is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from gateway.catalog.cmi5.structure import AssignableUnit, best_text
from gateway.catalog.models import CatalogModule
from gateway.catalog.page import _CSS as CATALOG_CSS

_MOVE_ON_LABELS = {
    "NotApplicable": "không yêu cầu / not required",
    "Passed": "đạt bài kiểm tra / passed",
    "Completed": "hoàn thành / completed",
    "CompletedAndPassed": "hoàn thành và đạt / completed and passed",
    "CompletedOrPassed": "hoàn thành hoặc đạt / completed or passed",
}


@dataclass(frozen=True)
class ModuleContentRow:
    """One line of the content page."""

    module: CatalogModule
    package_title: str | None
    package_kind: str | None
    source: str | None
    units: int


@dataclass(frozen=True)
class UnitStatus:
    """How far a learner got in one AU."""

    au: AssignableUnit
    completed: bool
    passed: bool
    met: bool


def _page(title_vi: str, title_en: str, body: str) -> str:
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="vi"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{escape(title_vi)} / {escape(title_en)}</title>",
            f"<style>{CATALOG_CSS} .ok {{ color: var(--accent); font-weight: 600; }}"
            " label { display: block; margin: .4rem 0; } fieldset { border: 0; padding: 0; }"
            "</style></head><body><main>",
            f"<h1>{escape(title_vi)}<small>{escape(title_en)}</small></h1>",
            body,
            "</main></body></html>",
        ]
    )


def render_content_page(rows: Sequence[ModuleContentRow], demo_launch: bool) -> str:
    """Which module has which content, with a link to try it."""
    head = "".join(
        f"<th>{vi}<small>{en}</small></th>"
        for vi, en in (
            ("Mã", "Code"),
            ("Mô đun", "Module"),
            ("Học liệu", "Content"),
            ("Số AU", "AUs"),
            ("", ""),
        )
    )
    lines = []
    for row in rows:
        if row.package_title is None:
            content = "<small>chưa có / none</small>"
        else:
            origin = "minh họa / demo" if row.source == "demo" else "tải lên / uploaded"
            content = (
                f"{escape(row.package_title)} <small>({escape(row.package_kind or '')}, "
                f"{origin})</small>"
            )
        link = ""
        if demo_launch and row.package_kind == "cmi5":
            link = (
                f'<a href="/content/launch/{escape(row.module.key, quote=True)}">Học thử / Try</a>'
            )
        lines.append(
            f'<tr><td class="code">{escape(row.module.code.display)}</td>'
            f"<td>{escape(row.module.title)}</td><td>{content}</td>"
            f'<td class="num">{row.units or ""}</td><td>{link}</td></tr>'
        )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"
    return _page("Học liệu của các mô đun", "Module content", table)


def render_launch_form(
    module: CatalogModule, units: Sequence[AssignableUnit], error: str | None = None
) -> str:
    """The demo launch form: a learner name and, for several AUs, which one."""
    parts = [
        f'<p class="release">{escape(module.code.display)} · {escape(module.title)}</p>',
        '<p class="count">Trang học thử, không dùng cho học viên thật / a demo launch, not '
        "for real learners (they launch from their LMS)</p>",
    ]
    if error:
        parts.append(f'<p class="error" role="alert">{escape(error)}</p>')
    choices = ""
    if len(units) > 1:
        options = "".join(
            f'<label><input type="radio" name="au" value="{escape(au.id, quote=True)}"'
            f"{' checked' if index == 0 else ''}> {escape(best_text(au.title))}"
            f" <small>({escape(_MOVE_ON_LABELS.get(au.move_on, au.move_on))})</small></label>"
            for index, au in enumerate(units)
        )
        choices = f"<fieldset><legend>Bài học / Unit</legend>{options}</fieldset>"
    parts.append(
        '<form method="post" action="">'
        '<label>Tên người học / Learner name <input name="learner" id="learner" required '
        'maxlength="100" autocomplete="name"></label>'
        f'{choices}<button type="submit" id="launch">Bắt đầu học / Start</button></form>'
    )
    return _page("Học thử mô đun", "Try a module", "".join(parts))


def render_return_page(
    module: CatalogModule,
    learner: str,
    registration: str | None,
    units: Sequence[UnitStatus],
    course_satisfied: bool,
    verbs: Sequence[str],
) -> str:
    """Where the AU sends the learner back (returnURL): progress in this registration."""
    if registration is None:
        body = '<p class="count">Chưa có lượt học / no registration yet</p>'
        return _page("Kết quả học tập", "Learning result", body)
    rows = "".join(
        f"<tr><td>{escape(best_text(status.au.title))}</td>"
        f"<td>{'✓' if status.completed else '–'}</td><td>{'✓' if status.passed else '–'}</td>"
        f"<td>{'✓' if status.met else '–'}</td></tr>"
        for status in units
    )
    verdict = (
        '<p class="ok" id="satisfied">Đã hoàn thành khóa học (satisfied) / course satisfied</p>'
        if course_satisfied
        else '<p class="count" id="not-satisfied">Chưa hoàn thành khóa học / course not yet '
        "satisfied</p>"
    )
    body = (
        f'<p class="release">{escape(module.code.display)} · {escape(module.title)} · '
        f"{escape(learner)}</p>{verdict}"
        "<table><thead><tr><th>Bài học<small>Unit</small></th><th>Hoàn thành<small>Completed"
        "</small></th><th>Đạt<small>Passed</small></th><th>Yêu cầu (moveOn)<small>Met</small>"
        f"</th></tr></thead><tbody>{rows}</tbody></table>"
        f'<p class="count">Đăng ký / registration <code id="registration">'
        f"{escape(registration)}</code></p>"
        f'<p class="count" id="verbs">Bản ghi xAPI / xAPI statements: '
        f"{escape(', '.join(verbs))}</p>"
        f'<p><a href="/content/launch/{escape(module.key, quote=True)}">Học lại / Launch again'
        "</a></p>"
    )
    return _page("Kết quả học tập", "Learning result", body)
