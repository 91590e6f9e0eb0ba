"""The database URL from the settings: explicit, PostgreSQL parts, or SQLite."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from autopkg.config import Settings
from autopkg.db.urls import database_url


def test_postgres_parts_are_quoted_not_pasted(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        postgres_host="db.internal",
        postgres_port=6543,
        postgres_db="autopkg",
        postgres_user="svc",
        postgres_password="p@ss:w/rd?#",
    )
    url = make_url(database_url(settings))
    assert url.drivername == "postgresql+psycopg"
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "svc",
        "p@ss:w/rd?#",
        "db.internal",
        6543,
        "autopkg",
    )


def test_an_explicit_url_wins_and_sqlite_is_the_default(tmp_path: Path) -> None:
    explicit = "postgresql+psycopg://u@h:5432/d"
    assert database_url(Settings(data_dir=tmp_path, database_url=explicit)) == explicit
    default = database_url(Settings(data_dir=tmp_path))
    assert default == f"sqlite:///{(tmp_path / 'autopkg.sqlite').resolve()}"
