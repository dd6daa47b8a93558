"""The home page at ``/``: what this gateway is and where each part lives.

A province's IT staff open the address first; the page tells them, in Vietnamese first
and English second, which addresses to give to LMSs and content, with no login needed.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from gateway import __version__

router = APIRouter()

_CSS = """
body { margin: 0; font: 16px/1.5 system-ui, "Segoe UI", Roboto, Arial, sans-serif;
  color: #1f2933; background: #f7f9fb; }
main { max-width: 56rem; margin: 0 auto; padding: 2rem 1rem; }
h1 { margin: 0; } h1 small, .en { color: #616e7c; font-weight: normal; }
h1 small { display: block; font-size: 1rem; }
ul { padding: 0; list-style: none; } li { background: #fff; border: 1px solid #d9e2ec;
  border-radius: .4rem; padding: .75rem 1rem; margin: .5rem 0; }
code { background: #eef2f6; padding: .1rem .3rem; border-radius: .25rem; }
a { color: #0b6e4f; }
"""

_LINKS = (
    ("/catalog", "Danh mục học liệu BDTX", "BDTX module catalog"),
    ("/lti/setup", "Kết nối Moodle / Canvas (LTI 1.3)", "Connect Moodle / Canvas (LTI 1.3)"),
    ("/lti/canvas.json", "Cấu hình Canvas (JSON)", "Canvas developer key (JSON)"),
    ("/api/docs", "Tài liệu API (OpenAPI)", "API documentation (OpenAPI)"),
    ("/readyz", "Tình trạng hệ thống", "Readiness"),
)


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def home(request: Request) -> HTMLResponse:
    """The landing page."""
    public_url: str = request.app.state.settings.public_url.rstrip("/")
    items = "".join(
        f'<li><a href="{escape(href)}">{escape(vi)}</a> <span class="en">/ {escape(en)}</span></li>'
        for href, vi, en in _LINKS
    )
    body = f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cổng kết nối TEMIS / TEMIS LMS Gateway</title><style>{_CSS}</style></head>
<body><main>
<h1>Cổng kết nối LMS – TEMIS<small>TEMIS LMS Gateway {escape(__version__)}</small></h1>
<p>Kết nối LMS (Moodle, Canvas) của Sở GDĐT với hệ thống TEMIS: công cụ LTI 1.3, kho dữ liệu
học tập xAPI và sổ ghi nhận kết quả bồi dưỡng thường xuyên.<br>
<span class="en">Connects school LMSs to TEMIS: an LTI 1.3 tool, an xAPI learning record
store and the BDTX ledger.</span></p>
<p>Địa chỉ xAPI (LRS) cho LMS và học liệu / <span class="en">xAPI endpoint for LMSs and
content</span>: <code>{escape(public_url)}/xapi/</code></p>
<ul>{items}</ul>
</main></body></html>"""
    return HTMLResponse(body)
