"""Publishing processors into a package on a real local storage."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

import pytest

from autopkg.domain.attributes import AttributeReport
from autopkg.domain.outputs import OutputFile
from autopkg.domain.sources import FetchedSource
from autopkg.errors import ProcessorError, StorageError
from autopkg.packaging.manifest import to_json
from autopkg.packaging.publish import publish_processor, read_manifest, rebuild_manifest
from autopkg.packaging.store import list_packages
from autopkg.storage.localfs import LocalFSStorage
from tests.fixtures.manifests import stored_data, stored_manifest
from tests.unit.packaging.factories import CC_BY, GHANA, ODBL, make_metadata, sha256, write_output

RASTER = make_metadata("test_raster")
VECTOR = make_metadata("test_vector", "version_2", license=ODBL)
SOURCE = FetchedSource(
    url="https://example.org/test_raster/global.tif",
    filename="global.tif",
    size=5,
    sha256="ef" * 32,
)


@pytest.fixture
def storage(tmp_path: Path) -> LocalFSStorage:
    return LocalFSStorage(tmp_path / "packages")


def publish_two(storage: LocalFSStorage, scratch: Path) -> None:
    lock = threading.Lock()
    publish_processor(
        storage,
        GHANA,
        RASTER,
        [
            write_output(scratch, RASTER, b"raster-a", sub="a"),
            write_output(scratch, RASTER, b"raster-bb", sub="b"),
        ],
        lock=lock,
        fetched=[SOURCE],
    )
    publish_processor(
        storage, GHANA, VECTOR, [write_output(scratch, VECTOR, b"vector", ext="gpkg")], lock=lock
    )


def test_publish_writes_the_package_layout(storage: LocalFSStorage, tmp_path: Path) -> None:
    publish_two(storage, tmp_path / "scratch")
    assert storage.list_keys("gha/") == [
        "gha/CITATION.cff",
        "gha/boundary.geojson",
        "gha/citation.bib",
        "gha/citation.json",
        "gha/datapackage.json",
        "gha/datasets/test_raster/version_1/data/test_raster-version_1-a-gha.tif",
        "gha/datasets/test_raster/version_1/data/test_raster-version_1-b-gha.tif",
        "gha/datasets/test_raster/version_1/index.html",
        "gha/datasets/test_raster/version_1/license.html",
        "gha/datasets/test_vector/version_2/data/test_vector-version_2-gha.gpkg",
        "gha/datasets/test_vector/version_2/index.html",
        "gha/datasets/test_vector/version_2/license.html",
        "gha/index.html",
        "gha/license.html",
        "gha/provenance.json",
        "gha/stac/collection.json",
        "gha/stac/test_raster-version_1.json",
        "gha/stac/test_vector-version_2.json",
        "gha/summary/summary.csv",
        "gha/summary/summary.parquet",
        "gha/version.html",
        "gha/versions/1.0.0/datapackage.json",
    ]
    assert list_packages(storage) == ["gha"]
    assert read_manifest(storage, "gha") is not None
    manifest = stored_manifest(storage, "gha")
    assert [
        (r["path"].rsplit("/", 1)[1], r["bytes"], r["hash"]) for r in stored_data(manifest)
    ] == [
        ("test_raster-version_1-a-gha.tif", 8, sha256(b"raster-a")),
        ("test_raster-version_1-b-gha.tif", 9, sha256(b"raster-bb")),
        ("test_vector-version_2-gha.gpkg", 6, sha256(b"vector")),
    ]
    assert manifest["licenses"] == [CC_BY.model_dump(), ODBL.model_dump()]
    assert (
        storage.get_bytes("gha/datasets/test_raster/version_1/data/test_raster-version_1-b-gha.tif")
        == b"raster-bb"
    )


def test_publish_returns_the_processor_resources(storage: LocalFSStorage, tmp_path: Path) -> None:
    resources = publish_processor(
        storage,
        GHANA,
        RASTER,
        [write_output(tmp_path, RASTER, b"12345")],
        lock=threading.Lock(),
    )
    manifest = stored_manifest(storage, "gha")
    assert [to_json(r) for r in resources] == stored_data(manifest)
    assert [(r.name, r.bytes, r.hash) for r in resources] == [
        ("test_raster-version_1-gha.tif", 5, sha256(b"12345"))
    ]


def test_provenance_records_sources_and_files(storage: LocalFSStorage, tmp_path: Path) -> None:
    publish_two(storage, tmp_path / "scratch")
    provenance = json.loads(storage.get_bytes("gha/provenance.json") or b"")
    assert list(provenance["processors"]) == ["test_raster.version_1", "test_vector.version_2"]
    raster = provenance["processors"]["test_raster.version_1"]
    assert raster["sources"] == [
        {
            "url": "https://example.org/test_raster/global.tif",
            "filename": "global.tif",
            "size": 5,
            "sha256": "ef" * 32,
        }
    ]
    assert [f["hash"] for f in raster["files"]] == [sha256(b"raster-a"), sha256(b"raster-bb")]
    assert raster["published_at"].endswith("Z")
    assert provenance["processors"]["test_vector.version_2"]["sources"] == []


def test_republishing_replaces_and_removes_stale_files(
    storage: LocalFSStorage, tmp_path: Path
) -> None:
    publish_two(storage, tmp_path / "scratch")
    before = stored_manifest(storage, "gha")
    publish_processor(
        storage,
        GHANA,
        RASTER,
        [write_output(tmp_path / "rerun", RASTER, b"raster-c!", sub="c")],
        lock=threading.Lock(),
    )
    manifest = stored_manifest(storage, "gha")
    # Files were replaced: a major version, published now, the previous one kept.
    assert (before["version"], manifest["version"]) == ("1.1.0", "2.0.0")
    assert manifest["created"] >= before["created"]
    assert storage.get_bytes("gha/versions/1.1.0/datapackage.json") is not None
    assert [(r["path"], r["hash"]) for r in stored_data(manifest)] == [
        (
            "datasets/test_raster/version_1/data/test_raster-version_1-c-gha.tif",
            sha256(b"raster-c!"),
        ),
        ("datasets/test_vector/version_2/data/test_vector-version_2-gha.gpkg", sha256(b"vector")),
    ]
    assert storage.list_keys("gha/datasets/test_raster/version_1/data/") == [
        "gha/datasets/test_raster/version_1/data/test_raster-version_1-c-gha.tif"
    ]
    provenance = json.loads(storage.get_bytes("gha/provenance.json") or b"")
    files = provenance["processors"]["test_raster.version_1"]["files"]
    assert [f["bytes"] for f in files] == [9]


def test_concurrent_publishes_keep_every_processor(storage: LocalFSStorage, tmp_path: Path) -> None:
    processors = [make_metadata(f"proc_{n}") for n in range(8)]
    outputs = [[write_output(tmp_path / m.name, m, m.name.encode() * 1000)] for m in processors]
    lock = threading.Lock()
    start = threading.Barrier(len(processors))
    errors: list[BaseException] = []

    def run(n: int) -> None:
        start.wait()
        try:
            publish_processor(storage, GHANA, processors[n], outputs[n], lock=lock)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(processors))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    manifest = stored_manifest(storage, "gha")
    assert [r["autopkg:processor"] for r in stored_data(manifest)] == [
        f"proc_{n}.version_1" for n in range(8)
    ]
    provenance = json.loads(storage.get_bytes("gha/provenance.json") or b"")
    assert sorted(provenance["processors"]) == [f"proc_{n}.version_1" for n in range(8)]


@pytest.mark.parametrize(
    ("file_name", "reason"),
    [
        ("other-version_1-gha.tif", "is not named"),
        ("test_raster-version_1-ken.tif", "is not named"),
        ("test_raster-version_1-gha", "is not named"),
        ("test_raster-version_1--gha.tif", "is not named"),
        ("test_raster-version_1-Sub-gha.tif", "is not named"),
        ("test_raster-version_1-.hidden-gha.tif", "is not named"),
        (f"test_raster-version_1-{'a' * 201}-gha.tif", "is not named"),
    ],
)
def test_badly_named_outputs_are_refused(
    storage: LocalFSStorage, tmp_path: Path, file_name: str, reason: str
) -> None:
    path = tmp_path / file_name
    path.write_bytes(b"x")
    output = OutputFile(path=path, format="GeoTIFF", mediatype="image/tiff")
    with pytest.raises(ProcessorError, match=reason):
        publish_processor(storage, GHANA, RASTER, [output], lock=threading.Lock())
    assert storage.list_keys("") == []


def test_a_source_stem_of_up_to_200_characters_is_a_sub(
    storage: LocalFSStorage, tmp_path: Path
) -> None:
    sub = "lange2020_h08_miroc5_ewembi_rcp60_2005soc_co2_led_v1.2_" + "x" * 145
    assert len(sub) == 200
    output = write_output(tmp_path, RASTER, b"x", sub=sub)
    (resource,) = publish_processor(storage, GHANA, RASTER, [output], lock=threading.Lock())
    assert resource.path.endswith(f"-{sub}-gha.tif")


def test_no_outputs_or_duplicates_are_refused(storage: LocalFSStorage, tmp_path: Path) -> None:
    with pytest.raises(ProcessorError, match="no files"):
        publish_processor(storage, GHANA, RASTER, [], lock=threading.Lock())
    output = write_output(tmp_path, RASTER, b"x")
    with pytest.raises(ProcessorError, match="same name"):
        publish_processor(storage, GHANA, RASTER, [output, output], lock=threading.Lock())
    assert storage.list_keys("") == []


def test_a_failed_upload_leaves_nothing_new_visible(
    storage: LocalFSStorage, tmp_path: Path
) -> None:
    publish_two(storage, tmp_path / "scratch")
    before = storage.list_keys("gha/")
    manifest_before = storage.get_bytes("gha/datapackage.json")
    outputs = [
        write_output(tmp_path / "again", VECTOR, b"new vector", ext="gpkg"),
        write_output(tmp_path / "again", VECTOR, b"blocked", sub="z", ext="gpkg"),
    ]
    # A folder where the second file must go: the rename into place really fails.
    blocked = storage.path_of("gha/datasets/test_vector/version_2/data/" + outputs[1].path.name)
    blocked.mkdir(parents=True)
    (blocked / "keep").write_bytes(b"")
    with pytest.raises(StorageError, match="writing gha/datasets/test_vector"):
        publish_processor(storage, GHANA, VECTOR, outputs, lock=threading.Lock())
    assert storage.get_bytes("gha/datapackage.json") == manifest_before
    listed = [k for k in storage.list_keys("gha/") if not k.endswith("/keep")]
    assert listed == before


def test_provenance_keeps_what_differed_in_attributes_through_a_rebuild(
    storage: LocalFSStorage, tmp_path: Path
) -> None:
    report = AttributeReport(
        differences=("column min_zoom is missing",),
        coerced={"scalerank": 2},
        not_written={"no geometry": 1},
    )
    vector = replace(write_output(tmp_path, VECTOR, b"vector", ext="gpkg"), attributes=report)
    lock = threading.Lock()
    publish_processor(storage, GHANA, VECTOR, [vector], lock=lock)
    publish_processor(storage, GHANA, RASTER, [write_output(tmp_path, RASTER, b"r")], lock=lock)
    expected = {
        vector.path.name: {
            "differences": ["column min_zoom is missing"],
            "coerced": {"scalerank": 2},
            "empty_as_null": {},
            "not_written": {"no geometry": 1},
            "renamed": {},
        }
    }

    for _ in ("published", "rebuilt"):
        processors = json.loads(storage.get_bytes("gha/provenance.json") or b"")["processors"]
        assert processors["test_vector.version_2"]["attributes"] == expected
        assert "attributes" not in processors["test_raster.version_1"]
        rebuild_manifest(storage, GHANA, {m.id: m for m in (RASTER, VECTOR)}.get, lock=lock)
