"""The application factory: the only module that knows every package."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from gateway import __version__, health, home
from gateway.bdtx.routes import build_router as build_bdtx_router
from gateway.bdtx.settings import get_bdtx_settings
from gateway.catalog.content_wiring import mount_content, start_content
from gateway.catalog.routes import build_router as build_catalog_router
from gateway.catalog.seed import seed_at_startup
from gateway.catalog.settings import get_catalog_settings
from gateway.credit_rules import credit_rule_on_install
from gateway.db import Database, get_session
from gateway.lti.wiring import mount_lti, start_lti
from gateway.metrics import MetricsMiddleware
from gateway.migrate import script_heads
from gateway.settings import Settings, get_settings
from gateway.worker import start_embedded_workers
from gateway.xapi.alternate import AlternateRequestSyntax
from gateway.xapi.errors import XapiHTTPError, handle_http_error, handle_store_error
from gateway.xapi.headers import ALLOWED_HEADERS, EXPOSED_HEADERS, XapiVersionHeader
from gateway.xapi.routes import build_router as build_xapi_router
from learning_store.errors import LearningStoreError


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the gateway; nothing is created at import time."""
    settings = settings or get_settings()
    database = Database(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        seed_at_startup(
            database.sessions,
            activity_base=get_catalog_settings().resolve_activity_base(settings.public_url),
        )
        start_lti(_app)
        start_content(_app, database.sessions, settings.environment)
        workers = start_embedded_workers(settings.embedded_workers, database)
        yield
        await asyncio.to_thread(workers.stop)
        database.dispose()

    app = FastAPI(
        title="TEMIS LMS Gateway",
        version=__version__,
        lifespan=lifespan,
        docs_url="/api/docs",
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.database = database
    app.state.schema_heads = script_heads(settings.database_url)

    app.add_exception_handler(LearningStoreError, handle_store_error)
    app.add_exception_handler(XapiHTTPError, handle_http_error)
    app.include_router(health.router)
    app.include_router(home.router)
    app.include_router(build_xapi_router(), prefix="/xapi")
    app.include_router(build_catalog_router(get_session))
    mount_content(
        app,
        get_session,
        public_url=settings.public_url,
        environment=settings.environment,
        on_installed=credit_rule_on_install,
    )
    app.include_router(build_bdtx_router(get_session, get_bdtx_settings()))
    mount_lti(app, database, settings.public_url, settings.secret_key.get_secret_value())

    # Order: the last added runs first. Alternate syntax must rewrite before CORS and
    # routing see the request; metrics wrap everything.
    app.add_middleware(XapiVersionHeader, default=settings.xapi_default_version)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=[o.strip() for o in settings.cors_origins.split(",") if o.strip()],
        allow_methods=["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"],
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        max_age=600,
    )
    app.add_middleware(AlternateRequestSyntax, max_body=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware)
    return app
