"""Built-in demo content: one small cmi5 course per catalog module, so a new install can be
tried end to end (launch, read, quiz, results in the LRS and the ledger).

Each course has one AU (``moveOn="CompletedAndPassed"``, ``masteryScore="0.8"``) whose
page is generated from the module's catalog row: reading sections in Vietnamese (English
below) and a five-question quiz about the module and the BDTX rules it belongs to. The
AU's behaviour is ``demo/au.js``. The package is built as a zip and installed through
the same checks as any upload, so the demo also proves the upload path.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from html import escape
from importlib.resources import files
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from sqlalchemy.orm import Session, sessionmaker

from gateway.catalog import service
from gateway.catalog.cmi5.vocabulary import NAMESPACE
from gateway.catalog.codes import parse_module_code
from gateway.catalog.content import InstallHook, current_package, install_package
from gateway.catalog.content_models import ContentPackage
from gateway.catalog.content_settings import ContentSettings
from gateway.catalog.models import CatalogModule
from gateway.catalog.terms import Audience, level_label

MASTERY_SCORE = "0.8"
DEMO_SOURCE = "demo"
_AUDIENCE_VI = {Audience.GV: "giáo viên", Audience.CBQL: "cán bộ quản lý"}
_AUDIENCE_EN = {Audience.GV: "teachers", Audience.CBQL: "school managers"}


@dataclass(frozen=True)
class Question:
    """A multiple-choice question; ``correct`` is the value of the right option."""

    key: str
    vi: str
    en: str
    options: tuple[tuple[str, str], ...]  # (value, label)
    correct: str


def publisher_id(module: CatalogModule) -> str:
    """The demo course's id in its cmi5.xml."""
    return f"urn:temis-gateway:demo-content:{module.key.lower()}"


def questions(module: CatalogModule) -> list[Question]:
    """The quiz: facts from the catalog row and the BDTX regulation (TT 19/2019)."""
    code = module.code.display
    audience = module.audience_term
    return [
        Question(
            "periods",
            f"Mô đun {code} có bao nhiêu tiết?",
            f"How many periods does module {code} count for?",
            tuple((str(n), f"{n} tiết") for n in (10, 20, 40, 60)),
            str(module.periods),
        ),
        Question(
            "yearly",
            "Mỗi năm học, một giáo viên hoặc cán bộ quản lý cần bồi dưỡng bao nhiêu tiết?",
            "How many BDTX periods does a teacher or manager owe each school year?",
            tuple((str(n), f"{n} tiết") for n in (40, 80, 120, 160)),
            "120",
        ),
        Question(
            "block",
            "Các mô đun của danh mục học liệu thuộc khối nội dung nào?",
            "Which block do the catalog modules belong to?",
            (
                ("CT01", "CT01 – nhiệm vụ năm học cấp quốc gia"),
                ("CT02", "CT02 – nhiệm vụ của địa phương"),
                ("CT03", "CT03 – mô đun tự chọn theo vị trí việc làm"),
            ),
            "CT03",
        ),
        Question(
            "audience",
            f"Mô đun {code} dành cho ai?",
            f"Who is module {code} for?",
            (("GV", "Giáo viên"), ("CBQL", "Cán bộ quản lý")),
            audience.value,
        ),
        Question(
            "pass",
            "Để được đánh giá “Hoàn thành”, mỗi nội dung cần đạt ít nhất bao nhiêu điểm?",
            "What score must each item reach for the year to be rated “Hoàn thành”?",
            (("4", "4/10"), ("5", "5/10"), ("7", "7/10")),
            "5",
        ),
    ]


def course_xml(module: CatalogModule) -> bytes:
    """The demo course structure (cmi5.xml)."""
    course_id = publisher_id(module)
    title = f"{module.code.display} – {module.title}"
    return f"""<?xml version="1.0" encoding="utf-8"?>
<courseStructure xmlns="{NAMESPACE}">
  <course id={quoteattr(course_id)}>
    <title>
      <langstring lang="vi-VN">{xml_escape(title)}</langstring>
      <langstring lang="en-US">{xml_escape(module.code.display)} (demo course)</langstring>
    </title>
    <description>
      <langstring lang="vi-VN">Khóa học minh họa của cổng TEMIS cho mô đun {
        xml_escape(module.code.display)
    }.</langstring>
      <langstring lang="en-US">Demo course of the TEMIS gateway for module {
        xml_escape(module.code.display)
    }.</langstring>
    </description>
  </course>
  <au id={quoteattr(course_id + ":au:1")} moveOn="CompletedAndPassed"
      masteryScore="{MASTERY_SCORE}" launchMethod="AnyWindow">
    <title>
      <langstring lang="vi-VN">{xml_escape(title)}</langstring>
      <langstring lang="en-US">{xml_escape(module.code.display)}: reading and quiz</langstring>
    </title>
    <description>
      <langstring lang="vi-VN">Đọc các phần và làm bài kiểm tra ngắn.</langstring>
      <langstring lang="en-US">Read the sections and take the short quiz.</langstring>
    </description>
    <url>index.html</url>
  </au>
</courseStructure>
""".encode()


def _section(vi_title: str, en_title: str, vi: str, en: str) -> str:
    return (
        f'<section><h2>{escape(vi_title)}<span class="en">{escape(en_title)}</span></h2>'
        f'<p>{escape(vi)}<span class="en">{escape(en)}</span></p></section>'
    )


def page_html(module: CatalogModule) -> bytes:
    """The AU page: reading sections, then the quiz."""
    code = module.code.display
    audience = module.audience_term
    levels = level_label(module.level_set)
    sections = [
        _section(
            "1. Giới thiệu mô đun",
            "1. About the module",
            f"Mô đun {code} “{module.title}” có thời lượng {module.periods} tiết, dành cho "
            f"{_AUDIENCE_VI[audience]} cấp {levels}.",
            f"Module {code} counts for {module.periods} periods and is meant for "
            f"{_AUDIENCE_EN[audience]} ({levels}).",
        ),
        _section(
            "2. Vị trí trong chương trình BDTX",
            "2. Where it fits in BDTX",
            "Mỗi năm học, giáo viên và cán bộ quản lý bồi dưỡng 120 tiết theo ba khối: CT01 "
            "(nhiệm vụ năm học cấp quốc gia, khoảng 40 tiết), CT02 (nhiệm vụ của địa phương, "
            "khoảng 40 tiết) và CT03 (40 tiết, các mô đun tự chọn theo vị trí việc làm). Các mô "
            "đun của danh mục học liệu thuộc khối CT03.",
            "Each school year teachers and managers owe 120 periods in three blocks: CT01 "
            "(national tasks), CT02 (local tasks) and CT03 (40 periods of job-related modules "
            "the person picks). Catalog modules are CT03 content.",
        ),
        _section(
            "3. Đánh giá",
            "3. Assessment",
            "Cuối năm, người học được đánh giá “Hoàn thành” khi học đủ các nội dung của kế "
            "hoạch cá nhân và mỗi nội dung đạt từ 5/10 điểm trở lên. Bài kiểm tra dưới đây cần "
            f"đúng ít nhất {round(float(MASTERY_SCORE) * 100)}% số câu.",
            "At year end a person is rated “Hoàn thành” (completed) when every item of their "
            "plan was studied with at least 5/10. The quiz below needs "
            f"{round(float(MASTERY_SCORE) * 100)}% correct answers.",
        ),
        _section(
            "4. Về nội dung minh họa này",
            "4. About this demo content",
            "Đây là học liệu minh họa do cổng kết nối tạo sẵn để thử quy trình; Sở GDĐT thay "
            "bằng học liệu thật bằng cách tải lên gói cmi5 cho mô đun.",
            "This is demo content built into the gateway to try the flow end to end; a "
            "province replaces it by uploading a cmi5 package for the module.",
        ),
    ]
    quiz = []
    for number, question in enumerate(questions(module), start=1):
        options = "".join(
            f'<label><input type="radio" name="q-{question.key}" '
            f'value="{escape(value, quote=True)}" disabled> {escape(label)}</label>'
            for value, label in question.options
        )
        quiz.append(
            f'<fieldset data-question="{question.key}" data-correct="'
            f'{escape(question.correct, quote=True)}"><legend>Câu {number}. {escape(question.vi)}'
            f'<span class="en">{escape(question.en)}</span></legend>{options}</fieldset>'
        )
    title = escape(f"{code} – {module.title}")
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="style.css">
<script src="au.js" defer></script>
</head><body><main>
<header><h1>{title}</h1><p>Học liệu minh họa / demo content · {module.periods} tiết</p>
<p id="status" data-state="starting" role="status">Đang khởi động / Starting…</p></header>
{"".join(sections)}
<section><h2>Bài kiểm tra<span class="en">Quiz</span></h2>
<form id="quiz" data-mastery="{MASTERY_SCORE}">
{"".join(quiz)}
<button id="submit" type="submit" disabled>Nộp bài / Submit</button>
</form>
<p id="result" role="status"></p>
</section>
<p><button id="finish" type="button" disabled>Kết thúc / Finish</button></p>
</main></body></html>
""".encode()


def build_demo_package(module: CatalogModule) -> bytes:
    """The demo course of ``module`` as a zip (cmi5.xml at the root)."""
    assets = files("gateway.catalog.demo")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("cmi5.xml", course_xml(module))
        archive.writestr("index.html", page_html(module))
        archive.writestr("au.js", assets.joinpath("au.js").read_bytes())
        archive.writestr("style.css", assets.joinpath("style.css").read_bytes())
    return buffer.getvalue()


def install_demo(
    session: Session,
    module: CatalogModule,
    settings: ContentSettings,
    *,
    on_installed: InstallHook | None = None,
) -> ContentPackage:
    """Build and install the demo course of one module (commits)."""
    with tempfile.TemporaryDirectory(prefix="temis-demo-") as scratch:
        path = Path(scratch) / f"demo-{module.key}.zip"
        path.write_bytes(build_demo_package(module))
        return install_package(
            session,
            module.key,
            path,
            path.name,
            settings,
            source=DEMO_SOURCE,
            on_installed=on_installed,
        )


def install_missing_demos(
    sessions: sessionmaker[Session],
    settings: ContentSettings,
    *,
    replace_demos: bool = False,
    on_installed: InstallHook | None = None,
) -> list[str]:
    """Install the demo course of every active module without content; the codes done.

    A module whose package a province uploaded is never touched. ``replace_demos``
    rebuilds demo packages that exist (after a catalog change of title or periods).
    """
    with sessions() as session:
        modules = service.list_modules(session)
        todo = []
        for module in modules:
            package = current_package(session, module.key)
            if package is None or (replace_demos and package.source == DEMO_SOURCE):
                todo.append(module.key)
    done = []
    for key in todo:
        with sessions() as session:
            module = service.get_module(session, parse_module_code(key))
            install_demo(session, module, settings, on_installed=on_installed)
            done.append(module.code.display)
    return done
