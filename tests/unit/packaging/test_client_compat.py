"""The ancestor's published client downloads a package through the client view."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from irv_autopkg_client.client import Client  # type: ignore[import-untyped]  # the old client ships no types

from autopkg.packaging.manifest import client_view
from autopkg.packaging.publish import publish_processor, read_manifest
from autopkg.storage.localfs import LocalFSStorage
from tests.fixtures.mirror import serve_directory
from tests.unit.packaging.factories import GHANA, ODBL, make_metadata, write_output

RASTER = make_metadata("test_raster")
VECTOR = make_metadata("test_vector", "version_2", license=ODBL)


def test_extract_download_fetches_every_file(tmp_path: Path) -> None:
    site = tmp_path / "site"
    storage = LocalFSStorage(site / "packages")
    contents = {
        "test_raster_version_1/test_raster-version_1-a-gha.tif": b"A" * 70_000,
        "test_raster_version_1/test_raster-version_1-b-gha.tif": b"B" * 5,
        "test_vector_version_2/test_vector-version_2-gha.gpkg": b"V" * 123,
    }
    lock = threading.Lock()
    publish_processor(
        storage,
        GHANA,
        RASTER,
        [
            write_output(tmp_path / "s", RASTER, b"A" * 70_000, sub="a"),
            write_output(tmp_path / "s", RASTER, b"B" * 5, sub="b"),
        ],
        lock=lock,
    )
    publish_processor(
        storage,
        GHANA,
        VECTOR,
        [write_output(tmp_path / "s", VECTOR, b"V" * 123, ext="gpkg")],
        lock=lock,
    )
    manifest = read_manifest(storage, "gha")
    assert manifest is not None
    with serve_directory(site) as url:
        view = client_view(manifest, storage.url("gha", f"{url}/packages"))
        route = site / "v1" / "packages" / "gha"
        route.parent.mkdir(parents=True)
        route.write_text(json.dumps({"boundary_name": "gha", "datapackage": view}))
        Client(base_url=f"{url}/v1/").extract_download("gha", str(tmp_path / "download"))
        only_vector = tmp_path / "only-vector"
        Client(base_url=f"{url}/v1/").extract_download(
            "gha", str(only_vector), dataset_filter=["test_vector.version_2"]
        )
    downloaded = tmp_path / "download" / "gha"
    got = {p.relative_to(downloaded).as_posix(): p.read_bytes() for p in downloaded.rglob("*.*")}
    assert got == contents
    assert [p.name for p in (only_vector / "gha").rglob("*.*")] == [
        "test_vector-version_2-gha.gpkg"
    ]
