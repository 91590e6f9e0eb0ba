"""Boundary uploads and custom areas: reserved names, dry runs, and refusals in words."""

from __future__ import annotations

from typing import Any

import pytest
import shapely
from fastapi.testclient import TestClient
from shapely.geometry import shape

from tests.fixtures.areas import polygon, square, upload_of

PROCESSORS = ["test_processor.version_1"]


def custom_area_name(client: TestClient, area: dict[str, Any]) -> str:
    """The name the service gives ``area``, from a dry run (which stores nothing)."""
    response = client.post(
        "/v1/jobs", params={"dry_run": "true"}, json={"boundary": area, "processors": PROCESSORS}
    )
    assert response.status_code == 200, response.text
    name: str = response.json()["boundary_name"]
    return name


def test_dry_runs_store_no_custom_area(client: TestClient) -> None:
    listed = client.get("/v1/boundaries", params={"include_custom": "true"}).json()
    names = [custom_area_name(client, square(-60 + index, -30)) for index in range(3)]
    assert len(set(names)) == 3 and all(n.startswith("custom-") for n in names)
    for name in names:
        assert client.get(f"/v1/boundaries/{name}").status_code == 404
    assert client.get("/v1/boundaries", params={"include_custom": "true"}).json() == listed


def test_an_upload_cannot_take_the_name_of_a_custom_area(
    client: TestClient, wait_for_job: Any
) -> None:
    victim = square(-58, -20)
    name = custom_area_name(client, victim)
    # Before the area exists, and after: the name is the service's to give.
    squat = client.post("/v1/boundaries", json=upload_of(square(0, 0, side=10), name=name))
    assert squat.status_code == 422, squat.text
    assert squat.json()["detail"] == (
        f"no boundary loaded: row 1: the name {name!r} is reserved: names starting with "
        "'custom-' or holding '-buffer-' are given by the service to the areas it makes"
    )
    job = client.post("/v1/jobs", json={"boundary": victim, "processors": PROCESSORS})
    assert job.status_code == 202, job.text
    assert wait_for_job(job.json()["job_id"])["boundary_name"] == name
    again = client.post("/v1/boundaries", json=upload_of(square(0, 0, side=10), name=name.upper()))
    assert again.status_code == 422, again.text
    stored = shape(client.get(f"/v1/boundaries/{name}").json()["geometry"])
    assert shapely.equals(stored, shape(victim))
    buffered = client.post("/v1/boundaries", json=upload_of(square(0, 0), name="gha-buffer-5m"))
    assert buffered.status_code == 422
    assert "'gha-buffer-5m' is reserved" in buffered.json()["detail"]


def test_uploads_and_custom_areas_have_no_admin_level(client: TestClient) -> None:
    response = client.post("/v1/boundaries", json=upload_of(square(-56, -20), name="levelless"))
    assert response.status_code == 200, response.text
    assert client.get("/v1/boundaries/levelless").json()["admin_level"] is None
    assert client.get("/v1/boundaries/gha").json()["admin_level"] == 0


def test_long_names_are_bounded_and_the_bound_is_in_the_schema(client: TestClient) -> None:
    upload = upload_of(square(-54, -20), name="wordy", name_long="x" * 100_000)
    response = client.post("/v1/boundaries", json=upload)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == (
        "no boundary loaded: row 1: a long name of 100,000 characters is over the limit "
        "of 200 characters"
    )
    parameters = client.get("/openapi.json").json()["paths"]["/v1/boundaries"]["post"]
    (long_name,) = [p for p in parameters["parameters"] if p["name"] == "long_name_column"]
    assert "1 to 200 characters" in long_name["description"]


@pytest.mark.parametrize("column", ["name_column", "long_name_column"])
def test_an_empty_column_name_is_422_naming_the_parameter(client: TestClient, column: str) -> None:
    response = client.post("/v1/boundaries", params={column: ""}, json=upload_of(square(0, 0)))
    assert response.status_code == 422, response.text
    assert response.json() == {"detail": f"query.{column}: String should have at least 1 character"}


@pytest.mark.parametrize(
    ("geometry", "properties", "status", "detail"),
    [
        (
            {"type": "Point", "coordinates": [1, 1]},
            {},
            422,
            "no boundary loaded: row 1: a Point encloses no area: a boundary is a Polygon "
            "or a MultiPolygon",
        ),
        (
            None,
            {},
            422,
            "no boundary loaded: row 1: the feature has no geometry",
        ),
        (
            polygon([[0, 0], [1, 0], [1, 1]]),
            {},
            422,
            "features.0.geometry.coordinates.0: a ring must be closed: at least 4 "
            "positions, the last the same as the first (this one has 3)",
        ),
        (
            polygon([[0, 0], [1, 0], [1, 1], [0, 1], [0, 0.5]]),
            {},
            422,
            "features.0.geometry.coordinates.0: a ring must be closed: at least 4 "
            "positions, the last the same as the first (this one has 5, ending elsewhere)",
        ),
        (
            square(0, 0),
            {"name_long": {"en": "Object"}},
            422,
            "no boundary loaded: row 1: names must be text or numbers, not JSON objects or arrays",
        ),
    ],
)
def test_unusable_features_are_refused_in_words(
    client: TestClient,
    geometry: dict[str, Any] | None,
    properties: dict[str, Any],
    status: int,
    detail: str,
) -> None:
    response = client.post("/v1/boundaries", json=upload_of(geometry, **properties))
    assert response.status_code == status, response.text
    assert response.json() == {"detail": detail}


def test_a_missing_column_names_the_features_properties_not_a_file(client: TestClient) -> None:
    response = client.post(
        "/v1/boundaries", params={"name_column": "iso"}, json=upload_of(square(0, 0))
    )
    assert response.status_code == 400, response.text
    assert response.json() == {
        "detail": "no feature has a property 'iso'; the features' properties: name, name_long"
    }


def test_a_form_upload_is_refused_in_words(client: TestClient) -> None:
    response = client.post(
        "/v1/boundaries", files={"file": ("areas.geojson", b'{"type": "FeatureCollection"}')}
    )
    assert response.status_code == 422, response.text
    assert response.json() == {
        "detail": "the body is multipart/form-data; send the GeoJSON FeatureCollection itself "
        "as the body, with Content-Type: application/json (a form or file upload is not read)"
    }


def test_the_custom_area_of_a_job_says_the_same_about_an_unclosed_ring(
    client: TestClient,
) -> None:
    body = {"boundary": polygon([[0, 0], [1, 0], [1, 1]]), "processors": PROCESSORS}
    response = client.post("/v1/jobs", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"] == (
        "boundary.coordinates.0: a ring must be closed: at least 4 positions, the last the "
        "same as the first (this one has 3)"
    )


def test_point_search_hides_custom_areas_unless_asked(
    client: TestClient, wait_for_job: Any
) -> None:
    area = square(-50, -20)
    job = client.post("/v1/jobs", json={"boundary": area, "processors": PROCESSORS})
    assert job.status_code == 202, job.text
    name = wait_for_job(job.json()["job_id"])["boundary_name"]
    point = {"latitude": -19.75, "longitude": -49.75}
    hidden = client.get("/v1/boundaries/search", params=point).json()
    assert name not in [b["name"] for b in hidden]
    shown = client.get("/v1/boundaries/search", params={**point, "include_custom": "true"})
    assert name in [b["name"] for b in shown.json()]
