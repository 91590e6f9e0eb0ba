"""The database URL a process uses, from the settings."""

from __future__ import annotations

from sqlalchemy.engine import URL

from autopkg.config import Settings


def database_url(settings: Settings) -> str:
    """``AUTOPKG_DATABASE_URL``; else one built from ``AUTOPKG_POSTGRES_*``; else SQLite.

    The PostgreSQL parts go through SQLAlchemy's ``URL.create``, which quotes each part,
    so a password holding ``@``, ``/`` or ``:`` still names the right server.
    """
    if settings.database_url:
        return settings.database_url
    if settings.postgres_host and settings.postgres_db:
        password = settings.postgres_password
        url = URL.create(
            "postgresql+psycopg",
            username=settings.postgres_user or "postgres",
            password=password.get_secret_value() if password is not None else None,
            host=settings.postgres_host,
            port=settings.postgres_port,
            database=settings.postgres_db,
        )
        return url.render_as_string(hide_password=False)
    return f"sqlite:///{(settings.data_dir / 'autopkg.sqlite').resolve()}"
