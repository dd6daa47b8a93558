"""The LTI pages escape what they show and never carry a token on an error."""

from __future__ import annotations

from gateway.lti.errors import TokenError
from gateway.lti.pages import (
    PickerRow,
    error_page,
    picker_page,
    storage_check_page,
    storage_redirect_page,
)

EVIL = '"><script>alert(1)</script>'


def test_error_page_shows_the_public_message_only() -> None:
    """An LTI failure renders a short bilingual page; the detail stays in the logs."""
    page = error_page(TokenError("Mã thông báo không hợp lệ / invalid", detail="eyJhbGciOi..."))
    assert "Mã thông báo không hợp lệ" in page
    assert "eyJ" not in page
    assert page.startswith('<!doctype html><html lang="vi">')


def test_picker_escapes_query_and_titles() -> None:
    """User input and catalog text are HTML-escaped."""
    row = PickerRow("GVMN2", "GVMN 2", EVIL, "MN", "GV", 20)
    page = picker_page(
        [row], action="/lti/deep-link", search_action="/lti/deep-link", token="t",
        query=EVIL, multiple=False,
    )  # fmt: skip
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;" in page


def test_script_data_cannot_close_the_script_block() -> None:
    """Values given to page scripts are JSON with ``<`` escaped."""
    for page in (
        storage_redirect_page("https://lms/auth?x=</script>", "_parent", "k", EVIL, "https://lms"),
        storage_check_page("/lti/launch/confirm", EVIL, "_parent", "</script>", "https://lms"),
    ):
        assert "</script><script>" not in page.replace("</script>\n<script>", "")
        assert "<script>alert(1)" not in page
