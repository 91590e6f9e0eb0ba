"""Boundary names as people type them: any case, no accents, other names; custom areas hidden."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from fastapi.testclient import TestClient

from autopkg.db import boundaries as boundary_repo
from autopkg.db.migrate import alembic_config
from autopkg.runtime import open_runtime
from tests.api.test_jobs import submit
from tests.conftest import make_settings

Waiter = Callable[..., dict[str, Any]]


def names(client: TestClient, text: str, **params: Any) -> list[str]:
    response = client.get("/v1/boundaries/search", params={"name": text, **params})
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("cote", "civ"),
        ("CÔTE D\u2019IVOIRE", "civ"),  # a typographic apostrophe
        ("ivory", "civ"),
        ("swaziland", "swz"),
        ("aland", "ala"),
        ("curacao", "cuw"),
        ("republic of ghana", "gha"),
    ],
)
def test_search_ignores_accents_and_knows_other_names(
    client: TestClient, typed: str, expected: str
) -> None:
    assert names(client, typed)[0] == expected


def test_an_exact_id_comes_first(client: TestClient) -> None:
    found = names(client, "GHA")
    assert found[0] == "gha"
    assert "afg" in found


def test_ids_are_case_insensitive_everywhere(client: TestClient, wait_for_job: Waiter) -> None:
    assert client.get("/v1/boundaries/GHA").json()["name"] == "gha"
    job = wait_for_job(submit(client, "SWZ", "test_processor.version_1"))
    assert job["boundary_name"] == "swz"
    assert client.get("/v1/packages/SWZ").json()["boundary_name"] == "swz"


def test_sorting_ignores_accents(client: TestClient) -> None:
    listed = [item["name"] for item in client.get("/v1/boundaries").json()]
    assert listed.index("ala") < listed.index("alb")  # Åland before Albania
    assert listed.index("civ") < listed.index("hrv")  # Côte d'Ivoire before Croatia


def test_custom_areas_are_listed_only_when_asked_for(
    client: TestClient, wait_for_job: Waiter
) -> None:
    area = {"type": "Polygon", "coordinates": [[[3, 3], [4, 3], [4, 4], [3, 4], [3, 3]]]}
    job = client.post(
        "/v1/jobs", json={"boundary": area, "processors": ["test_processor.version_1"]}
    )
    custom = wait_for_job(job.json()["job_id"])["boundary_name"]
    assert custom not in {b["name"] for b in client.get("/v1/boundaries").json()}
    everything = client.get("/v1/boundaries", params={"include_custom": "true"}).json()
    assert custom in {b["name"] for b in everything}
    assert names(client, "custom area") == []
    assert custom in names(client, "custom area", include_custom="true")


def test_migration_fills_search_text_of_existing_boundaries(tmp_path: Path) -> None:
    rt = open_runtime(make_settings(tmp_path))
    config = alembic_config(rt.database.url)
    command.downgrade(config, "0003")  # back to before the search text (0004)
    command.upgrade(config, "head")
    with rt.database.read_session() as session:
        found = boundary_repo.search_by_name(session, text="ivory")
    assert [(unit.name, unit.name_long) for unit in found] == [("civ", "Côte d'Ivoire")]
