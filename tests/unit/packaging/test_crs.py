"""Each resource records its file's CRS (and a raster's grid), read from the written file."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
from pyproj import CRS
from rasterio.transform import from_origin

from autopkg.domain.outputs import OutputFile
from autopkg.packaging.manifest import to_json
from autopkg.packaging.publish import (
    publish_processor,
    rebuild_manifest,
    validate_package,
)
from autopkg.storage.base import Storage
from autopkg.storage.localfs import LocalFSStorage
from tests.fixtures.manifests import stored_data, stored_manifest
from tests.fixtures.standin_rasters import GHSL_POP_NODATA
from tests.unit.packaging.factories import GHANA, TIFF, make_metadata, output_name
from tests.unit.packaging.real_packages import PLANTS, POPULATION, RELIEF, Outputs, publish_all

FRICTIONLESS = Path(sys.executable).parent / "frictionless"


def by_processor(storage: Storage, boundary: str) -> dict[str, list[dict[str, Any]]]:
    manifest = stored_manifest(storage, boundary)
    groups: dict[str, list[dict[str, Any]]] = {}
    for resource in stored_data(manifest):
        groups.setdefault(resource["autopkg:processor"], []).append(resource)
    return groups


def test_each_resource_records_the_crs_of_its_file(storage: Storage, outputs: Outputs) -> None:
    publish_all(storage, outputs)

    groups = by_processor(storage, outputs.boundary.name)
    assert {pid: [r["autopkg:crs"] for r in files] for pid, files in groups.items()} == {
        POPULATION.metadata.id: ["ESRI:54009"] * len(outputs.files[POPULATION.metadata.id]),
        RELIEF.metadata.id: ["EPSG:4326"],
        PLANTS.metadata.id: ["EPSG:4326"],
    }
    for output in outputs.files[POPULATION.metadata.id] + outputs.files[RELIEF.metadata.id]:
        (resource,) = [
            r for files in groups.values() for r in files if r["path"].endswith(output.path.name)
        ]
        with rasterio.open(output.path) as raster:
            assert resource["autopkg:grid"] == {
                "shape": [raster.height, raster.width],
                "transform": list(raster.transform)[:6],
                "bands": [
                    {"data_type": dtype, **({} if nodata is None else {"nodata": nodata})}
                    for dtype, nodata in zip(raster.dtypes, raster.nodatavals, strict=True)
                ],
            }
    (population, *_) = groups[POPULATION.metadata.id]
    assert population["autopkg:grid"]["bands"] == [
        {"data_type": "float32", "nodata": GHSL_POP_NODATA}
    ]
    assert "autopkg:grid" not in groups[PLANTS.metadata.id][0]


def test_the_manifest_with_crs_passes_frictionless(tmp_path: Path, outputs: Outputs) -> None:
    storage = LocalFSStorage(tmp_path / "packages")
    publish_all(storage, outputs)

    manifest = storage.path_of(f"{outputs.boundary.name}/datapackage.json")
    result = subprocess.run(
        [str(FRICTIONLESS), "validate", "--json", str(manifest)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    report = json.loads(result.stdout)
    assert report["valid"], report
    assert validate_package(storage, outputs.boundary.name) == []


def test_each_dataset_page_names_the_crs_of_each_file(storage: Storage, outputs: Outputs) -> None:
    publish_all(storage, outputs)
    b = outputs.boundary.name

    population = storage.get_bytes(
        f"{b}/datasets/jrc_ghsl_population/r2022_epoch2020_1km/index.html"
    )
    plants = storage.get_bytes(f"{b}/datasets/wri_powerplants/version_130/index.html")

    for output in outputs.files[POPULATION.metadata.id]:
        row = _row_of(population or b"", output.path.name)
        assert "<td>ESRI:54009</td>" in row
    (plants_file,) = outputs.files[PLANTS.metadata.id]
    assert "<td>EPSG:4326</td>" in _row_of(plants or b"", plants_file.path.name)


def test_rebuild_keeps_the_crs_and_reads_a_changed_file_again(
    storage: Storage, outputs: Outputs, tmp_path: Path
) -> None:
    publish_all(storage, outputs, only=(RELIEF, PLANTS))
    b = outputs.boundary.name
    published = stored_manifest(storage, b)
    lookup = {p.metadata.id: p.metadata for p in (RELIEF, PLANTS)}.get

    rebuilt = to_json(rebuild_manifest(storage, outputs.boundary, lookup, lock=threading.Lock()))

    # A rebuild is a new version of the package: a patch release, nothing else changes.
    assert (published["version"], rebuilt["version"]) == ("1.1.0", "1.1.1")
    unversioned = {"created": None, "version": None}
    assert {**rebuilt, **unversioned} == {**published, **unversioned}
    # The relief file is replaced by a raster in another CRS: rebuild reads it again.
    (relief,) = [r for r in stored_data(rebuilt) if r["autopkg:processor"] == RELIEF.metadata.id]
    replacement = tmp_path / "mercator.tif"
    with rasterio.open(
        replacement,
        "w",
        driver="GTiff",
        width=3,
        height=2,
        count=1,
        dtype="int16",
        crs="EPSG:3857",
        transform=from_origin(-100_000, 900_000, 500, 500),
        nodata=-1,
    ) as out:
        out.write(np.zeros((1, 2, 3), dtype="int16"))
    storage.put_file(replacement, f"{b}/{relief['path']}", TIFF)

    again = to_json(rebuild_manifest(storage, outputs.boundary, lookup, lock=threading.Lock()))

    (changed,) = [r for r in stored_data(again) if r["autopkg:processor"] == RELIEF.metadata.id]
    assert changed["autopkg:crs"] == "EPSG:3857"
    assert changed["autopkg:grid"] == {
        "shape": [2, 3],
        "transform": [500.0, 0.0, -100_000.0, 0.0, -500.0, 900_000.0],
        "bands": [{"data_type": "int16", "nodata": -1}],
    }
    # The file was replaced by hand, outside a publication, so the earlier versions
    # that named its old bytes cannot be read any more, and validate says so.
    problems = validate_package(storage, b)
    assert [p.split(": ")[0] for p in problems] == [
        f"versions/{v}/datapackage.json" for v in ("1.0.0", "1.1.0", "1.1.1")
    ]
    assert all(f"{relief['path']}: file has " in p for p in problems)


def test_a_crs_without_a_code_is_recorded_as_wkt2(tmp_path: Path) -> None:
    storage = LocalFSStorage(tmp_path / "packages")
    metadata = make_metadata("test_raster")
    path = tmp_path / output_name(metadata, None, "tif")
    custom = "+proj=moll +lon_0=10 +datum=WGS84 +units=m"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=4,
        height=4,
        count=1,
        dtype="uint8",
        crs=custom,
        transform=from_origin(-300_000, 1_200_000, 1000, 1000),
    ) as out:
        out.write(np.ones((1, 4, 4), dtype="uint8"))

    publish_processor(
        storage, GHANA, metadata, [OutputFile(path, "GeoTIFF", TIFF)], lock=threading.Lock()
    )

    (resource,) = stored_data(stored_manifest(storage, "gha"))
    recorded = CRS.from_wkt(resource["autopkg:crs"])
    assert recorded.to_authority(min_confidence=1) is None
    assert recorded.equals(CRS.from_user_input(custom), ignore_axis_order=True)
    page = storage.get_bytes("gha/datasets/test_raster/version_1/index.html") or b""
    assert f"{recorded.name} (WKT2 in autopkg:crs)" in _row_of(page, path.name)
    assert validate_package(storage, "gha") == []


def test_validate_refuses_a_crs_proj_cannot_read(storage: Storage, outputs: Outputs) -> None:
    publish_all(storage, outputs, only=(PLANTS,))
    b = outputs.boundary.name
    manifest = stored_manifest(storage, b)
    manifest["resources"][0]["autopkg:crs"] = "EPSG:0"
    manifest["resources"][0]["autopkg:grid"] = {"shape": [1], "transform": [], "bands": []}
    storage.put_bytes(json.dumps(manifest).encode(), f"{b}/datapackage.json", "application/json")

    problems = validate_package(storage, b)

    where = f"resource {manifest['resources'][0]['name']!r} ({manifest['resources'][0]['path']})"
    assert f"{where}: autopkg:crs is not a CRS that PROJ reads" in problems
    assert any(p.startswith(f"{where}: autopkg:grid is not ") for p in problems)


def _row_of(page: bytes, file_name: str) -> str:
    """Return the table row of ``file_name`` in a page's file table."""
    html = page.decode()
    start = html.index(f">{file_name}</a>")
    return html[html.rindex("<tr>", 0, start) : html.index("</tr>", start)]
