"""GET /v1/packages/{boundary}/summary: the stored summary's rows as JSON, filtered."""

from __future__ import annotations

import threading
from dataclasses import asdict
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from autopkg.boundaries.builtin import get_builtin
from autopkg.domain.outputs import OutputFile
from autopkg.packaging.publish import publish_processor
from autopkg.runtime import Runtime
from autopkg.services.packages import mark_packages_changed
from autopkg.summary.compute import summarise
from autopkg.summary.files import Area
from tests.fixtures.standin_summary import FLOODS, PLANTS, POPULATION, make_sources, package_files
from tests.unit.packaging.factories import GPKG, TIFF, make_metadata


@pytest.fixture(scope="module")
def published(
    runtime: Runtime, pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> list[dict[str, object]]:
    boundary = get_builtin("bhs")
    sources = make_sources(Path(pytestconfig.cache.mkdir("summary-standins")))
    files = [
        f
        for f in package_files(sources, boundary, tmp_path_factory.mktemp("bhs"))
        if f.processor in (POPULATION, FLOODS, PLANTS)
    ]
    for processor in (POPULATION, FLOODS, PLANTS):
        name, _, version = processor.partition(".")
        outputs = [
            OutputFile(
                f.local, "GeoTIFF" if f.is_raster else "GeoPackage", TIFF if f.is_raster else GPKG
            )
            for f in files
            if f.processor == processor
        ]
        publish_processor(
            runtime.storage, boundary, make_metadata(name, version), outputs, lock=threading.Lock()
        )
    mark_packages_changed(runtime)
    area = Area("bhs", boundary.name_long, 0, boundary.geometry, clipped=True)
    return [asdict(row) for row in summarise(files, [area], {})]


def test_the_summary_answers_every_row(
    client: TestClient, published: list[dict[str, object]]
) -> None:
    response = client.get("/v1/packages/BHS/summary")
    assert response.status_code == 200
    assert response.json() == published
    assert {"population", "population_exposed", "plants_exposed"} <= {
        r["statistic"] for r in response.json()
    }
    again = client.get(
        "/v1/packages/bhs/summary", headers={"If-None-Match": response.headers["etag"]}
    )
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("query", "keep"),
    [
        ("statistic=population_exposed", lambda r: r["statistic"] == "population_exposed"),
        ("area=bhs", lambda r: True),
        ("area=gha", lambda r: False),
        (f"processor={PLANTS}", lambda r: PLANTS in (r["processor"], r["exposure_processor"])),
        (
            f"processor={FLOODS}&statistic=hazard_area_km2",
            lambda r: r["processor"] == FLOODS and r["statistic"] == "hazard_area_km2",
        ),
    ],
)
def test_filters(client: TestClient, published: list[dict[str, object]], query: str, keep) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/v1/packages/bhs/summary?{query}")
    assert response.status_code == 200
    assert response.json() == [r for r in published if keep(r)]


def test_bad_requests(client: TestClient, published: list[dict[str, object]]) -> None:
    unknown = client.get("/v1/packages/bhs/summary?statistic=people")
    assert unknown.status_code == 422
    assert "unknown statistic 'people'" in unknown.json()["detail"]
    missing = client.get("/v1/packages/zzz/summary")
    assert missing.status_code == 404
    assert "no package" in missing.json()["detail"]
