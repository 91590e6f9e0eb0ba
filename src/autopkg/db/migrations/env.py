"""Alembic environment: the URL comes from autopkg's settings, never from an ini file."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from autopkg.db.models import Base
from autopkg.db.session import make_engine


def _include_object(obj: object, name: str | None, type_: str, *_: object) -> bool:
    # PostGIS owns these tables; autogenerate must not try to drop them.
    return not (type_ == "table" and name in {"spatial_ref_sys"})


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=_include_object,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    """Upgrade using the connection handed over by autopkg, or a fresh engine."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as fresh:
        _run(fresh)
    engine.dispose()


run_migrations()
