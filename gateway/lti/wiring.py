"""How the application factory mounts the LTI tool (one call, one startup hook)."""

from __future__ import annotations

from fastapi import FastAPI

from gateway.db import Database
from gateway.lti.context import LtiContext
from gateway.lti.errors import LtiError
from gateway.lti.keys import ensure_active_key
from gateway.lti.launch_data_storage.db import DatabaseLaunchDataStorage
from gateway.lti.logins import purge_logins
from gateway.lti.routes import build_router, handle_lti_error
from gateway.lti.settings import LtiSettings, get_lti_settings


def mount_lti(
    app: FastAPI,
    database: Database,
    public_url: str,
    secret: str,
    settings: LtiSettings | None = None,
) -> LtiContext:
    """Add the LTI routes and error pages; the context goes to ``app.state.lti``."""
    context = LtiContext(database, settings or get_lti_settings(), public_url, secret)
    app.state.lti = context
    app.add_exception_handler(LtiError, handle_lti_error)
    app.include_router(build_router())
    return context


def start_lti(app: FastAPI) -> None:
    """Startup: the first key is generated if there is none; dead logins are purged."""
    context: LtiContext = app.state.lti
    context.database.transaction(ensure_active_key, context.secret)
    context.database.transaction(purge_logins)
    context.database.transaction(lambda session: DatabaseLaunchDataStorage(session).purge())
