"""Request limits: body size, area size and repair, non-standard JSON, typed GeoJSON."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from autopkg.api.app import create_app
from autopkg.jobs.embedded import EmbeddedExecutor
from autopkg.runtime import open_runtime
from tests.conftest import make_settings
from tests.fixtures.areas import (
    BAND,
    BOWTIE,
    NEAR_WORLD,
    WORLD,
    collection_of,
    comb,
    polygon,
    ring,
    square,
    upload_of,
)

PROCESSORS = ["test_processor.version_1"]


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A service with small limits, so that bodies over them stay small."""
    rt = open_runtime(
        make_settings(
            tmp_path_factory.mktemp("limited"),
            max_body_bytes=4096,
            max_area_vertices=60,
            max_area_rings=3,
            max_area_parts=2,
            # A circle of ring() (radius 1°) is about 38,600 km².
            max_area_km2=50_000,
            max_repair_vertices=12,
            max_processors_per_job=3,
        )
    )
    with TestClient(create_app(rt, EmbeddedExecutor(rt, workers=0))) as client:
        yield client


def test_pathological_self_intersecting_polygon_is_refused_quickly(client: TestClient) -> None:
    # 2,000 random vertices cross each other ~10^6 times: repairing this took 35 s of
    # CPU and 2.6 GB before the limits were checked first.
    area = polygon(ring(2000, seed=1))
    started = time.process_time()
    response = client.post("/v1/jobs", json={"boundary": area, "processors": PROCESSORS})
    cpu = time.process_time() - started
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == (
        "the geometry is invalid (self-intersecting or overlapping parts) and has 2000 "
        "vertices; at most 200 vertices of invalid geometry are repaired per request "
        "(AUTOPKG_MAX_REPAIR_VERTICES): repair it before sending it"
    )
    assert cpu < 2.0, f"refusing took {cpu:.2f} s of CPU"


def test_the_same_polygon_is_refused_by_the_boundary_upload(client: TestClient) -> None:
    feature = {
        "type": "Feature",
        "properties": {"name": "tangle", "name_long": "Tangle"},
        "geometry": polygon(ring(2000, seed=1)),
    }
    started = time.process_time()
    response = client.post(
        "/v1/boundaries", json={"type": "FeatureCollection", "features": [feature]}
    )
    cpu = time.process_time() - started
    assert response.status_code == 422, response.text
    assert "row 1: the geometry is invalid" in response.json()["detail"]
    assert "AUTOPKG_MAX_REPAIR_VERTICES" in response.json()["detail"]
    assert cpu < 2.0, f"refusing took {cpu:.2f} s of CPU"
    assert client.get("/v1/boundaries/tangle").status_code == 404


def test_a_small_self_intersecting_area_is_repaired(limited: TestClient) -> None:
    bowtie = polygon([[10, 0], [11, 1], [11, 0], [10, 1], [10, 0]])
    response = limited.post("/v1/jobs", json={"boundary": bowtie, "processors": PROCESSORS})
    assert response.status_code == 202, response.text
    name = limited.get(f"/v1/jobs/{response.json()['job_id']}").json()["boundary_name"]
    geometry = limited.get(f"/v1/boundaries/{name}").json()["geometry"]
    assert geometry["type"] == "MultiPolygon"
    assert len(geometry["coordinates"]) == 2  # the two triangles of the bow tie


@pytest.mark.parametrize(
    ("area", "detail"),
    [
        (
            polygon(ring(61)),
            "61 vertices is over the limit of 60 per request (AUTOPKG_MAX_AREA_VERTICES)",
        ),
        (
            polygon(ring(5), ring(5), ring(5), ring(5)),
            "4 rings is over the limit of 3 per request (AUTOPKG_MAX_AREA_RINGS)",
        ),
        (
            {"type": "MultiPolygon", "coordinates": [[ring(5)], [ring(5)], [ring(5)]]},
            "3 parts (polygons) is over the limit of 2 per request (AUTOPKG_MAX_AREA_PARTS)",
        ),
        (
            polygon(ring(13, seed=2)),
            "the geometry is invalid (self-intersecting or overlapping parts) and has 13 "
            "vertices; at most 12 vertices of invalid geometry are repaired per request "
            "(AUTOPKG_MAX_REPAIR_VERTICES): repair it before sending it",
        ),
    ],
)
def test_areas_over_the_limits_are_refused_naming_the_limit(
    limited: TestClient, area: dict[str, Any], detail: str
) -> None:
    response = limited.post("/v1/jobs", json={"boundary": area, "processors": PROCESSORS})
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": detail}


def test_upload_limits_count_every_feature_and_share_one_repair_budget(
    limited: TestClient,
) -> None:
    def feature(name: str, coordinates: list[list[float]]) -> dict[str, Any]:
        return {
            "type": "Feature",
            "properties": {"name": name, "name_long": name.title()},
            "geometry": polygon(coordinates),
        }

    # The first bow tie uses 5 of the 12 vertices the request may have repaired.
    bowtie: list[list[float]] = [[20, 0], [21, 1], [21, 0], [20, 1], [20, 0]]
    crossed: list[list[float]] = [
        [30, 0],
        [31, 1],
        [31, 0.5],
        [31, 0],
        [30, 1],
        [30, 0.75],
        [30, 0.5],
        [30, 0],
    ]
    upload = {
        "type": "FeatureCollection",
        "features": [feature("first-tie", bowtie), feature("second-tie", crossed)],
    }
    response = limited.post("/v1/boundaries", json=upload)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [b["name"] for b in body["loaded"]] == ["first-tie"]
    (rejected,) = body["rejected"]
    assert rejected["row"] == 2
    assert "has 8 vertices; at most 12 vertices" in rejected["reason"]

    many = {"type": "FeatureCollection", "features": [feature(f"f{i}", ring(31)) for i in range(2)]}
    over = limited.post("/v1/boundaries", json=many)
    assert over.status_code == 422
    assert over.json() == {
        "detail": "62 vertices is over the limit of 60 per request (AUTOPKG_MAX_AREA_VERTICES)"
    }


def refused_km2(response: httpx.Response) -> int:
    """The area a 422 over the area limit names, after checking the rest of its detail."""
    assert response.status_code == 422, response.text
    found = re.fullmatch(
        r"an area of ([\d,]+) km² is over the limit of 50,000 km² per request "
        r"\(AUTOPKG_MAX_AREA_KM2\)",
        response.json()["detail"],
    )
    assert found is not None, response.text
    return int(found.group(1).replace(",", ""))


def test_a_custom_area_over_the_area_limit_is_refused(limited: TestClient) -> None:
    over = limited.post("/v1/jobs", json={"boundary": square(40, side=3), "processors": PROCESSORS})
    assert 110_000 < refused_km2(over) < 111_500
    two = square(40, side=2)
    under = limited.post("/v1/jobs", json={"boundary": two, "processors": PROCESSORS})
    assert under.status_code == 202, under.text


def test_an_upload_is_limited_by_the_area_of_all_its_features(limited: TestClient) -> None:
    def upload(*names: str) -> dict[str, Any]:
        features = [
            {
                "type": "Feature",
                "properties": {"name": name, "name_long": name.title()},
                "geometry": square(50 + 3 * index, side=1.5),
            }
            for index, name in enumerate(names)
        ]
        return {"type": "FeatureCollection", "features": features}

    # Each square is about 27,700 km²: one fits, two together do not.
    over = limited.post("/v1/boundaries", json=upload("wide-one", "wide-two"))
    assert 55_000 < refused_km2(over) < 56_000
    assert limited.get("/v1/boundaries/wide-one").status_code == 404
    under = limited.post("/v1/boundaries", json=upload("wide-one"))
    assert under.status_code == 200, under.text
    assert [b["name"] for b in under.json()["loaded"]] == ["wide-one"]


def test_processors_per_job_are_limited(limited: TestClient) -> None:
    body = {"boundary_name": "gha", "processors": [f"p{i}.version_1" for i in range(4)]}
    response = limited.post("/v1/jobs", json=body)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "4 processors is over the limit of 3 per job (AUTOPKG_MAX_PROCESSORS_PER_JOB)"
    }


def test_chunked_body_over_the_limit_is_413(limited: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"boundary_name": "gha", "processors": ["'
        for _ in range(5):
            yield b"a" * 1000
        yield b'"]}'

    response = limited.post(
        "/v1/jobs", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413, response.text
    assert response.json() == {
        "detail": "request body larger than 4096 bytes (AUTOPKG_MAX_BODY_BYTES)"
    }


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_non_standard_json_numbers_are_422(client: TestClient, constant: bytes) -> None:
    body = (
        b'{"boundary": {"type": "Polygon", "coordinates": [[[0, 0], ['
        + constant
        + b', 0], [1, 1], [0, 0]]]}, "processors": ["test_processor.version_1"]}'
    )
    response = client.post("/v1/jobs", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json() == {
        "detail": f"request body is not valid JSON: {constant.decode()} is not a standard "
        "JSON number"
    }


def test_non_standard_numbers_are_refused_in_uploads_too(client: TestClient) -> None:
    body = b'{"type": "FeatureCollection", "features": [], "bbox": [0, 0, 1, NaN]}'
    response = client.post(
        "/v1/boundaries", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert "NaN is not a standard JSON number" in response.json()["detail"]


def test_openapi_documents_the_typed_geojson(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    boundary = components["JobCreate"]["properties"]["boundary"]["anyOf"][0]
    assert sorted(boundary["discriminator"]["mapping"]) == [
        "Feature",
        "FeatureCollection",
        "MultiPolygon",
        "Polygon",
    ]
    assert {"AreaFeature", "AreaFeatureCollection", "PolygonGeometry"} <= set(components)
    position = components["PolygonGeometry"]["properties"]["coordinates"]["items"]["items"]
    assert position["items"] == {"type": "number"}
    assert position["minItems"] == 2 and position["maxItems"] == 3
    upload = schema["paths"]["/v1/boundaries"]["post"]["requestBody"]["content"]
    assert upload["application/json"]["schema"]["$ref"].endswith("UploadFeatureCollection")


def test_crossing_combs_in_a_geometry_collection_are_not_repaired(client: TestClient) -> None:
    # Two valid combs whose teeth cross 150² times: one GeometryCollection used to be
    # read as valid, so its parts were merged with no budget (6,008 vertices: 86 s of
    # CPU and 5.3 GB). Flattened, they are one invalid MultiPolygon, over the budget.
    combs = collection_of(polygon(comb(150)), polygon(comb(150, across=True)))
    response = client.post("/v1/boundaries", json=upload_of(combs))
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == (
        "no boundary loaded: row 1: the geometry is invalid (self-intersecting or "
        "overlapping parts) and has 1208 vertices; at most 200 vertices of invalid "
        "geometry are repaired per request (AUTOPKG_MAX_REPAIR_VERTICES): repair it "
        "before sending it"
    )
    assert client.get("/v1/boundaries/area-0").status_code == 404


@pytest.mark.parametrize(
    ("geometry", "detail"),
    [
        (
            collection_of(polygon(ring(5)), collection_of(polygon(ring(5)), polygon(ring(5)))),
            "3 parts (polygons) is over the limit of 2 per request (AUTOPKG_MAX_AREA_PARTS)",
        ),
        (
            collection_of(polygon(ring(61))),
            "61 vertices is over the limit of 60 per request (AUTOPKG_MAX_AREA_VERTICES)",
        ),
    ],
)
def test_geometry_collections_count_against_the_upload_limits(
    limited: TestClient, geometry: dict[str, Any], detail: str
) -> None:
    response = limited.post("/v1/boundaries", json=upload_of(geometry))
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": detail}


def test_a_geometry_collection_is_held_to_the_area_limit(limited: TestClient) -> None:
    over = limited.post("/v1/boundaries", json=upload_of(collection_of(square(60, side=3))))
    assert 110_000 < refused_km2(over) < 111_500
    assert limited.get("/v1/boundaries/area-0").status_code == 404


def refused_over_default(response: httpx.Response, status: int = 422) -> int:
    """The area a refusal names, over the default limit of 20,000,000 km² (a 422; under
    /ogc, which has none, a 400)."""
    assert response.status_code == status, response.text
    found = re.fullmatch(
        r"an area of ([\d,]+) km² is over the limit of 20,000,000 km² per request "
        r"\(AUTOPKG_MAX_AREA_KM2\)",
        response.json()["detail"],
    )
    assert found is not None, response.text
    return int(found.group(1).replace(",", ""))


@pytest.mark.parametrize(
    ("coordinates", "low", "high"),
    [
        # The whole Earth is 510.07 million km².
        (WORLD, 510_000_000, 510_100_000),
        # A box the clip reads as nearly the whole world; its geodesic area was a strip.
        (NEAR_WORLD, 505_000_000, 505_500_000),
        # 0-60°N: its geodesic edges all ran along the equator, 0 km².
        (BAND, 220_000_000, 221_000_000),
        # Five vertices whose halves cancel out as sent: two triangles once repaired.
        (BOWTIE, 150_000_000, 400_000_000),
    ],
)
def test_areas_as_wide_as_the_world_are_refused_by_every_route(
    client: TestClient, coordinates: list[list[float]], low: int, high: int
) -> None:
    area = polygon(coordinates)
    job = client.post("/v1/jobs", json={"boundary": area, "processors": PROCESSORS})
    assert low < refused_over_default(job) < high
    dry = client.post(
        "/v1/jobs", params={"dry_run": "true"}, json={"boundary": area, "processors": PROCESSORS}
    )
    assert refused_over_default(dry) == refused_over_default(job)
    ogc = client.post(
        "/ogc/processes/test_processor.version_1/execution", json={"inputs": {"boundary": area}}
    )
    assert refused_over_default(ogc, 400) == refused_over_default(job)
    upload = client.post("/v1/boundaries", json=upload_of(area))
    assert refused_over_default(upload) == refused_over_default(job)


def test_the_limits_are_published_for_clients_that_check_first(
    client: TestClient, limited: TestClient
) -> None:
    published = limited.get("/v1/limits")
    assert published.status_code == 200, published.text
    assert published.json() == {
        "max_area_km2": 50_000,
        "max_area_vertices": 60,
        # Not set above: the defaults, as the README's limits table states them.
        "max_buffer_m": 200_000,
        "max_processors_per_job": 3,
        "max_output_bytes": 50_000_000_000,
    }
    # An area the published limit refuses is refused by the service too.
    big = limited.post(
        "/v1/jobs?dry_run=true", json={"boundary": square(0, 0, 3), "processors": PROCESSORS}
    )
    assert big.status_code == 422 and "AUTOPKG_MAX_AREA_KM2" in big.json()["detail"]
    assert client.get("/v1/limits").json()["max_area_km2"] == 20_000_000
