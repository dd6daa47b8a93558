"""How the application factory mounts module content (one call, one startup hook)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from fastapi import FastAPI
from sqlalchemy import inspect
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.catalog.cmi5.rules import Cmi5StatementPolicy
from gateway.catalog.content import InstallHook
from gateway.catalog.content_demo import install_missing_demos
from gateway.catalog.content_models import ContentPackage
from gateway.catalog.content_routes import build_content_router
from gateway.catalog.content_settings import ContentSettings, get_content_settings

logger = logging.getLogger(__name__)


def mount_content(
    app: FastAPI,
    session_dependency: Callable[..., Iterator[Session]],
    *,
    public_url: str,
    environment: str,
    settings: ContentSettings | None = None,
    on_installed: InstallHook | None = None,
) -> None:
    """Add the content routes, register the cmi5 statement rules with the LRS and accept
    the doubled slash some AU runtimes put after the xAPI endpoint."""
    settings = settings or get_content_settings()
    app.state.content_settings = settings
    app.state.content_on_installed = on_installed
    policies = list(getattr(app.state, "statement_policies", []))
    app.state.statement_policies = [*policies, Cmi5StatementPolicy(public_url)]
    app.add_middleware(CollapseXapiSlashes)
    app.include_router(
        build_content_router(
            session_dependency,
            settings,
            public_url=public_url,
            environment=environment,
            on_installed=on_installed,
        )
    )


def start_content(app: FastAPI, sessions: sessionmaker[Session], environment: str) -> None:
    """Startup: install the demo course of modules without content (not in tests).

    A failure is logged and the server starts anyway: demo content is a convenience.
    """
    settings: ContentSettings = app.state.content_settings
    wanted = settings.demo_at_startup
    if wanted is None:
        wanted = environment != "test"
    if not wanted:
        return
    with sessions() as session:
        if not inspect(session.connection()).has_table(ContentPackage.__tablename__):
            logger.warning("content tables missing; run `gateway db upgrade`, then restart")
            return
    try:
        done = install_missing_demos(
            sessions, settings, on_installed=app.state.content_on_installed
        )
    except Exception:
        logger.exception("demo content could not be installed")
        return
    if done:
        logger.info("demo content installed for %s", ", ".join(done))


class CollapseXapiSlashes:
    """Treat ``/xapi//statements`` as ``/xapi/statements``.

    cmi5 8.1.1 gives AUs the endpoint with its trailing slash (as the spec's example
    does), and widely used AU runtimes (Rustici's cmi5.js, which the ADL CATAPULT course
    examples ship) append ``"/activities/state"`` to it. Other runtimes resolve relative
    URLs against it and need the slash; accepting both serves every AU.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Rewrite the path before routing."""
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith("/xapi//"):
            collapsed = "/xapi/" + path[len("/xapi//") :].lstrip("/")
            scope = {**scope, "path": collapsed, "raw_path": collapsed.encode()}
        await self.app(scope, receive, send)
