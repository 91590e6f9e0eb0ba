"""Jobs with ``buffer_m``: the buffered area is a boundary of its own, made once."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rasterio
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape

from autopkg.api.app import create_app
from autopkg.boundaries.builtin import get_builtin
from autopkg.db import counters
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.runtime import Runtime, open_runtime
from tests.conftest import make_settings

Waiter = Callable[..., dict[str, Any]]
PROCESSOR = "test_processor.version_1"
SQUARE = {"type": "Polygon", "coordinates": [[[-3, 8], [-2, 8], [-2, 9], [-3, 9], [-3, 8]]]}


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory, source_mirror: str) -> Runtime:
    """A runtime of this module's own: its many writes would use up the suite client's
    writes per minute."""
    data = tmp_path_factory.mktemp("buffers-data")
    return open_runtime(make_settings(data, source_mirror=source_mirror, rate_writes_per_minute=0))


@pytest.fixture(scope="module")
def client(runtime: Runtime) -> Iterator[TestClient]:
    """An in-process API client on :func:`runtime`, with embedded workers."""
    with TestClient(create_app(runtime, EmbeddedExecutor(runtime, workers=2))) as test_client:
        yield test_client


def boundaries_version(runtime: Runtime) -> int:
    with runtime.database.read_connection() as connection:
        counter = counters.Counter.BOUNDARIES_VERSION
        return counters.read(connection, counter)[counter]


def post(client: TestClient, body: dict[str, Any], *, dry_run: bool = False) -> Any:
    response = client.post("/v1/jobs", params={"dry_run": dry_run}, json=body)
    assert response.status_code == (200 if dry_run else 202), response.text
    return response.json()


def test_a_buffered_job_publishes_data_clipped_to_the_buffered_area(
    client: TestClient, runtime: Runtime, wait_for_job: Waiter
) -> None:
    body = {"boundary_name": "GMB", "buffer_m": 20_000, "processors": [PROCESSOR]}
    done = wait_for_job(post(client, body)["job_id"])
    name = done["boundary_name"]
    assert name == "gmb-buffer-20000m"
    assert done["job_group_processors"][0]["job_status"] == "SUCCESS"
    assert done["boundary_name_long"] == "The Gambia + 20 km"
    detail = client.get(f"/v1/boundaries/{name}").json()
    buffered = shape(detail["geometry"])
    original = get_builtin("gmb").geometry
    assert buffered.covers(original) and buffered.area > 2 * original.area

    folder = runtime.settings.packages_root / name
    data = folder / "datasets/test_processor/version_1/data"
    with rasterio.open(data / f"test_processor-version_1-{name}.tif") as src:
        valid = src.read(1) != src.nodata
        rows, cols = np.indices(valid.shape)
        xs, ys = rasterio.transform.xy(src.transform, rows.ravel(), cols.ravel())
    centres = np.column_stack([xs, ys])
    inside = shapely.contains_xy(buffered, centres[:, 0], centres[:, 1]).reshape(valid.shape)
    assert np.array_equal(valid, inside)
    in_original = shapely.contains_xy(original, centres[:, 0], centres[:, 1]).reshape(valid.shape)
    assert (valid & ~in_original).sum() > in_original.sum()  # the margin holds data

    extent = json.loads((folder / "boundary.geojson").read_text())
    (feature,) = extent["features"]
    assert feature["properties"]["buffer_m"] == 20_000
    assert feature["properties"]["name"] == name
    assert client.get("/v1/packages/gmb").status_code == 404  # its package is its own


def test_the_same_buffer_asked_again_is_reused(
    client: TestClient, runtime: Runtime, wait_for_job: Waiter
) -> None:
    body = {"boundary_name": "sen", "buffer_m": 5_000, "processors": [PROCESSOR]}
    first = wait_for_job(post(client, body)["job_id"])
    version = boundaries_version(runtime)
    again = wait_for_job(post(client, body)["job_id"])
    assert again["boundary_name"] == first["boundary_name"] == "sen-buffer-5000m"
    assert again["job_group_processors"][0]["job_status"] == "SKIPPED"
    assert boundaries_version(runtime) == version  # nothing written the second time
    twice = {**body, "boundary_name": "sen-buffer-5000m"}
    refused = client.post("/v1/jobs", json=twice)
    assert refused.status_code == 422, refused.text
    assert "'sen-buffer-5000m' is a buffered area already" in refused.json()["detail"]
    assert client.post("/v1/jobs", json={**twice, "buffer_m": None}).status_code == 202
    assert "sen-buffer-5000m" not in {row["name"] for row in client.get("/v1/boundaries").json()}


def test_a_dry_run_makes_the_buffer_in_memory_only(client: TestClient, runtime: Runtime) -> None:
    version = boundaries_version(runtime)
    named = post(
        client, {"boundary_name": "tgo", "buffer_m": 7_500, "processors": [PROCESSOR]}, dry_run=True
    )
    assert named["boundary_name"] == "tgo-buffer-7500m"
    assert named["processors"][0]["pixels"] > 0
    area = post(
        client, {"boundary": SQUARE, "buffer_m": 7_500, "processors": [PROCESSOR]}, dry_run=True
    )
    assert area["boundary_name"].startswith("custom-")
    assert area["boundary_name"].endswith("-buffer-7500m")
    assert boundaries_version(runtime) == version
    for name in (named["boundary_name"], area["boundary_name"]):
        assert client.get(f"/v1/boundaries/{name}").status_code == 404


def test_a_buffered_custom_area_is_stored_alone_under_its_given_name(
    client: TestClient, wait_for_job: Waiter
) -> None:
    body = {"boundary": SQUARE, "area_name": "Volta", "buffer_m": 1_500, "processors": [PROCESSOR]}
    done = wait_for_job(post(client, body)["job_id"])
    name = done["boundary_name"]
    assert name.startswith("custom-") and name.endswith("-buffer-1500m")
    assert done["boundary_name_long"] == "Volta + 1.5 km"
    unbuffered = name.removesuffix("-buffer-1500m")
    assert client.get(f"/v1/boundaries/{unbuffered}").status_code == 404
    detail = client.get(f"/v1/boundaries/{name}").json()
    west, south, east, north = shape(detail["geometry"]).bounds
    # 1.5 km is 0.0136° of latitude, and of longitude 1 / cos(9°) times that at 9°N.
    across = 1_500 / (111_320 * math.cos(math.radians(9)))
    assert west == pytest.approx(-3 - across, abs=2e-4)
    assert east == pytest.approx(-2 + across, abs=2e-4)
    assert south == pytest.approx(8 - 1_500 / 110_600, abs=2e-4)
    assert north == pytest.approx(9 + 1_500 / 110_640, abs=2e-4)


@pytest.mark.parametrize(
    ("buffer_m", "needle"),
    [
        (0, "greater than or equal to 1"),
        (-5, "greater than or equal to 1"),
        (200_001, "over the limit of 200,000 m (AUTOPKG_MAX_BUFFER_M)"),
        (1.5, "valid integer"),
        ("5000", "valid integer"),
        (True, "valid integer"),
    ],
)
def test_bad_buffers_are_422(client: TestClient, buffer_m: Any, needle: str) -> None:
    body = {"boundary_name": "gha", "buffer_m": buffer_m, "processors": [PROCESSOR]}
    for dry_run in (False, True):
        response = client.post("/v1/jobs", params={"dry_run": dry_run}, json=body)
        assert response.status_code == 422, response.text
        assert needle in response.json()["detail"]


def test_the_schema_states_the_buffer_bounds(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]["JobCreate"]
    field = schema["properties"]["buffer_m"]
    assert field["anyOf"][0] == {"type": "integer", "minimum": 1}
    assert "AUTOPKG_MAX_BUFFER_M" in field["description"]


def test_ogc_execution_takes_buffer_m(client: TestClient, wait_for_job: Waiter) -> None:
    described = client.get(f"/ogc/processes/{PROCESSOR}").json()["inputs"]["buffer_m"]
    assert described["schema"] == {"type": "integer", "minimum": 1, "maximum": 200_000}
    url = f"/ogc/processes/{PROCESSOR}/execution"
    response = client.post(url, json={"inputs": {"boundary_name": "ben", "buffer_m": 3_000}})
    assert response.status_code == 201, response.text
    done = wait_for_job(response.json()["jobID"])
    assert done["boundary_name"] == "ben-buffer-3000m"
    for bad in (0, 2.5, "3000", True, 200_001):
        refused = client.post(url, json={"inputs": {"boundary_name": "ben", "buffer_m": bad}})
        assert refused.status_code == 400, refused.text
        assert "buffer" in refused.json()["detail"].lower()


def test_the_area_limit_holds_on_the_buffered_area(tmp_path: Path) -> None:
    # Ghana is 239,000 km² as the clip reads it; grown by 50 km, 357,000 km².
    limited = open_runtime(make_settings(tmp_path, max_area_km2=300_000))
    body = {"boundary_name": "gha", "buffer_m": 50_000, "processors": [PROCESSOR]}
    with TestClient(create_app(limited, EmbeddedExecutor(limited, workers=1))) as client:
        response = client.post("/v1/jobs", params={"dry_run": True}, json=body)
        assert response.status_code == 422, response.text
        assert "over the limit of 300,000 km²" in response.json()["detail"]
        smaller = client.post(
            "/v1/jobs", params={"dry_run": True}, json={**body, "buffer_m": 1_000}
        )
        assert smaller.status_code == 200, smaller.text
