"""The xAPI HTTP API mounted at /xapi: every resource router in one place."""

from __future__ import annotations

from fastapi import APIRouter

from gateway.xapi import documents, resources, statements


def build_router() -> APIRouter:
    """All xAPI resources; the app mounts this at ``/xapi``."""
    router = APIRouter()
    router.include_router(statements.router)
    router.include_router(resources.router)
    router.include_router(documents.router)
    return router
