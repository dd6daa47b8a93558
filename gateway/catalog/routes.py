"""HTTP face of the catalog: the JSON API under ``/api/catalog`` and the ``/catalog`` page.

The session comes from a dependency the application passes to :func:`build_router`, so
nothing is built at import time and tests hand in their own database.
"""

# No ``from __future__ import annotations`` here: FastAPI must evaluate the route
# signatures, and they refer to ``session_dependency``, a local of build_router.
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from gateway.catalog import service
from gateway.catalog.errors import CatalogError
from gateway.catalog.page import render_catalog_page
from gateway.catalog.schemas import (
    ModuleDetailOut,
    ModuleListOut,
    ModuleOut,
    ModuleVersionOut,
    ReleaseOut,
)
from gateway.catalog.terms import Audience, Level, parse_audience, parse_level

SessionDependency = Callable[..., Iterator[Session]]


def build_router(session_dependency: SessionDependency) -> APIRouter:
    """The catalog routes, reading through sessions from ``session_dependency``."""
    router = APIRouter(tags=["catalog"])

    @router.get("/api/catalog/modules", response_model=ModuleListOut)
    def list_modules(
        session: Annotated[Session, Depends(session_dependency)],
        level: Annotated[str | None, Query(description="MN, PT or GDTX")] = None,
        audience: Annotated[str | None, Query(description="GV or CBQL")] = None,
        code: Annotated[str | None, Query(description="any spelling, e.g. gvpt-015")] = None,
        q: Annotated[str | None, Query(description="words, with or without diacritics")] = None,
        include_inactive: bool = False,
    ) -> ModuleListOut:
        """Modules matching every filter."""
        with _http_errors():
            modules = service.list_modules(
                session,
                level=parse_level(level) if level else None,
                audience=parse_audience(audience) if audience else None,
                code=service.parse_code_filter(code),
                query=q,
                include_inactive=include_inactive,
            )
        return ModuleListOut(
            count=len(modules), modules=[ModuleOut.from_module(m) for m in modules]
        )

    @router.get("/api/catalog/modules/{code}", response_model=ModuleDetailOut)
    def get_module(
        session: Annotated[Session, Depends(session_dependency)], code: str
    ) -> ModuleDetailOut:
        """One module by any spelling of its code, with its versions."""
        with _http_errors():
            parsed = service.parse_code_filter(code)
            if parsed is None:
                raise CatalogError("Thiếu mã mô đun / module code missing")
            module = service.get_module(session, parsed)
        history = service.module_history(session, module)
        return ModuleDetailOut(
            **ModuleOut.from_module(module).model_dump(),
            versions=[ModuleVersionOut.from_entry(entry) for entry in history],
        )

    @router.get("/api/catalog/releases", response_model=list[ReleaseOut])
    def list_releases(session: Annotated[Session, Depends(session_dependency)]) -> list[ReleaseOut]:
        """Every catalog release, newest first."""
        return [ReleaseOut.from_summary(s) for s in service.list_releases(session)]

    @router.get("/catalog", response_class=HTMLResponse, include_in_schema=False)
    def catalog_page(
        session: Annotated[Session, Depends(session_dependency)],
        q: str = "",
        level: str = "",
        audience: str = "",
    ) -> HTMLResponse:
        """The searchable catalog page."""
        chosen_level: Level | None = None
        chosen_audience: Audience | None = None
        error: str | None = None
        try:
            chosen_level = parse_level(level) if level else None
            chosen_audience = parse_audience(audience) if audience else None
        except CatalogError as exc:
            error = exc.message
        modules = (
            []
            if error
            else service.list_modules(
                session, level=chosen_level, audience=chosen_audience, query=q
            )
        )
        html = render_catalog_page(
            modules,
            service.latest_release(session),
            query=q,
            level=chosen_level,
            audience=chosen_audience,
            error=error,
        )
        return HTMLResponse(html, status_code=400 if error else 200)

    return router


@contextmanager
def _http_errors() -> Iterator[None]:
    """Turn catalog errors into HTTP errors carrying the bilingual message."""
    try:
        yield
    except CatalogError as exc:
        raise HTTPException(status_code=exc.status_code, detail=exc.message) from exc
