"""HTTP face of module content.

* ``GET /content/files/{key}/{path}``: packaged files, with their media type and a
  Content-Security-Policy that sandboxes them (an opaque origin: no cookies, no access to
  the gateway's pages) and lets them talk only to this server and the allowed hosts.
* ``POST /content/cmi5/fetch/{secret}``: the cmi5 fetch URL (8.2).
* ``GET|POST /content/launch/{code}``, ``GET /content/launch/{code}/done``: demo launches
  for a typed-in learner name (off in production unless enabled) and the return page.
* ``GET /content``: which module has which content.
* ``GET /api/content/packages``, ``POST /api/content/packages/{code}`` (bearer token):
  list and upload packages.
"""

# No ``from __future__ import annotations``: FastAPI evaluates these signatures.
import hmac
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gateway.catalog import service
from gateway.catalog.cmi5.launch import fetch_auth_token, find_registration, start_launch
from gateway.catalog.cmi5.progress import move_on_met, progress_rows
from gateway.catalog.cmi5.structure import Course
from gateway.catalog.codes import parse_module_code
from gateway.catalog.content import (
    InstallHook,
    PackageSummary,
    current_package,
    find_package,
    install_package,
    list_packages,
    media_type_of,
    package_file,
)
from gateway.catalog.content_errors import (
    ContentNotFoundError,
    PackageError,
    PackageTooLargeError,
)
from gateway.catalog.content_pages import (
    ModuleContentRow,
    UnitStatus,
    render_content_page,
    render_launch_form,
    render_return_page,
)
from gateway.catalog.content_settings import ContentSettings
from gateway.catalog.errors import CatalogError
from gateway.catalog.models import CatalogModule
from learning_store.agents import ifi_key
from learning_store.models import Statement

SessionDependency = Callable[..., Iterator[Session]]
DEMO_LEARNER_PATH = "/content/demo-learners"
UPLOAD_CHUNK = 1024 * 1024


def content_security_policy(settings: ContentSettings) -> str:
    """The CSP of packaged files (see the module docstring)."""
    hosts = " ".join(f"https://{h} http://{h}" for h in sorted(settings.allowed_host_set))
    extra = f" {hosts}" if hosts else ""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self' 'unsafe-inline'" + extra,
            "style-src 'self' 'unsafe-inline'" + extra,
            "img-src 'self' data: blob:" + extra,
            "media-src 'self' data: blob:" + extra,
            "font-src 'self' data:" + extra,
            "connect-src 'self'" + extra,
            "frame-src 'self'" + extra,
            "worker-src 'self' blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {settings.frame_ancestors}",
            "sandbox allow-scripts allow-forms allow-popups allow-modals allow-downloads",
        ]
    )


def demo_launch_enabled(settings: ContentSettings, environment: str) -> bool:
    """Demo launches: as configured, else everywhere but production."""
    if settings.demo_launch is not None:
        return settings.demo_launch
    return environment != "production"


def _error_response(exc: CatalogError) -> JSONResponse:
    return JSONResponse({"detail": exc.message}, status_code=exc.status_code)


def _html_error(exc: CatalogError) -> HTMLResponse:
    return HTMLResponse(
        f'<!doctype html><html lang="vi"><meta charset="utf-8"><title>Lỗi / Error</title>'
        f"<p>{escape(exc.message)}</p></html>",
        status_code=exc.status_code,
    )


def build_content_router(
    session_dependency: SessionDependency,
    settings: ContentSettings,
    *,
    public_url: str,
    environment: str,
    on_installed: InstallHook | None = None,
) -> APIRouter:
    """The content routes; ``public_url`` is how browsers and AUs reach this server."""
    router = APIRouter(tags=["content"])
    csp = content_security_policy(settings)
    demo = demo_launch_enabled(settings, environment)
    SessionDep = Annotated[Session, Depends(session_dependency)]

    @router.api_route("/content/files/{storage_key}/{path:path}", methods=["GET", "HEAD"],
                      include_in_schema=False)  # fmt: skip
    def content_file(session: SessionDep, storage_key: str, path: str) -> Response:
        """A file of a package, sandboxed."""
        package = find_package(session, storage_key)
        session.rollback()
        headers = {
            "Content-Security-Policy": csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "public, max-age=3600",
        }
        if package is None:
            return Response("Không có tệp này / no such file", 404, headers=headers)
        try:
            target = package_file(settings, package, path)
        except CatalogError as exc:
            return Response(exc.message, exc.status_code, headers=headers)
        return FileResponse(target, media_type=media_type_of(path), headers=headers)

    @router.post("/content/cmi5/fetch/{fetch_key}", include_in_schema=False)
    def cmi5_fetch(session: SessionDep, fetch_key: str) -> JSONResponse:
        """cmi5 8.2: the auth token once; later calls get error-code 1 (status 200)."""
        body = fetch_auth_token(session, fetch_key, public_url)
        session.commit()
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    @router.get("/content", response_class=HTMLResponse, include_in_schema=False)
    def content_page(session: SessionDep) -> HTMLResponse:
        """Which module has which content."""
        rows = []
        for module in service.list_modules(session):
            package = current_package(session, module.key)
            units = 0
            if package is not None:
                units = PackageSummary.of(package).assignable_units
            rows.append(
                ModuleContentRow(
                    module,
                    package.title if package else None,
                    package.kind if package else None,
                    package.source if package else None,
                    units,
                )
            )
        return HTMLResponse(render_content_page(rows, demo))

    def _demo_module(session: Session, code: str) -> tuple[CatalogModule, Course]:
        module = service.get_module(session, parse_module_code(code))
        package = current_package(session, module.key)
        if package is None or package.kind != "cmi5":
            raise ContentNotFoundError(
                f"Mô đun {module.code.display} chưa có khóa học cmi5 / module "
                f"{module.code.display} has no cmi5 course"
            )
        return module, Course.from_json(package.structure_json)

    def _demo_actor(learner: str) -> dict[str, Any]:
        return {
            "objectType": "Agent",
            "name": learner,
            "account": {"homePage": public_url.rstrip("/") + DEMO_LEARNER_PATH, "name": learner},
        }

    @router.get("/content/launch/{code}", response_class=HTMLResponse, include_in_schema=False)
    def launch_form(session: SessionDep, code: str) -> HTMLResponse:
        """The demo launch form."""
        if not demo:
            return HTMLResponse("Tắt trong môi trường này / disabled here", status_code=404)
        try:
            module, course = _demo_module(session, code)
        except CatalogError as exc:
            return _html_error(exc)
        return HTMLResponse(render_launch_form(module, list(course.assignable_units())))

    @router.post("/content/launch/{code}", include_in_schema=False)
    def launch(
        session: SessionDep,
        code: str,
        learner: Annotated[str, Form(max_length=100)],
        au: Annotated[str | None, Form()] = None,
    ) -> Response:
        """Start a demo launch and send the browser to the AU."""
        if not demo:
            return HTMLResponse("Tắt trong môi trường này / disabled here", status_code=404)
        learner = " ".join(learner.split())
        try:
            module, course = _demo_module(session, code)
            if not learner:
                return HTMLResponse(
                    render_launch_form(
                        module, list(course.assignable_units()), "Hãy nhập tên / enter a name"
                    ),
                    status_code=400,
                )
            return_url = (
                f"{public_url.rstrip('/')}/content/launch/{module.key}/done"
                f"?learner={quote(learner)}"
            )
            info = start_launch(
                session,
                module.key,
                _demo_actor(learner),
                return_url,
                public_url,
                settings=settings,
                au_id=au,
            )
            session.commit()
        except CatalogError as exc:
            session.rollback()
            return _html_error(exc)
        return RedirectResponse(info.url, status_code=303)

    @router.get("/content/launch/{code}/done", response_class=HTMLResponse,
                include_in_schema=False)  # fmt: skip
    def launch_done(session: SessionDep, code: str, learner: str = "") -> HTMLResponse:
        """The returnURL page: the learner's progress in the module's course."""
        if not demo:
            return HTMLResponse("Tắt trong môi trường này / disabled here", status_code=404)
        try:
            module, course = _demo_module(session, code)
        except CatalogError as exc:
            return _html_error(exc)
        package = current_package(session, module.key)
        assert package is not None
        actor_ifi = ifi_key(_demo_actor(learner)) or ""
        registration = find_registration(session, actor_ifi, module.key, package.id)
        if registration is None:
            return HTMLResponse(render_return_page(module, learner, None, [], False, []))
        rows = progress_rows(session, registration.id)
        units = [
            UnitStatus(
                au,
                bool(rows.get(au.id) and rows[au.id].completed),
                bool(rows.get(au.id) and rows[au.id].passed),
                move_on_met(au, rows.get(au.id)),
            )
            for au in course.assignable_units()
        ]
        course_row = rows.get(course.id)
        verbs = [
            verb.rsplit("/", 1)[-1]
            for verb in session.scalars(
                select(Statement.verb_id)
                .where(Statement.registration == registration.registration)
                .order_by(Statement.seq)
            )
        ]
        return HTMLResponse(
            render_return_page(
                module,
                learner,
                registration.registration,
                units,
                bool(course_row and course_row.satisfied),
                verbs,
            )
        )

    @router.get("/api/content/packages")
    def api_list_packages(session: SessionDep, module: str | None = None) -> JSONResponse:
        """Packages, newest first (``module`` in any spelling filters)."""
        try:
            code = service.parse_code_filter(module)
        except CatalogError as exc:
            return _error_response(exc)
        rows = list_packages(session, code.key if code else None)
        return JSONResponse([PackageSummary.of(row).__dict__ for row in rows])

    @router.post("/api/content/packages/{code}", status_code=201)
    async def api_upload_package(
        request: Request, session: SessionDep, code: str, filename: str = "package.zip"
    ) -> JSONResponse:
        """Upload a cmi5 or xAPI package for a module (``Authorization: Bearer``).

        The body is the zip (or cmi5.xml) itself, or a multipart form with a ``file`` field.
        """
        token = settings.admin_token.get_secret_value() if settings.admin_token else None
        given = request.headers.get("Authorization", "")
        if not token:
            return JSONResponse(
                {"detail": "API tải lên đang tắt; dùng lệnh gateway content upload / the upload "
                 "API is off (GATEWAY_CONTENT_ADMIN_TOKEN unset); use `gateway content upload`"},
                status_code=403,
            )  # fmt: skip
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return JSONResponse(
                {"detail": "Sai mã quản trị / wrong or missing bearer token"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        scratch = Path(tempfile.mkdtemp(prefix="temis-upload-"))
        try:
            upload = scratch / "upload"
            try:
                name = await _receive(request, upload, settings.max_package_bytes) or filename
            except PackageError as exc:
                return _error_response(exc)
            try:
                row = await run_in_threadpool(
                    install_package,
                    session,
                    code,
                    upload,
                    Path(name).name,
                    settings,
                    on_installed=on_installed,
                )
            except CatalogError as exc:
                return _error_response(exc)
            return JSONResponse(PackageSummary.of(row).__dict__, status_code=201)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    return router


async def _receive(request: Request, target: Path, limit: int) -> str | None:
    """Write the upload to ``target`` (at most ``limit`` bytes); its filename if given."""
    too_large = PackageTooLargeError(
        f"Gói lớn hơn giới hạn / the package is larger than {limit} bytes"
    )
    if request.headers.get("Content-Type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=5)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise PackageError("multipart: thiếu trường file / no 'file' field")
        written = 0
        with target.open("wb") as sink:
            while chunk := await upload.read(UPLOAD_CHUNK):
                written += len(chunk)
                if written > limit:
                    raise too_large
                sink.write(chunk)
        await form.close()
        return upload.filename
    written = 0
    with target.open("wb") as sink:
        async for chunk in request.stream():
            written += len(chunk)
            if written > limit:
                raise too_large
            sink.write(chunk)
    return None


def summary_json(row: Any) -> str:
    """A package summary as JSON (CLI output)."""
    return json.dumps(PackageSummary.of(row).__dict__, ensure_ascii=False, indent=2)
