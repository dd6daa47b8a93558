"""Server-rendered pages: a person's year and a school's year (Vietnamese, then English).

Plain HTML, no script, every value escaped (same habits as the catalog page).
"""

from __future__ import annotations

from html import escape

from gateway.bdtx.summary import DONE, PersonYear, SchoolYear

_CSS = """
body { margin: 0; font: 16px/1.5 system-ui, "Segoe UI", Roboto, Arial, sans-serif;
  color: #1f2933; background: #f7f9fb; }
main { max-width: 64rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h1 small, th small { display: block;
  font-weight: normal; color: #616e7c; font-size: .9rem; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid #d9e2ec;
  margin: 1rem 0; }
th, td { text-align: left; padding: .5rem .7rem; border-bottom: 1px solid #d9e2ec; }
th { background: #eef2f6; } td.num { text-align: right; }
.done { color: #0b6e4f; font-weight: 600; } .not-done { color: #b42318; font-weight: 600; }
.meta { color: #616e7c; }
"""


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def _status(status: str, closed: bool) -> str:
    css = "done" if status == DONE else "not-done"
    english = "Completed" if status == DONE else "Not completed"
    note = "" if closed else " <small>(tạm tính, năm học chưa kết thúc / so far)</small>"
    return f'<span class="{css}">{escape(status)} / {english}</span>{note}'


def render_person_page(year: PersonYear) -> str:
    """A person's modules, periods and status for one school year."""
    person = year.person
    rows = "".join(
        "<tr>"
        f"<td>{escape(line.module_code)}</td><td>{escape(line.title)}</td>"
        f'<td class="num">{line.periods}</td>'
        f'<td class="num">{"" if line.score is None else f"{line.score:g}"}</td>'
        f"<td>{escape(line.earned_at[:10])}</td>"
        f"<td>{escape(line.delivery or '-')}</td>"
        "</tr>"
        for line in year.modules
    )
    if not rows:
        rows = '<tr><td colspan="6">Chưa có mô đun nào / no module yet</td></tr>'
    body = (
        f"<h1>{escape(person.name)}<small>Mã TEMIS / TEMIS id: {escape(person.temis_id)} · "
        f"{escape(person.role)} {escape(person.level)} · {escape(person.school_name)} "
        f"({escape(person.school_code)})</small></h1>"
        f'<p class="meta">Năm học / school year {escape(year.school_year)}</p>'
        f"<p>Số tiết CT03 / CT03 periods: <strong>{year.ct03_periods}</strong> / "
        f"{year.ct03_required} · Tổng / total {year.periods_earned} / {year.required_periods}"
        f" · {_status(year.status, year.year_closed)}</p>"
        "<table><thead><tr><th>Mã mô đun<small>Code</small></th>"
        "<th>Mô đun<small>Module</small></th><th>Số tiết<small>Periods</small></th>"
        "<th>Điểm<small>Score</small></th><th>Hoàn thành<small>Completed</small></th>"
        "<th>Gửi TEMIS<small>Delivery</small></th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )
    return _page(f"BDTX {person.name} {year.school_year}", body)


def render_school_page(school: SchoolYear) -> str:
    """Every person of a school with their periods and status."""
    rows = "".join(
        "<tr>"
        f'<td><a href="/bdtx/people/{escape(p.person.temis_id)}?year={escape(p.school_year)}">'
        f"{escape(p.person.name)}</a></td><td>{escape(p.person.temis_id)}</td>"
        f"<td>{escape(p.person.role)}</td>"
        f'<td class="num">{len(p.modules)}</td><td class="num">{p.ct03_periods}</td>'
        f"<td>{_status(p.status, p.year_closed)}</td>"
        "</tr>"
        for p in school.people
    )
    body = (
        f"<h1>{escape(school.school_name or school.school_code)}"
        f"<small>Mã trường / school code {escape(school.school_code)} · "
        f"Năm học / school year {escape(school.school_year)}</small></h1>"
        f"<p>Hoàn thành / completed: <strong>{school.done}</strong> / {len(school.people)}</p>"
        "<table><thead><tr><th>Họ và tên<small>Name</small></th><th>Mã TEMIS<small>TEMIS id"
        "</small></th><th>Đối tượng<small>Role</small></th><th>Mô đun<small>Modules</small>"
        "</th><th>Tiết CT03<small>CT03 periods</small></th><th>Kết quả<small>Status</small>"
        f"</th></tr></thead><tbody>{rows}</tbody></table>"
    )
    return _page(f"BDTX {school.school_code} {school.school_year}", body)
