"""Schema management: upgrade any database to Alembic's head revision."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from autopkg.db.session import Database
from autopkg.errors import ConfigurationError

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    """Return an Alembic config pointing at autopkg's migrations and ``url``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(database: Database) -> None:
    """Bring the schema to the newest revision (idempotent).

    Raises:
        ConfigurationError: naming the server's database (never its password) when it
            cannot be reached.
    """
    config = alembic_config(database.url)
    try:
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as exc:
        if database.dialect == "sqlite":
            raise
        shown = make_url(database.url).render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise ConfigurationError(f"cannot reach the database {shown}: {reason}") from None
