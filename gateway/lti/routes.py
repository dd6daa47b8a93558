"""HTTP face of the LTI tool: login, launch, key set, registration, picker, admin API.

Routes read the request (forms are read here, asynchronously), hand a plain
:class:`~gateway.lti.request.FastAPIRequest` to the blocking use cases in a worker thread
and render the outcome. :func:`handle_lti_error` turns every :class:`LtiError` into a
short page (or JSON under ``/api/``) that never echoes a token.
"""

from __future__ import annotations

import hmac
import logging
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from gateway.catalog.models import CatalogModule
from gateway.lti import deep_linking, flow, keys, platforms, registration
from gateway.lti.content import open_module
from gateway.lti.context import (
    CANVAS_PATH,
    DEEP_LINK_PATH,
    JWKS_PATH,
    LAUNCH_PATH,
    LOGIN_PATH,
    OPEN_PATH,
    REGISTER_PATH,
    SETUP_PATH,
    LtiContext,
)
from gateway.lti.errors import DeepLinkError, LaunchTokenError, LtiError, NotFoundError
from gateway.lti.flow import LaunchOutcome
from gateway.lti.launches import get_launch, is_instructor, learner_actor
from gateway.lti.models import ACTIVE, DISABLED, LtiLaunch
from gateway.lti.pages import (
    ModuleView,
    PickerRow,
    SetupValue,
    deep_link_return_page,
    error_page,
    module_page,
    picker_page,
    registration_done_page,
    setup_page,
    storage_check_page,
)
from gateway.lti.request import FastAPIRequest
from gateway.lti.rosters import fetch_roster
from gateway.lti.schemas import DeploymentIn, PlatformIn, PlatformOut

log = logging.getLogger(__name__)

CONFIRM_PATH = LAUNCH_PATH + "/confirm"
ROSTER_PATH = "/lti/roster"
NO_STORE = {"Cache-Control": "no-store"}


def get_context(request: Request) -> LtiContext:
    """FastAPI dependency: the app's LTI context."""
    context: LtiContext = request.app.state.lti
    return context


Context = Annotated[LtiContext, Depends(get_context)]


async def handle_lti_error(request: Request, exc: Exception) -> Response:
    """Every LTI refusal: a short page (JSON under /api/); details go to the log only."""
    assert isinstance(exc, LtiError)
    log.info("LTI %s refused: %s (%s)", request.url.path, type(exc).__name__, exc.detail)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": exc.message}, status_code=exc.status_code)
    return HTMLResponse(error_page(exc), status_code=exc.status_code, headers=NO_STORE)


def _html(body: str, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(body, status_code=status_code, headers=NO_STORE)


def build_router() -> APIRouter:
    """The LTI routes (tool endpoints under ``/lti``, admin API under ``/api/lti``)."""
    router = APIRouter(tags=["lti"])

    @router.get(JWKS_PATH)
    async def jwks(context: Context) -> JSONResponse:
        """The tool's public keys (active and retiring)."""
        document = await context.database.run(keys.published_jwks)
        return JSONResponse(document, headers={"Cache-Control": "public, max-age=300"})

    @router.api_route(LOGIN_PATH, methods=["GET", "POST"], include_in_schema=False)
    async def login(request: Request, context: Context) -> Response:
        """OIDC third-party initiated login (LTI 1.3 §5.1.1)."""
        lti_request = await FastAPIRequest.build(request, context.secure)
        return await run_in_threadpool(flow.start_login, context, lti_request)

    @router.post(LAUNCH_PATH, include_in_schema=False)
    async def launch(request: Request, context: Context) -> Response:
        """The platform posts the id_token here."""
        lti_request = await FastAPIRequest.build(request, context.secure)
        outcome = await run_in_threadpool(flow.launch, context, lti_request)
        return await run_in_threadpool(_render, context, outcome)

    @router.post(CONFIRM_PATH, include_in_schema=False)
    async def confirm(request: Request, context: Context) -> Response:
        """Platform Storage gave the state back: finish the launch."""
        form = await request.form()
        pending, state = form.get("pending"), form.get("state")
        await form.close()
        outcome = await run_in_threadpool(
            flow.confirm,
            context,
            pending if isinstance(pending, str) else "",
            state if isinstance(state, str) else "",
        )
        return await run_in_threadpool(_render, context, outcome)

    @router.get(DEEP_LINK_PATH, include_in_schema=False)
    async def picker(context: Context, lt: str = "", q: str = "") -> Response:
        """The picker again, with a search."""
        claims = context.launch_tokens.check(lt, "deep_link")
        return await run_in_threadpool(_picker, context, claims.launch_id, lt, q, None)

    @router.post(DEEP_LINK_PATH, include_in_schema=False)
    async def deep_link_return(request: Request, context: Context) -> Response:
        """The teacher's choice, returned to the LMS as a signed LtiDeepLinkingResponse."""
        form = await request.form()
        token = form.get("lt")
        chosen = [v for v in form.getlist("module") if isinstance(v, str)]
        await form.close()
        claims = context.launch_tokens.check(token if isinstance(token, str) else None, "deep_link")
        return await run_in_threadpool(
            _deep_link_return, context, claims.launch_id, str(token), chosen
        )

    @router.get(OPEN_PATH, include_in_schema=False)
    async def open_content(context: Context, lt: str = "") -> Response:
        """ "Start the module": the learner's cmi5 launch of the linked module."""
        claims = context.launch_tokens.check(lt, "resource")

        def start(session: Session) -> str:
            return open_module(session, context, _launch_or_fail(session, claims.launch_id))

        url = await context.database.run(start)
        return RedirectResponse(url, status_code=303, headers=NO_STORE)

    @router.get(REGISTER_PATH, include_in_schema=False)
    async def register(
        context: Context, openid_configuration: str = "", registration_token: str = ""
    ) -> Response:
        """LTI Dynamic Registration (Moodle 3.10+, Canvas)."""
        platform = await context.database.run(
            registration.register, context, openid_configuration, registration_token or None
        )
        return _html(
            registration_done_page(platform.name, platform.client_id, platform.status == ACTIVE)
        )

    @router.get(CANVAS_PATH)
    async def canvas_json(context: Context) -> JSONResponse:
        """The Canvas developer-key configuration (paste its URL in Canvas)."""
        return JSONResponse(registration.canvas_configuration(context))

    @router.get(SETUP_PATH, include_in_schema=False)
    async def setup(context: Context) -> Response:
        """The values an LMS admin types for a manual registration."""
        return _html(_setup_page(context))

    @router.get(ROSTER_PATH)
    async def roster(context: Context, lt: str = "", limit: int | None = None) -> JSONResponse:
        """NRPS: the course roster of an instructor's launch (JSON)."""
        claims = context.launch_tokens.check(lt, ("deep_link", "resource"))
        launch_row = await context.database.run(get_launch, claims.launch_id)
        if launch_row is None or not is_instructor(launch_row):
            raise LaunchTokenError(
                "Chỉ giáo viên xem được danh sách lớp / only teachers may read the roster"
            )
        members = await run_in_threadpool(fetch_roster, context, claims.launch_id, limit)
        return JSONResponse(
            {"members": [m.__dict__ | {"roles": list(m.roles)} for m in members]},
            headers=NO_STORE,
        )

    _admin_routes(router)
    return router


def _render(context: LtiContext, outcome: LaunchOutcome) -> Response:
    if outcome.kind == "storage_check":
        assert outcome.storage_target and outcome.storage_key and outcome.storage_origin
        return _html(
            storage_check_page(
                context.url(CONFIRM_PATH),
                outcome.launch_id,
                outcome.storage_target,
                outcome.storage_key,
                outcome.storage_origin,
            )
        )
    if outcome.kind == "deep_link":
        token = context.launch_tokens.issue(outcome.launch_id, "deep_link")
        return _picker(context, outcome.launch_id, token, "", None)
    return _module(context, outcome.launch_id)


def _launch_or_fail(session: Session, launch_id: str) -> LtiLaunch:
    launch = get_launch(session, launch_id)
    if launch is None:
        raise LaunchTokenError("Không có lượt mở này / no such launch")
    return launch


def _picker(
    context: LtiContext, launch_id: str, token: str, query: str, error: str | None
) -> Response:
    with context.database.sessions() as session:
        launch = _launch_or_fail(session, launch_id)
        if not is_instructor(launch):
            raise DeepLinkError(
                "Chỉ giáo viên mới chọn được mô đun / only teachers can choose modules"
            )
        dl_settings = deep_linking.settings_of(launch)
        modules = deep_linking.picker_modules(session, launch, query)
        rows = [_row(module) for module in modules]
        filters = deep_linking.picker_filters(launch).labels()
    html = picker_page(
        rows,
        action=context.url(DEEP_LINK_PATH),
        search_action=context.url(DEEP_LINK_PATH),
        token=token,
        query=query,
        multiple=dl_settings.get("accept_multiple") in (True, "true"),
        filters=filters,
        error=error,
    )
    return _html(html, 400 if error else 200)


def _row(module: CatalogModule) -> PickerRow:
    return PickerRow(
        key=module.key,
        code=module.code.display,
        title=module.title,
        levels=module.levels.replace(",", ", "),
        audience=module.audience,
        periods=module.periods,
    )


def _deep_link_return(
    context: LtiContext, launch_id: str, token: str, chosen: list[str]
) -> Response:
    with context.database.sessions() as session:
        launch = _launch_or_fail(session, launch_id)
        if not is_instructor(launch):
            raise DeepLinkError(
                "Chỉ giáo viên mới chọn được mô đun / only teachers can choose modules"
            )
        try:
            return_url, jwt = deep_linking.response_jwt(session, context, launch, chosen)
        except DeepLinkError as exc:
            session.rollback()
            return _picker(context, launch_id, token, "", exc.message)
        session.commit()
    return _html(deep_link_return_page(return_url, jwt))


def _module(context: LtiContext, launch_id: str) -> Response:
    with context.database.sessions() as session:
        launch = _launch_or_fail(session, launch_id)
        module: CatalogModule | None = None
        if launch.module_code:
            from gateway.catalog import service as catalog
            from gateway.catalog.codes import parse_module_code
            from gateway.catalog.errors import CatalogError

            try:
                module = catalog.get_module(session, parse_module_code(launch.module_code))
            except CatalogError:
                module = None
        view = (
            ModuleView(module.code.display, module.title, module.periods, module.description)
            if module
            else None
        )
        actor = learner_actor(launch)
        learner = launch.user_name or (actor["account"]["name"] if actor else "—")
        open_url = None
        if module is not None and launch.user_sub:
            token = context.launch_tokens.issue(launch_id, "resource")
            open_url = context.url(OPEN_PATH) + "?" + urlencode({"lt": token})
        course = launch.context_title
        session.commit()
    return _html(module_page(view, learner=learner, course=course, open_url=open_url))


def _setup_page(context: LtiContext) -> str:
    login = context.url(LOGIN_PATH)
    launch = context.url(LAUNCH_PATH)
    jwks_url = context.url(JWKS_PATH)
    moodle = [
        SetupValue("Tên công cụ", "Tool name", context.settings.title),
        SetupValue("URL công cụ", "Tool URL", launch),
        SetupValue("Phiên bản LTI", "LTI version", "LTI 1.3"),
        SetupValue("Loại khoá công khai", "Public key type", "Keyset URL"),
        SetupValue("URL bộ khoá công khai", "Public keyset", jwks_url),
        SetupValue("URL khởi tạo đăng nhập", "Initiate login URL", login),
        SetupValue("URI chuyển hướng", "Redirection URI(s)", launch),
        SetupValue("Hỗ trợ liên kết sâu", "Supports Deep Linking", "Có / Yes"),
        SetupValue("URL chọn nội dung", "Content Selection URL", launch),
        SetupValue(
            "Dịch vụ điểm",
            "IMS LTI Assignment and Grade Services",
            "Dùng dịch vụ để đồng bộ điểm và quản lý cột / Use this service for grade sync "
            "and column management",
        ),
        SetupValue(
            "Dịch vụ danh sách",
            "IMS LTI Names and Role Provisioning",
            "Dùng dịch vụ để lấy thông tin thành viên / Use this service to retrieve "
            "members' information",
        ),
        SetupValue("Chia sẻ tên và email", "Share launcher's name and email", "Luôn / Always"),
    ]
    dynamic = [
        SetupValue("URL đăng ký động", "Dynamic registration URL", context.url(REGISTER_PATH)),
        SetupValue("URL cấu hình Canvas", "Canvas configuration URL", context.url(CANVAS_PATH)),
    ]
    after = [
        SetupValue(
            "Lệnh đăng ký",
            "Registration command",
            "gateway platforms add --issuer <Platform ID> --client-id <Client ID> "
            "--deployment-id <Deployment ID> --auth-login-url <Authentication request URL> "
            "--auth-token-url <Access token URL> --key-set-url <Public keyset URL>",
        ),
        SetupValue(
            "Tham số tuỳ chọn",
            "Optional custom parameters",
            "level=MN|PT|GDTX  audience=GV|CBQL  temis_id=$User.idnumber (Moodle)",
        ),
    ]
    return setup_page(
        [
            ("Đăng ký tự động", "Automatic registration (Moodle 3.10+, Canvas)", dynamic),
            ("Khai báo thủ công trong Moodle", "Manual set-up in Moodle", moodle),
            ("Sau khi Moodle cấp thông tin", "After Moodle shows the tool details", after),
        ],
        "Sao chép từng giá trị vào trang cấu hình công cụ ngoài của LMS. / Copy each value into "
        "the LMS's external tool configuration.",
    )


# Admin API ------------------------------------------------------------------------------


def require_admin(
    context: Context, authorization: Annotated[str | None, Header()] = None
) -> LtiContext:
    """The admin API needs ``Authorization: Bearer <GATEWAY_LTI_ADMIN_TOKEN>``."""
    expected = context.settings.admin_token
    if expected is None:
        raise NotFoundError("API quản trị LTI đang tắt / the LTI admin API is disabled")
    given = (authorization or "").removeprefix("Bearer ").strip()
    if not given or not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        error = LtiError("Cần mã quản trị / admin token required")
        error.status_code = 401
        raise error
    return context


Admin = Annotated[LtiContext, Depends(require_admin)]


def _admin_routes(router: APIRouter) -> None:
    @router.get("/api/lti/platforms", response_model=list[PlatformOut])
    async def list_platforms(context: Admin) -> list[PlatformOut]:
        """Every registration with its deployments."""
        views = await context.database.run(platforms.list_platforms)
        return [PlatformOut.from_view(v) for v in views]

    @router.post("/api/lti/platforms", response_model=PlatformOut, status_code=201)
    async def add_platform(body: PlatformIn, context: Admin) -> PlatformOut:
        """Register a platform."""

        def add(session: Session) -> PlatformOut:
            platform = platforms.add_platform(
                session, **body.model_dump(exclude={"deployment_ids"}),
                deployment_ids=tuple(body.deployment_ids),
            )  # fmt: skip
            return _view(session, platform.id)

        return await context.database.run(add)

    async def set_status(context: LtiContext, platform_id: int, status: str) -> PlatformOut:
        def change(session: Session) -> PlatformOut:
            platforms.set_platform_status(session, platform_id, status)
            return _view(session, platform_id)

        return await context.database.run(change)

    @router.post("/api/lti/platforms/{platform_id}/activate", response_model=PlatformOut)
    async def activate(platform_id: int, context: Admin) -> PlatformOut:
        """Activate a registration (dynamic ones wait for this)."""
        return await set_status(context, platform_id, ACTIVE)

    @router.post("/api/lti/platforms/{platform_id}/disable", response_model=PlatformOut)
    async def disable(platform_id: int, context: Admin) -> PlatformOut:
        """Disable a registration: its launches are refused from now on."""
        return await set_status(context, platform_id, DISABLED)

    @router.delete("/api/lti/platforms/{platform_id}", status_code=204)
    async def remove_platform(platform_id: int, context: Admin) -> Response:
        """Remove a registration that never launched."""
        await context.database.run(platforms.remove_platform, platform_id)
        return Response(status_code=204)

    @router.post("/api/lti/platforms/{platform_id}/deployments", response_model=PlatformOut)
    async def put_deployment(platform_id: int, body: DeploymentIn, context: Admin) -> PlatformOut:
        """Add a deployment, or activate/disable one (e.g. a pending one)."""

        def put(session: Session) -> PlatformOut:
            platforms.add_deployment(session, platform_id, body.deployment_id, body.status)
            return _view(session, platform_id)

        return await context.database.run(put)


def _view(session: Session, platform_id: int) -> PlatformOut:
    session.flush()
    for view in platforms.list_platforms(session):
        if view.platform.id == platform_id:
            return PlatformOut.from_view(view)
    raise NotFoundError(f"Không có đăng ký #{platform_id} / no registration #{platform_id}")
