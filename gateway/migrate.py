"""Run Alembic migrations from code, wherever the package is installed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations


def alembic_config(database_url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Bring the schema up to ``revision`` (every branch head by default)."""
    command.upgrade(alembic_config(database_url), revision)


def current_heads(database_url: str) -> set[str]:
    """Revisions the database is at (empty for a fresh database)."""
    from alembic.runtime.migration import MigrationContext

    from learning_store.database import make_engine

    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def script_heads(database_url: str) -> set[str]:
    """Revisions the code expects."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(alembic_config(database_url)).get_heads())
