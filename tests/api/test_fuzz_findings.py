"""Cases schemathesis found (``test_fuzz.py``), kept as regular tests."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_every_422_is_documented_as_the_error_it_is(client: TestClient) -> None:
    # Found: GET /v1/boundaries?include_custom=null answered {"detail": "..."} where
    # the schema promised FastAPI's HTTPValidationError (a list).
    schema = client.get("/openapi.json").json()
    documented = [
        (path, method, operation["responses"]["422"])
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if "422" in operation["responses"]
    ]
    assert len(documented) >= 10
    for path, method, response in documented:
        ref = response["content"]["application/json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/ErrorMessage", (method, path)
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    answer = client.get("/v1/boundaries?include_custom=null&include_custom=null")
    assert answer.status_code == 422
    assert isinstance(answer.json()["detail"], str)


def test_schema_valid_requests_naming_nothing_known_are_400(client: TestClient) -> None:
    # Found: valid by the schema, refused because the names do not exist.
    job = client.post(
        "/v1/jobs", json={"boundary": None, "boundary_name": "gha", "processors": [""]}
    )
    assert job.status_code == 400
    assert "processor" in job.json()["detail"]
    half_point = client.get("/v1/boundaries/search?latitude=-90&include_custom=true")
    assert half_point.status_code == 400
    assert isinstance(half_point.json()["detail"], str)


def test_an_upload_with_no_features_is_refused_with_a_reason(client: TestClient) -> None:
    empty = {"bbox": [0.0, 0.0, 0.0, 0.0], "type": "FeatureCollection", "features": []}
    answer = client.post("/v1/boundaries?name_column=name&long_name_column=name_long", json=empty)
    assert answer.status_code == 422
    assert answer.json() == {"detail": "no boundary loaded: the collection is empty"}


def test_odd_processor_names_are_404_not_errors(client: TestClient) -> None:
    # Found: an unknown name of control and astral characters (slow only under load).
    answer = client.get("/v1/processors/v%F1%AE%AE%AEtk%F0%90%B7%89%C3%A8k%09ZP")
    assert answer.status_code == 404
    assert isinstance(answer.json()["detail"], str)


def test_the_schema_states_the_rules_requests_are_refused_by(client: TestClient) -> None:
    # Found: requests valid by the schema refused with 422 for rules it did not state.
    schema = client.get("/openapi.json").json()
    text_parameters = [
        (path, parameter["name"], option)
        for path, methods in schema["paths"].items()
        for operation in methods.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "query"
        for option in parameter["schema"].get("anyOf", [parameter["schema"]])
        if option.get("type") == "string" and "enum" not in option
    ]
    assert len(text_parameters) >= 6
    for path, name, option in text_parameters:
        assert option["pattern"] == r"^[^\x00-\x1f\x7f]*$", (path, name)
    refused = client.get("/v1/jobs", params={"boundary_name": "g\x01ha"})
    assert refused.status_code == 422
    one_of = schema["components"]["schemas"]["JobCreate"]["oneOf"]
    assert [branch["required"] for branch in one_of] == [["boundary_name"], ["boundary"]]
    both = client.post(
        "/v1/jobs",
        json={"boundary_name": "gha", "area_name": "x", "processors": ["test_processor.version_1"]},
    )
    assert both.status_code == 422
