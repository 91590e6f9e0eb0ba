"""Mistakes are one line even at the default log level, before any start-up line."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
import shapely

from tests.cli.test_commands import assert_one_line_error, autopkg


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The environment of a user who set nothing: INFO lines, as JSON, on stderr."""
    data = tmp_path_factory.mktemp("one-line")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("AUTOPKG_")}
    return {**environ, "AUTOPKG_DATA_DIR": str(data)}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_package_of_an_unknown_boundary_prints_only_the_error(env: dict[str, str]) -> None:
    # The first start loads the built-in boundaries (and says so); mistakes come after.
    assert autopkg(env, "boundaries", "list", "--json").returncode == 0
    result = autopkg(env, "package", "gambia", "-p", "natural_earth_raster.version_1")
    assert_one_line_error(result, "unknown boundary: 'gambia'")


def test_worker_without_a_broker_is_one_line_and_exit_1(env: dict[str, str]) -> None:
    broker = f"redis://:a-long-secret-password@127.0.0.1:{_closed_port()}/0"
    result = autopkg({**env, "AUTOPKG_CELERY_BROKER": broker}, "worker")
    assert_one_line_error(result, "(AUTOPKG_CELERY_BROKER) is not answering")
    assert "a-long-secret-password" not in result.stderr
    assert "alembic" not in result.stderr


def test_boundaries_load_with_every_row_rejected_exits_1(
    env: dict[str, str], tmp_path: Path
) -> None:
    area = shapely.geometry.mapping(shapely.box(-2.5, 5.0, 0.5, 8.0))
    rows = [{"code": "Bad Name!", "label": "Rejected"}, {"code": "", "label": "Empty"}]
    source = tmp_path / "rejected.geojson"
    source.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": row, "geometry": area} for row in rows
                ],
            }
        )
    )
    args = ("boundaries", "load", str(source), "--name-column", "code")
    result = autopkg(env, *args, "--long-name-column", "label")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "loaded 0 boundaries" in result.stdout
    lines = result.stderr.strip().splitlines()
    assert [line.split(" rejected: ")[0] for line in lines[:2]] == [
        f"{source}: row 1",
        f"{source}: row 2",
    ]
    assert lines[2:] == [f"error: every row of {source} was rejected: nothing loaded from it"]
