"""Server-rendered pages of the LTI tool (Vietnamese first, English second).

Every page is small, works inside an LMS iframe and escapes every value. Error pages never
show a token: they show the error's public message only. Script, where a page needs it,
reads its data from a JSON block (``<`` escaped) instead of string-built JavaScript.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from gateway.lti.errors import LtiError

CSS = """
:root { color-scheme: light; --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec;
  --accent: #0b6e4f; --bg: #f7f9fb; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, "Segoe UI", Roboto, Arial, sans-serif;
  color: var(--ink); background: var(--bg); }
main { max-width: 60rem; margin: 0 auto; padding: 1.25rem 1rem 2rem; }
h1 { font-size: 1.35rem; margin: 0 0 .25rem; }
h1 small, h2 small { display: block; font-size: .95rem; font-weight: normal; color: var(--muted); }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
p.muted, .muted { color: var(--muted); }
form.search { display: flex; flex-wrap: wrap; gap: .5rem; margin: .75rem 0; }
input, select, button { font: inherit; padding: .45rem .6rem; border: 1px solid var(--line);
  border-radius: .35rem; background: #fff; }
input[type=search] { flex: 1 1 16rem; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
.error { background: #fde8e8; border: 1px solid #f5b5b5; padding: .75rem .9rem;
  border-radius: .35rem; }
.ok { background: #e6f4ea; border: 1px solid #a8d5b5; padding: .75rem .9rem;
  border-radius: .35rem; }
table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: .5rem .65rem; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { background: #eef2f6; font-weight: 600; font-size: .9rem; }
th small { display: block; font-weight: normal; color: var(--muted); }
td.code { white-space: nowrap; font-weight: 600; }
td.num { text-align: right; }
code, .value { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: .9rem; background: #eef2f6; padding: .1rem .3rem; border-radius: .25rem;
  word-break: break-all; }
dl.values { display: grid; grid-template-columns: minmax(10rem, 16rem) 1fr; gap: .4rem .8rem;
  background: #fff; border: 1px solid var(--line); padding: .8rem; border-radius: .35rem; }
dl.values dt { font-weight: 600; }
dl.values dt small { display: block; font-weight: normal; color: var(--muted); }
dl.values dd { margin: 0; }
.actions { margin-top: 1rem; display: flex; gap: .5rem; flex-wrap: wrap; }
a.button { display: inline-block; background: var(--accent); color: #fff; padding: .5rem .9rem;
  border-radius: .35rem; text-decoration: none; }
"""


def _json_block(element_id: str, data: dict[str, Any]) -> str:
    text = (
        json.dumps(data, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def document(title: str, body: str, *, script: str = "") -> str:
    """A whole page around ``body`` (already escaped HTML)."""
    return (
        '<!doctype html><html lang="vi"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{CSS}</style></head>"
        f"<body><main>{body}</main>{script}</body></html>"
    )


def error_page(error: LtiError) -> str:
    """The short page of a refused request: its title and public message, nothing else."""
    body = (
        f"<h1>{escape(error.title)}</h1>"
        f'<p class="error" role="alert">{escape(error.message)}</p>'
        '<p class="muted">Nếu lỗi lặp lại, hãy báo quản trị viên LMS. / If this happens again, '
        "tell your LMS administrator.</p>"
    )
    return document(error.title, body)


def js_redirect_page(location: str) -> str:
    """Navigate to ``location`` with script (and a link without it)."""
    script = _json_block("cfg", {"location": location}) + (
        "<script>window.location.replace("
        "JSON.parse(document.getElementById('cfg').textContent).location);</script>"
    )
    body = f'<p><a href="{escape(location, quote=True)}">Tiếp tục / Continue</a></p>'
    return document("Đang chuyển / Redirecting", body, script=script)


# LTI Client Side postMessages / Platform Storage: the frame that answers ``lti.*`` messages.
_STORAGE_JS = """
<script>
(function () {
  var cfg = JSON.parse(document.getElementById('cfg').textContent);
  var target = cfg.target === '_parent' ? window.parent
    : (window.parent.frames[cfg.target] || window.parent);
  var id = 'm-' + Math.random().toString(36).slice(2) + Date.now().toString(36);
  function send(message) {
    message.message_id = id;
    try { target.postMessage(message, cfg.origin); } catch (e) { fail(); }
  }
  window.addEventListener('message', function (event) {
    if (event.origin !== cfg.origin) { return; }
    var data = event.data || {};
    if (data.message_id !== id) { return; }
    if (data.subject === 'lti.put_data.response') { done(data); }
    if (data.subject === 'lti.get_data.response') { done(data); }
  });
  %s
})();
</script>
"""


def storage_redirect_page(location: str, target: str, key: str, value: str, origin: str) -> str:
    """Put the state in Platform Storage (``lti.put_data``), then go to the platform."""
    logic = """
  var finished = false;
  function go() {
    if (finished) { return; } finished = true; window.location.replace(cfg.location);
  }
  function done() { go(); }
  function fail() { go(); }
  send({subject: 'lti.put_data', key: cfg.key, value: cfg.value});
  setTimeout(go, 3000);
"""
    script = _json_block(
        "cfg", {"location": location, "target": target, "key": key, "value": value,
                "origin": origin}
    ) + _STORAGE_JS % logic  # fmt: skip
    body = (
        "<p>Đang kết nối với LMS… / Connecting to the LMS…</p>"
        f'<noscript><a href="{escape(location, quote=True)}">Tiếp tục / Continue</a></noscript>'
    )
    return document("Đang kết nối / Connecting", body, script=script)


def storage_check_page(confirm_url: str, pending: str, target: str, key: str, origin: str) -> str:
    """Read the state back from Platform Storage (``lti.get_data``) and confirm the launch."""
    logic = """
  var form = document.getElementById('confirm');
  var finished = false;
  function done(data) {
    if (finished) { return; } finished = true;
    form.elements.state.value = typeof data.value === 'string' ? data.value : '';
    form.submit();
  }
  function fail() {
    if (finished) { return; } finished = true;
    document.getElementById('status').textContent = cfg.failed;
  }
  send({subject: 'lti.get_data', key: cfg.key});
  setTimeout(fail, 5000);
"""
    failed = (
        "LMS không trả lời; hãy mở hoạt động trong cửa sổ mới. / The LMS did not answer; "
        "open the activity in a new window."
    )
    script = _json_block(
        "cfg", {"target": target, "key": key, "origin": origin, "failed": failed}
    ) + _STORAGE_JS % logic  # fmt: skip
    body = (
        '<p id="status" role="status">Đang xác minh lượt mở… / Verifying the launch…</p>'
        f'<form id="confirm" method="post" action="{escape(confirm_url, quote=True)}">'
        f'<input type="hidden" name="pending" value="{escape(pending, quote=True)}">'
        '<input type="hidden" name="state" value=""></form>'
    )
    return document("Đang xác minh / Verifying", body, script=script)


@dataclass(frozen=True)
class ModuleView:
    """What the module page shows about a catalog module."""

    code: str
    title: str
    periods: int
    description: str


def module_page(
    module: ModuleView | None,
    *,
    learner: str,
    course: str | None,
    open_url: str | None,
    notice: str | None = None,
) -> str:
    """The page a learner lands on after a resource-link launch."""
    parts = []
    if module is None:
        parts.append(
            "<h1>Chưa chọn mô đun<small>No module is linked to this activity</small></h1>"
            '<p class="error">Liên kết này chưa gắn mô đun BDTX nào; giáo viên cần chọn lại '
            "mô đun. / This link names no BDTX module; the teacher has to pick one again.</p>"
        )
    else:
        parts.append(
            f"<h1>{escape(module.code)} · {escape(module.title)}"
            f"<small>{module.periods} tiết / periods</small></h1>"
        )
        if module.description:
            parts.append(f"<p>{escape(module.description)}</p>")
    who = escape(learner)
    parts.append(f'<p class="muted">Người học / Learner: {who}')
    if course:
        parts.append(f" · Khoá học / Course: {escape(course)}")
    parts.append("</p>")
    if notice:
        parts.append(f'<p class="ok">{escape(notice)}</p>')
    if module is not None and open_url:
        parts.append(
            f'<div class="actions"><a class="button" href="{escape(open_url, quote=True)}">'
            "Bắt đầu học / Start the module</a></div>"
        )
    title = f"{module.code} · {module.title}" if module else "TEMIS BDTX"
    return document(title, "".join(parts))


@dataclass(frozen=True)
class PickerRow:
    """One module offered by the deep-linking picker."""

    key: str
    code: str
    title: str
    levels: str
    audience: str
    periods: int


def picker_page(
    rows: Sequence[PickerRow],
    *,
    action: str,
    search_action: str,
    token: str,
    query: str,
    multiple: bool,
    filters: Iterable[str] = (),
    error: str | None = None,
) -> str:
    """The Deep Linking 2.0 picker: search without diacritics, choose, return to the LMS."""
    hidden_token = f'<input type="hidden" name="lt" value="{escape(token, quote=True)}">'
    parts = [
        "<h1>Chọn mô đun BDTX<small>Choose a BDTX module for your course</small></h1>",
        f'<form class="search" method="get" action="{escape(search_action, quote=True)}" '
        'role="search">',
        hidden_token,
        '<input type="search" name="q" aria-label="Tìm kiếm / Search" '
        'placeholder="Tìm theo tên hoặc mã, có dấu hay không / Search by title or code" '
        f'value="{escape(query, quote=True)}">',
        '<button type="submit">Tìm / Search</button></form>',
    ]
    shown_filters = list(filters)
    if shown_filters:
        parts.append(
            '<p class="muted">Lọc theo / Filtered by: '
            + ", ".join(escape(item) for item in shown_filters)
            + "</p>"
        )
    if error:
        parts.append(f'<p class="error" role="alert">{escape(error)}</p>')
    if not rows:
        parts.append('<p class="muted">Không tìm thấy mô đun nào / No module found</p>')
        return document("Chọn mô đun / Choose a module", "".join(parts))
    kind = "checkbox" if multiple else "radio"
    head = "".join(
        f"<th>{vi}<small>{en}</small></th>"
        for vi, en in (
            ("Chọn", "Pick"),
            ("Mã", "Code"),
            ("Mô đun", "Module"),
            ("Cấp học", "Level"),
            ("Đối tượng", "Audience"),
            ("Số tiết", "Periods"),
        )
    )
    body_rows = []
    for row in rows:
        ident = f"m-{escape(row.key, quote=True)}"
        body_rows.append(
            "<tr>"
            f'<td><input type="{kind}" name="module" id="{ident}" '
            f'value="{escape(row.key, quote=True)}"></td>'
            f'<td class="code"><label for="{ident}">{escape(row.code)}</label></td>'
            f'<td><label for="{ident}">{escape(row.title)}</label></td>'
            f"<td>{escape(row.levels)}</td><td>{escape(row.audience)}</td>"
            f'<td class="num">{row.periods}</td></tr>'
        )
    parts.append(
        f'<form method="post" action="{escape(action, quote=True)}">{hidden_token}'
        f'<p class="muted">{len(rows)} mô đun / module{"" if len(rows) == 1 else "s"}</p>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body_rows)}</tbody></table>"
        '<div class="actions"><button type="submit" id="add">Thêm vào khoá học / Add to the '
        "course</button></div></form>"
    )
    return document("Chọn mô đun / Choose a module", "".join(parts))


def deep_link_return_page(return_url: str, jwt: str) -> str:
    """Post the signed Deep Linking response to the platform (auto-submitted form)."""
    body = (
        f'<form id="dl" method="post" action="{escape(return_url, quote=True)}">'
        f'<input type="hidden" name="JWT" value="{escape(jwt, quote=True)}">'
        "<p>Đang gửi lựa chọn về LMS… / Sending your choice to the LMS…</p>"
        '<noscript><button type="submit">Gửi / Send</button></noscript></form>'
    )
    script = "<script>document.getElementById('dl').submit();</script>"
    return document("Đang gửi / Sending", body, script=script)


def registration_done_page(platform_name: str, client_id: str, active: bool) -> str:
    """End of dynamic registration; tells the platform to close the dialog."""
    state = (
        "Đăng ký đã sẵn sàng. / The registration is active."
        if active
        else "Quản trị viên cổng TEMIS cần kích hoạt đăng ký này trước khi dùng. / The gateway "
        "administrator has to activate this registration before it can be used."
    )
    body = (
        "<h1>Đã đăng ký công cụ<small>The tool is registered</small></h1>"
        f'<p class="ok">{escape(platform_name or "LMS")} · client_id '
        f"<code>{escape(client_id)}</code></p><p>{escape(state)}</p>"
        '<div class="actions"><button type="button" id="close">Đóng / Close</button></div>'
    )
    script = (
        "<script>(function(){function close(){var w=window.opener||window.parent;"
        "w.postMessage({subject:'org.imsglobal.lti.close'},'*');}"
        "document.getElementById('close').addEventListener('click',close);"
        "setTimeout(close,1500);})();</script>"
    )
    return document("Đã đăng ký / Registered", body, script=script)


@dataclass(frozen=True)
class SetupValue:
    """One value an LMS administrator copies into the LMS."""

    label_vi: str
    label_en: str
    value: str


def setup_page(sections: Sequence[tuple[str, str, Sequence[SetupValue]]], notes: str) -> str:
    """The manual set-up page: every value to type into Moodle or Canvas."""
    parts = [
        "<h1>Kết nối LMS với cổng TEMIS<small>Connect an LMS to the TEMIS gateway "
        "(LTI 1.3)</small></h1>",
        f"<p>{escape(notes)}</p>",
    ]
    for title_vi, title_en, values in sections:
        parts.append(f"<h2>{escape(title_vi)}<small>{escape(title_en)}</small></h2>")
        parts.append('<dl class="values">')
        for item in values:
            parts.append(
                f"<dt>{escape(item.label_vi)}<small>{escape(item.label_en)}</small></dt>"
                f'<dd><span class="value">{escape(item.value)}</span></dd>'
            )
        parts.append("</dl>")
    return document("Kết nối LMS / Connect an LMS", "".join(parts))


def message_page(title_vi: str, title_en: str, message: str, ok: bool = True) -> str:
    """A short confirmation or notice."""
    kind = "ok" if ok else "error"
    body = (
        f"<h1>{escape(title_vi)}<small>{escape(title_en)}</small></h1>"
        f'<p class="{kind}">{escape(message)}</p>'
    )
    return document(f"{title_vi} / {title_en}", body)
