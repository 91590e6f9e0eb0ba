"""Published packages pass frictionless; validate_package and rebuild_manifest on storage."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from frictionless import Package

from autopkg.domain.metadata import Metadata
from autopkg.domain.outputs import OutputFile
from autopkg.errors import NotFoundError
from autopkg.packaging.manifest import to_json
from autopkg.packaging.publish import (
    package_notes,
    publish_processor,
    rebuild_manifest,
    validate_package,
)
from autopkg.storage.localfs import LocalFSStorage
from tests.fixtures.manifests import stored_data, stored_manifest
from tests.unit.packaging.factories import GHANA, ODBL, make_metadata, sha256, write_output

RASTER = make_metadata("test_raster")
VECTOR = make_metadata("test_vector", "version_2", license=ODBL)
FRICTIONLESS = Path(sys.executable).parent / "frictionless"
A_PATH = "datasets/test_raster/version_1/data/test_raster-version_1-a-gha.tif"
A_BYTES = b"\x00\x01raster-a" * 100


@pytest.fixture
def storage(tmp_path: Path) -> LocalFSStorage:
    storage = LocalFSStorage(tmp_path / "packages")
    lock = threading.Lock()
    outputs = [
        write_output(tmp_path / "s", RASTER, A_BYTES, sub="a"),
        write_output(tmp_path / "s", RASTER, b"raster-b" * 3, sub="b"),
    ]
    publish_processor(storage, GHANA, RASTER, outputs, lock=lock)
    vector = [write_output(tmp_path / "s", VECTOR, b"SQLite format 3\x00", ext="gpkg")]
    publish_processor(storage, GHANA, VECTOR, vector, lock=lock)
    return storage


def lookup(metadata: list[Metadata]) -> Callable[[str], Metadata | None]:
    known = {m.id: m for m in metadata}
    return known.get


def test_frictionless_cli_finds_no_error(storage: LocalFSStorage) -> None:
    manifest_path = storage.path_of("gha/datapackage.json")
    result = subprocess.run(
        [str(FRICTIONLESS), "validate", "--json", str(manifest_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(result.stdout)
    # Three data files, and the summary: its CSV checked against its Table Schema.
    assert (report["valid"], report["stats"]["errors"], len(report["tasks"])) == (True, 0, 5)
    plain = subprocess.run(
        [str(FRICTIONLESS), "validate", str(manifest_path)], capture_output=True, timeout=120
    )
    assert plain.returncode == 0


def test_frictionless_api_finds_no_error(storage: LocalFSStorage) -> None:
    report = Package(str(storage.path_of("gha/datapackage.json"))).validate()
    assert report.flatten(["type", "message"]) == []
    assert (report.valid, len(report.tasks)) == (True, 5)


def test_frictionless_catches_a_tampered_file(storage: LocalFSStorage) -> None:
    storage.path_of(f"gha/{A_PATH}").write_bytes(b"\x00\x01raster-A" * 100)
    report = Package(str(storage.path_of("gha/datapackage.json"))).validate()
    assert [e[0] for e in report.flatten(["type"])] == ["hash-count"]


def test_validate_package_accepts_a_published_package(storage: LocalFSStorage) -> None:
    assert validate_package(storage, "gha") == []


def test_validate_package_reports_tampering(storage: LocalFSStorage) -> None:
    storage.path_of(f"gha/{A_PATH}").write_bytes(b"\x00\x01raster-A" * 100)
    storage.path_of(
        "gha/datasets/test_raster/version_1/data/test_raster-version_1-b-gha.tif"
    ).write_bytes(b"short")
    storage.delete("gha/datasets/test_vector/version_2/data/test_vector-version_2-gha.gpkg")
    problems = validate_package(storage, "gha")
    # The raster files were changed outside a publication: the kept version 1.0.0, which
    # named them too, can no longer be read either.
    assert [p.split(": ", 2)[:2] for p in problems[3:]] == [
        ["versions/1.0.0/datapackage.json", A_PATH],
        ["versions/1.0.0/datapackage.json", A_PATH.replace("-a-", "-b-")],
    ]
    assert len(problems) == 5
    assert problems[0].startswith(
        f"resource 'test_raster-version_1-a-gha.tif' ({A_PATH}): file sha256 is "
    )
    assert problems[0].endswith(f"manifest says {sha256(A_BYTES)}")
    assert problems[1].endswith("file has 5 bytes, manifest says 24")
    assert problems[2].endswith("file is missing")


def test_validate_package_reports_manifest_problems(storage: LocalFSStorage) -> None:
    manifest = stored_manifest(storage, "gha")
    manifest["resources"][1]["name"] = manifest["resources"][0]["name"]
    manifest["resources"][2]["path"] = "../../etc/passwd"
    manifest["licenses"] = "CC-BY-4.0"
    storage.put_bytes(json.dumps(manifest).encode(), "gha/datapackage.json", "application/json")
    problems = validate_package(storage, "gha")
    assert (
        "datapackage.json: resource name 'test_raster-version_1-a-gha.tif' is repeated" in problems
    )
    assert any("licenses" in p for p in problems)
    assert any("../../etc/passwd" in p and "is not datasets/" in p for p in problems)
    assert validate_package(storage, "ken") == ["package 'ken' has no datapackage.json"]
    storage.put_bytes(b"{not json", "gha/datapackage.json", "application/json")
    assert validate_package(storage, "gha") == [
        "gha/datapackage.json is not a JSON object; run 'autopkg packages rebuild'"
    ]


def test_rebuild_regenerates_the_same_resources(storage: LocalFSStorage) -> None:
    before = stored_manifest(storage, "gha")
    storage.delete("gha/datapackage.json")
    rebuilt = to_json(
        rebuild_manifest(storage, GHANA, lookup([RASTER, VECTOR]), lock=threading.Lock())
    )
    assert rebuilt["resources"] == before["resources"]
    assert stored_manifest(storage, "gha") == rebuilt
    assert validate_package(storage, "gha") == []


def test_rebuild_rehashes_changed_files(storage: LocalFSStorage) -> None:
    storage.path_of(f"gha/{A_PATH}").write_bytes(b"new bytes")
    rebuilt = to_json(
        rebuild_manifest(storage, GHANA, lookup([RASTER, VECTOR]), lock=threading.Lock())
    )
    first = rebuilt["resources"][0]
    assert (first["path"], first["bytes"], first["hash"]) == (A_PATH, 9, sha256(b"new bytes"))
    # The earlier versions named the bytes replaced by hand: only they are reported.
    assert [p.split(": ", 2)[:2] for p in validate_package(storage, "gha")] == [
        [f"versions/{version}/datapackage.json", A_PATH] for version in ("1.0.0", "1.1.0")
    ]


def test_rebuild_keeps_unknown_processors_described_by_the_old_manifest(
    storage: LocalFSStorage,
) -> None:
    before = stored_manifest(storage, "gha")
    rebuilt = to_json(rebuild_manifest(storage, GHANA, lookup([RASTER]), lock=threading.Lock()))
    assert rebuilt["resources"] == before["resources"]
    storage.put_bytes(b"{broken", "gha/datapackage.json", "application/json")
    rebuilt = to_json(rebuild_manifest(storage, GHANA, lookup([RASTER]), lock=threading.Lock()))
    assert [r["autopkg:processor"] for r in stored_data(rebuilt)] == ["test_raster.version_1"] * 2
    assert (
        storage.size("gha/datasets/test_vector/version_2/data/test_vector-version_2-gha.gpkg") == 16
    )


def test_rebuild_without_data_files_fails(tmp_path: Path) -> None:
    empty = LocalFSStorage(tmp_path / "empty")
    with pytest.raises(NotFoundError, match="'gha'"):
        rebuild_manifest(empty, GHANA, lookup([RASTER]), lock=threading.Lock())


def test_validate_package_reports_stray_files_in_data_folders(storage: LocalFSStorage) -> None:
    stray = "datasets/test_raster/version_1/data/leftover.tif"
    storage.put_bytes(b"from a failed run", f"gha/{stray}", "image/tiff")
    storage.put_bytes(b"a note", "gha/notes.txt", "text/plain")
    assert validate_package(storage, "gha") == [f"{stray}: file is not in the manifest"]


def _without_created(manifest: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in manifest.items() if key not in ("created", "version")}


@pytest.mark.parametrize("lose_manifest", [False, True])
def test_rebuild_reproduces_the_manifest_apart_from_created(
    tmp_path: Path, lose_manifest: bool
) -> None:
    storage = LocalFSStorage(tmp_path / "packages")
    written = write_output(tmp_path / "s", RASTER, b"cog bytes", sub="c")
    unusual = OutputFile(
        path=written.path,
        format="tif",
        mediatype="image/tiff; application=geotiff; profile=cloud-optimized",
        title="Rasters, clipped",
        empty=True,
    )
    publish_processor(storage, GHANA, RASTER, [unusual], lock=threading.Lock())
    vector = [write_output(tmp_path / "s", VECTOR, b"SQLite format 3\x00", ext="gpkg")]
    publish_processor(storage, GHANA, VECTOR, vector, lock=threading.Lock())
    before = stored_manifest(storage, "gha")
    storage.put_bytes(b"leftover", f"gha/{A_PATH}", "image/tiff")
    if lose_manifest:
        storage.delete("gha/datapackage.json")

    rebuilt = to_json(
        rebuild_manifest(storage, GHANA, lookup([RASTER, VECTOR]), lock=threading.Lock())
    )

    assert _without_created(rebuilt) == _without_created(before)
    # A rebuild is a patch release of the manifest it replaces (a first one without it).
    assert (before["version"], rebuilt["version"]) == (
        "1.1.0",
        "1.0.0" if lose_manifest else "1.1.1",
    )
    assert rebuilt["created"] >= before["created"]
    (raster,) = [r for r in stored_data(rebuilt) if r["autopkg:processor"] == RASTER.id]
    assert (raster["format"], raster["title"], raster["autopkg:empty"]) == (
        "tif",
        "Rasters, clipped",
        True,
    )
    assert validate_package(storage, "gha") == [f"{A_PATH}: file is not in the manifest"]


def test_gdal_sidecars_are_notes_not_strays(storage: LocalFSStorage) -> None:
    # What QGIS leaves beside GeoTIFFs it opened in place (statistics, pyramids).
    sidecar = f"{A_PATH}.aux.xml"
    storage.put_bytes(b"<PAMDataset/>", f"gha/{sidecar}", "application/xml")
    overviews = A_PATH.replace("-a-", "-b-") + ".ovr"
    storage.put_bytes(b"overviews", f"gha/{overviews}", "image/tiff")
    # A sidecar of no listed file is a stray like any other.
    orphan = "datasets/test_raster/version_1/data/gone.tif.aux.xml"
    storage.put_bytes(b"<PAMDataset/>", f"gha/{orphan}", "application/xml")
    assert validate_package(storage, "gha") == [f"{orphan}: file is not in the manifest"]
    assert package_notes(storage, "gha") == [
        f"{path}: a GDAL sidecar (QGIS and GDAL write one beside a file they open), "
        "not part of the package; ignored"
        for path in (sidecar, overviews)
    ]
