"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy import text
from sqlalchemy.orm import Session

from gateway.db import Database, get_database
from gateway.metrics import render_metrics

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers; says nothing about the database."""
    return {"status": "ok"}


def _schema_versions(session: Session) -> set[str]:
    session.execute(text("SELECT 1"))
    try:
        return set(session.scalars(text("SELECT version_num FROM alembic_version")))
    except Exception:
        # An unmigrated database is "not ready", not a crash.
        session.rollback()
        return set()


@router.get("/readyz")
async def readyz(request: Request, database: Database = Depends(get_database)) -> Response:
    """Ready when the database answers and its schema is at every migration head."""
    try:
        versions = await database.run(_schema_versions)
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "error": type(exc).__name__}, 503)
    expected: set[str] = request.app.state.schema_heads
    if versions != expected:
        body = {"status": "unavailable", "schema": sorted(versions), "expected": sorted(expected)}
        return JSONResponse(body, 503)
    return JSONResponse({"status": "ok", "schema": sorted(versions)})


@router.get("/metrics")
async def metrics() -> Response:
    """Prometheus text exposition of this process's counters."""
    return PlainTextResponse(render_metrics(), media_type="text/plain; version=0.0.4")
