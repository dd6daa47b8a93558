"""The database of one gateway process and the unit of work around each use case."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ParamSpec, TypeVar

from fastapi import Request
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from learning_store.database import make_engine, make_session_factory

P = ParamSpec("P")
T = TypeVar("T")


class Database:
    """Engine and session factory; built by the app factory, never at import time."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine: Engine = make_engine(url, **engine_kwargs)
        self.sessions: sessionmaker[Session] = make_session_factory(self.engine)

    def transaction(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(session, ...)`` in one transaction: commit on return, roll back on error."""
        with self.sessions.begin() as session:
            return fn(session, *args, **kwargs)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``transaction`` off the event loop (SQLAlchemy here is synchronous)."""
        return await run_in_threadpool(self.transaction, fn, *args, **kwargs)

    def dispose(self) -> None:
        """Close pooled connections (shutdown, tests)."""
        self.engine.dispose()


def get_database(request: Request) -> Database:
    """FastAPI dependency: the app's database."""
    database: Database = request.app.state.database
    return database


def get_session(request: Request) -> Iterator[Session]:
    """FastAPI dependency: one session per request; the route owns the transaction."""
    database: Database = request.app.state.database
    with database.sessions() as session:
        yield session
