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


def _schema_version(session: Session) -> str | None:
    session.execute(text("SELECT 1"))
    try:
        return session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:
        return None


@router.get("/readyz")
async def readyz(request: Request, database: Database = Depends(get_database)) -> Response:
    """Ready when the database answers and its schema is at the code's migration head."""
    try:
        version = await database.run(_schema_version)
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "error": type(exc).__name__}, 503)
    expected = request.app.state.schema_head
    if version != expected:
        return JSONResponse({"status": "unavailable", "schema": version, "expected": expected}, 503)
    return JSONResponse({"status": "ok", "schema": version})


@router.get("/metrics")
async def metrics() -> Response:
    """Prometheus text exposition of this process's counters."""
    return PlainTextResponse(render_metrics(), media_type="text/plain; version=0.0.4")
