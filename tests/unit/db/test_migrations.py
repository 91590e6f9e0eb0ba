"""The schema on SQLite and PostgreSQL + PostGIS: upgrade from empty, start-up, downgrade."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.orm import Session

from autopkg.boundaries.builtin import get_builtin
from autopkg.config import Settings
from autopkg.db import boundaries as boundary_repo
from autopkg.db.migrate import alembic_config
from autopkg.db.types import MultiPolygonType
from autopkg.runtime import open_runtime
from tests.fixtures.postgres import postgis_database


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'schema.sqlite'}"
        return
    with postgis_database() as url:
        yield url


def test_start_up_migrates_and_loads_the_builtin_boundaries(
    database_url: str, tmp_path: Path
) -> None:
    rt = open_runtime(Settings(data_dir=tmp_path / "data", database_url=database_url))
    try:
        with rt.database.read_session() as session:
            assert boundary_repo.count(session) == 242
            found = boundary_repo.search_by_point(session, longitude=-1.0, latitude=7.9)
            assert [(unit.name, unit.name_long) for unit in found] == [("gha", "Ghana")]
            # In the Gulf of Guinea, nothing; across the antimeridian, Fiji.
            assert boundary_repo.search_by_point(session, longitude=-10.0, latitude=0.0) == []
            fiji = boundary_repo.search_by_point(session, longitude=178.4, latitude=-18.1)
            assert [(unit.name, unit.name_long) for unit in fiji] == [("fji", "Fiji")]
        tables = set(inspect(rt.database.engine).get_table_names())
        assert {"boundaries", "jobs", "runs", "job_runs"} <= tables
        if rt.database.dialect == "postgresql":
            with rt.database.engine.connect() as connection:
                index = connection.execute(
                    text("SELECT indexdef FROM pg_indexes WHERE tablename = 'boundaries'")
                ).scalars()
                assert any("USING gist (geometry)" in row for row in index)
    finally:
        rt.database.dispose()


def test_every_migration_downgrades_to_empty_and_upgrades_again(database_url: str) -> None:
    config = alembic_config(database_url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = create_engine(database_url)
    try:
        left = set(inspect(engine).get_table_names()) - {"alembic_version", "spatial_ref_sys"}
        assert left == set()
        command.upgrade(config, "head")
        columns = {c["name"] for c in inspect(engine).get_columns("runs")}
        assert "publishing_at" in columns
        assert "client" in {c["name"] for c in inspect(engine).get_columns("jobs")}
        indexes = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("jobs")}
        assert indexes["ix_jobs_client"] == ["client"]
        assert "summary" in {c["name"] for c in inspect(engine).get_columns("jobs")}
        assert "summary_only" in columns
        command.downgrade(config, "0008")
        assert "summary" not in {c["name"] for c in inspect(engine).get_columns("jobs")}
        assert "summary_only" not in {c["name"] for c in inspect(engine).get_columns("runs")}
        command.downgrade(config, "0006")
        assert "client" not in {c["name"] for c in inspect(engine).get_columns("jobs")}
        assert "ix_jobs_client" not in {i["name"] for i in inspect(engine).get_indexes("jobs")}
    finally:
        engine.dispose()


def test_boundaries_stored_before_0008_get_natural_earths_codes_and_edition(
    database_url: str,
) -> None:
    config = alembic_config(database_url)
    command.upgrade(config, "0007")
    ghana = get_builtin("gha")
    old = sa.table(
        "boundaries",
        *(sa.column(n) for n in ("name", "name_long", "admin_level", "search_text")),
        *(sa.column(n, sa.Float()) for n in ("min_x", "min_y", "max_x", "max_y")),
        sa.column("geometry", MultiPolygonType()),
    )
    engine = create_engine(database_url)
    try:
        min_x, min_y, max_x, max_y = ghana.geometry.bounds
        with engine.begin() as connection:
            for name, name_long, level in (("gha", ghana.name_long, "0"), ("mine", "Mine", "")):
                connection.execute(
                    old.insert().values(
                        name=name,
                        name_long=name_long,
                        admin_level=level,
                        search_text="",
                        geometry=ghana.geometry,
                        min_x=min_x,
                        min_y=min_y,
                        max_x=max_x,
                        max_y=max_y,
                    )
                )
        command.upgrade(config, "head")
        with Session(engine) as session:
            assert boundary_repo.get(session, name="gha").edition == ghana.edition  # type: ignore[union-attr]
            assert boundary_repo.get(session, name="gha").codes == ghana.codes  # type: ignore[union-attr]
            assert boundary_repo.get(session, name="mine").edition == {}  # type: ignore[union-attr]
        assert "boundary_loads" in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_0011_moves_publishing_runs_to_their_own_active_state(database_url: str) -> None:
    config = alembic_config(database_url)
    command.upgrade(config, "0011-1")
    runs = sa.table(
        "runs",
        *(sa.column(n) for n in ("id", "boundary_name", "processor_id", "options_key", "state")),
        *(sa.column(n) for n in ("percent", "current_task", "attempts")),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("publishing_at", sa.DateTime(timezone=True)),
    )
    now = datetime.now(UTC)
    common = {"boundary_name": "zone", "options_key": "", "percent": 0.0, "current_task": ""}
    engine = create_engine(database_url)

    def states() -> dict[str, str]:
        with engine.connect() as connection:
            return dict(connection.execute(sa.select(runs.c.id, runs.c.state)).tuples().all())

    try:
        with engine.begin() as connection:
            for run_id, processor, publishing in (("a", "p.one", now), ("b", "p.two", None)):
                connection.execute(
                    runs.insert().values(
                        id=run_id,
                        processor_id=processor,
                        state="EXECUTING",
                        attempts=1,
                        created_at=now,
                        publishing_at=publishing,
                        **common,
                    )
                )
        command.upgrade(config, "0011")
        assert states() == {"a": "PUBLISHING", "b": "EXECUTING"}
        # A publishing run is active work: a second one for the same work is refused.
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(
                runs.insert().values(
                    id="c",
                    processor_id="p.one",
                    state="PENDING",
                    attempts=0,
                    created_at=now,
                    **common,
                )
            )
        command.downgrade(config, "0011-1")
        assert states() == {"a": "EXECUTING", "b": "EXECUTING"}
    finally:
        engine.dispose()
