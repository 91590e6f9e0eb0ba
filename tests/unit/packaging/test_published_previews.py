"""Previews published with real GeoTIFFs and GeoPackages, on a folder and on S3."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import LineString

from autopkg.packaging.archive import package_archive
from autopkg.packaging.manifest import client_view, to_json
from autopkg.packaging.preview import RAMP
from autopkg.packaging.publish import (
    publish_processor,
    read_manifest,
    rebuild_manifest,
    validate_package,
)
from autopkg.storage.base import Storage
from autopkg.storage.localfs import LocalFSStorage
from tests.fixtures.manifests import stored_data, stored_manifest
from tests.unit.packaging.factories import GHANA, ODBL, make_metadata, write_geopackage
from tests.unit.packaging.factories import write_geotiff as geotiff

RASTER = make_metadata("test_raster")
VECTOR = make_metadata("test_vector", "version_2", license=ODBL)
FRICTIONLESS = Path(sys.executable).parent / "frictionless"
RASTER_DIR = "datasets/test_raster/version_1"
VECTOR_DIR = "datasets/test_vector/version_2"
INPUTS = {"boundary": "sha256:" + "0" * 64, "processor": "x", "options": {}, "sources": []}


def publish(storage: Storage, scratch: Path) -> None:
    values = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    rasters = [geotiff(scratch, RASTER, values, sub="a"), geotiff(scratch, RASTER, values, sub="b")]
    roads = [write_geopackage(scratch, VECTOR, [LineString([(-2.0, 8.0), (0.0, 8.0)])])]
    lock = threading.Lock()
    publish_processor(storage, GHANA, RASTER, rasters, lock=lock, inputs={**INPUTS})
    publish_processor(storage, GHANA, VECTOR, roads, lock=lock)


def test_each_output_records_its_preview(storage: Storage, tmp_path: Path) -> None:
    publish(storage, tmp_path)
    manifest = stored_manifest(storage, "gha")
    assert [(r["path"], r["autopkg:preview"]["path"]) for r in stored_data(manifest)] == [
        (
            f"{RASTER_DIR}/data/test_raster-version_1-a-gha.tif",
            f"{RASTER_DIR}/previews/test_raster-version_1-a-gha.tif.png",
        ),
        (
            f"{RASTER_DIR}/data/test_raster-version_1-b-gha.tif",
            f"{RASTER_DIR}/previews/test_raster-version_1-b-gha.tif.png",
        ),
        (
            f"{VECTOR_DIR}/data/test_vector-version_2-gha.gpkg",
            f"{VECTOR_DIR}/previews/test_vector-version_2-gha.gpkg.png",
        ),
    ]
    first = manifest["resources"][0]["autopkg:preview"]
    png = storage.get_bytes(f"gha/{first['path']}") or b""
    assert first == {
        "path": f"{RASTER_DIR}/previews/test_raster-version_1-a-gha.tif.png",
        "mediatype": "image/png",
        "bytes": len(png),
        "hash": "sha256:" + hashlib.sha256(png).hexdigest(),
        # Twelve values each enlarged alike: percentiles 2 and 98 are the first and last.
        "legend": {
            "type": "linear",
            "band": 1,
            "min": 0.0,
            "max": 11.0,
            "colours": list(RAMP),
            "stretch": [2.0, 98.0],
        },
    }
    assert manifest["resources"][2]["autopkg:preview"]["legend"]["type"] == "features"
    # The processor's resources are still exactly its files, each recording its inputs.
    returned = publish_processor(
        storage,
        GHANA,
        RASTER,
        [geotiff(tmp_path / "again", RASTER, np.ones((1, 2, 2)))],
        lock=threading.Lock(),
        inputs={**INPUTS},
    )
    assert [r.path for r in returned] == [f"{RASTER_DIR}/data/test_raster-version_1-gha.tif"]
    assert returned[0].inputs == INPUTS
    assert validate_package(storage, "gha") == []


def test_validate_checks_preview_bytes(storage: Storage, tmp_path: Path) -> None:
    publish(storage, tmp_path)
    key = f"gha/{VECTOR_DIR}/previews/test_vector-version_2-gha.gpkg.png"
    storage.put_bytes(b"not the preview", key, "image/png")
    (problem,) = validate_package(storage, "gha")
    assert problem.startswith(
        "preview of resource 'test_vector-version_2-gha.gpkg' "
        f"({VECTOR_DIR}/data/test_vector-version_2-gha.gpkg): file has 15 bytes, manifest says "
    )
    storage.delete(key)
    assert validate_package(storage, "gha")[0].endswith(": file is missing")


def test_pages_show_previews_and_the_client_view_leaves_them_out(
    storage: Storage, tmp_path: Path
) -> None:
    publish(storage, tmp_path)
    page = (storage.get_bytes(f"gha/{RASTER_DIR}/index.html") or b"").decode()
    assert '<img src="previews/test_raster-version_1-a-gha.tif.png"' in page
    assert "band 1 on a linear colour scale from 0\n" in page
    assert "11 (percentiles 2 and 98 of the cells inside the boundary" in page
    vector_page = (storage.get_bytes(f"gha/{VECTOR_DIR}/index.html") or b"").decode()
    assert '<img src="previews/test_vector-version_2-gha.gpkg.png"' in vector_page
    assert "features in" in vector_page
    index = (storage.get_bytes("gha/index.html") or b"").decode()
    assert ".png" not in index
    manifest = read_manifest(storage, "gha")
    assert manifest is not None
    view = client_view(manifest, "http://h/gha/")
    assert [len(r["path"]) for r in view["resources"]] == [2, 1]
    assert not any(url.endswith(".png") for r in view["resources"] for url in r["path"])


def test_the_zip_holds_previews_and_documents(storage: Storage, tmp_path: Path) -> None:
    publish(storage, tmp_path)
    archive = package_archive(storage, "gha")
    names = zipfile.ZipFile(io.BytesIO(b"".join(archive.chunks))).namelist()
    for member in (
        "gha/CITATION.cff",
        "gha/citation.bib",
        "gha/boundary.geojson",
        f"gha/{RASTER_DIR}/previews/test_raster-version_1-a-gha.tif.png",
        f"gha/{VECTOR_DIR}/previews/test_vector-version_2-gha.gpkg.png",
    ):
        assert member in names


def test_frictionless_accepts_a_package_with_previews(tmp_path: Path) -> None:
    storage = LocalFSStorage(tmp_path / "packages")
    publish(storage, tmp_path / "scratch")
    result = subprocess.run(
        [str(FRICTIONLESS), "validate", "--json", str(storage.path_of("gha/datapackage.json"))],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    assert (result.returncode, report["valid"]) == (0, True), result.stdout[:2000]


@pytest.mark.parametrize("lose_manifest", [False, True])
def test_rebuild_reproduces_previews(storage: Storage, tmp_path: Path, lose_manifest: bool) -> None:
    publish(storage, tmp_path)
    before = stored_manifest(storage, "gha")
    if lose_manifest:
        storage.delete("gha/datapackage.json")
    known = {m.id: m for m in (RASTER, VECTOR)}
    rebuilt = to_json(rebuild_manifest(storage, GHANA, known.get, lock=threading.Lock()))
    strip = {k: v for k, v in before.items() if k not in ("created", "version")}
    assert {k: v for k, v in rebuilt.items() if k not in ("created", "version")} == strip
    assert validate_package(storage, "gha") == []


def test_republishing_removes_stale_previews_and_stray_ones_are_reported(
    storage: Storage, tmp_path: Path
) -> None:
    publish(storage, tmp_path)
    values = np.ones((1, 2, 2), dtype=np.uint8)
    again = [geotiff(tmp_path / "again", RASTER, values, sub="c")]
    publish_processor(storage, GHANA, RASTER, again, lock=threading.Lock())
    assert storage.list_keys(f"gha/{RASTER_DIR}/previews/") == [
        f"gha/{RASTER_DIR}/previews/test_raster-version_1-c-gha.tif.png"
    ]
    stray = f"{VECTOR_DIR}/previews/leftover.png"
    storage.put_bytes(b"png", f"gha/{stray}", "image/png")
    assert validate_package(storage, "gha") == [f"{stray}: file is not in the manifest"]
