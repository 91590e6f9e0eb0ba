"""CITATION.cff, citation.bib and boundary.geojson of a published package."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML ships no types
from shapely.geometry import shape

from autopkg.domain.reference import Person, Reference
from autopkg.packaging.citation import package_citation
from autopkg.packaging.citation_bib import citation_bib
from autopkg.packaging.manifest import parse_manifest
from autopkg.packaging.publish import publish_processor, validate_package
from autopkg.storage.localfs import LocalFSStorage
from tests.fixtures.manifests import stored_data, stored_manifest
from tests.unit.packaging.factories import GHANA, ODBL, make_metadata, write_output

RASTER = make_metadata("test_raster")
LANGE = Reference(
    authors=(Person(family="Lange", given="S."), Person(family="Volkholz", given="J.")),
    year=2020,
    version="1.0",
    url="https://doi.org/10.5281/zenodo.7732393",
    doi="10.5281/zenodo.7732393",
    publisher="Zenodo",
)
VECTOR = make_metadata("test_vector", "version_2", license=ODBL).model_copy(
    update={
        "data_author": "Lange S., Volkholz J. et al.",
        "data_origin_url": "https://doi.org/10.5281/zenodo.7732393",
        "data_citation": "Lange S. (2020): Drought & heat, 50% of {cells}_x. doi:10.1029/x",
        "data_reference": LANGE,
    }
)


@pytest.fixture
def storage(tmp_path: Path) -> LocalFSStorage:
    storage = LocalFSStorage(tmp_path / "packages")
    lock = threading.Lock()
    raster = [write_output(tmp_path, RASTER, b"raster")]
    publish_processor(storage, GHANA, RASTER, raster, lock=lock)
    vector = [write_output(tmp_path, VECTOR, b"vector", ext="gpkg")]
    publish_processor(storage, GHANA, VECTOR, vector, lock=lock)
    return storage


def text(storage: LocalFSStorage, key: str) -> str:
    return (storage.get_bytes(key) or b"").decode()


def test_manifest_sources_carry_the_citation(storage: LocalFSStorage) -> None:
    manifest = stored_manifest(storage, "gha")
    assert [r["sources"] for r in stored_data(manifest)] == [
        [
            {
                "title": "Test_Raster Data",
                "path": "https://example.org/test_raster",
                "author": "Test Author",
                "citation": "Author, T. (version_1) test_raster. https://example.org/test_raster",
            }
        ],
        [
            {
                "title": "Test_Vector Data",
                "path": "https://doi.org/10.5281/zenodo.7732393",
                "version": "1.0",
                "author": "Lange S., Volkholz J. et al.",
                "citation": VECTOR.data_citation,
                "autopkg:reference": {
                    "authors": [
                        {"family": "Lange", "given": "S."},
                        {"family": "Volkholz", "given": "J."},
                    ],
                    "year": 2020,
                    "version": "1.0",
                    "url": "https://doi.org/10.5281/zenodo.7732393",
                    "doi": "10.5281/zenodo.7732393",
                    "publisher": "Zenodo",
                },
            }
        ],
    ]


def test_citation_cff_cites_the_package_and_every_dataset(storage: LocalFSStorage) -> None:
    manifest = stored_manifest(storage, "gha")
    assert yaml.safe_load(text(storage, "gha/CITATION.cff")) == {
        "cff-version": "1.2.0",
        "message": (
            "This package holds the datasets listed under references, clipped to one "
            "boundary by autopkg. If you use it, cite the package at this version and each "
            "dataset you use as its reference says."
        ),
        "type": "dataset",
        "title": "Ghana data package",
        "abstract": "Global datasets clipped to the boundary of Ghana (gha) by autopkg.",
        "version": manifest["version"],
        "date-released": manifest["created"][:10],
        "license": ["CC-BY-4.0", "ODbL-1.0"],
        "authors": [
            {"name": "Test Author"},
            {"family-names": "Lange", "given-names": "S."},
            {"family-names": "Volkholz", "given-names": "J."},
        ],
        "references": [
            {
                "type": "data",
                "title": "Test_Raster Data",
                "authors": [{"name": "Test Author"}],
                "url": "https://example.org/test_raster",
                "license": "CC-BY-4.0",
                "notes": "Author, T. (version_1) test_raster. https://example.org/test_raster",
            },
            {
                "type": "data",
                "title": "Test_Vector Data",
                "authors": [
                    {"family-names": "Lange", "given-names": "S."},
                    {"family-names": "Volkholz", "given-names": "J."},
                ],
                "year": 2020,
                "version": "1.0",
                "url": "https://doi.org/10.5281/zenodo.7732393",
                "doi": "10.5281/zenodo.7732393",
                "publisher": {"name": "Zenodo"},
                "license": "ODbL-1.0",
                "notes": VECTOR.data_citation,
            },
        ],
    }


def test_citation_bib_has_one_escaped_entry_per_dataset(storage: LocalFSStorage) -> None:
    manifest = stored_manifest(storage, "gha")
    assert text(storage, "gha/citation.bib") == (
        "@misc{gha,\n"
        "  title = {{Ghana data package}},\n"
        "  author = {{Test Author} and Lange, S. and Volkholz, J.},\n"
        f"  year = {{{manifest['created'][:4]}}},\n"
        f"  version = {{{manifest['version']}}},\n"
        "  note = {Global datasets clipped to the boundary of Ghana (gha) by autopkg.}\n"
        "}\n"
        "\n"
        "@misc{test_raster.version_1,\n"
        "  title = {{Test\\_Raster Data}},\n"
        "  author = {{Test Author}},\n"
        "  url = {https://example.org/test_raster},\n"
        "  note = {Author, T. (version\\_1) test\\_raster. https://example.org/test\\_raster}\n"
        "}\n"
        "\n"
        "@misc{test_vector.version_2,\n"
        "  title = {{Test\\_Vector Data}},\n"
        "  author = {Lange, S. and Volkholz, J.},\n"
        "  year = {2020},\n"
        "  version = {1.0},\n"
        "  publisher = {Zenodo},\n"
        "  url = {https://doi.org/10.5281/zenodo.7732393},\n"
        "  doi = {10.5281/zenodo.7732393},\n"
        "  note = {Lange S. (2020): Drought \\& heat, 50\\% of \\{cells\\}\\_x. doi:10.1029/x}\n"
        "}\n"
    )


def test_a_package_published_before_citations_still_gets_references() -> None:
    stored = {
        "name": "gha",
        "resources": [
            {
                "name": "old-version_1-gha.tif",
                "path": "datasets/old/version_1/data/old-version_1-gha.tif",
                "bytes": 1,
                "hash": "sha256:" + "0" * 64,
                "autopkg:processor": "old.version_1",
                "sources": [{"title": "Old {data}", "path": "local\\copy", "version": "v~1"}],
            }
        ],
    }
    manifest = parse_manifest(stored, "datapackage.json")
    assert citation_bib(package_citation(manifest)) == (
        "@misc{gha,\n"
        "  author = {{Old \\{data\\}}}\n"
        "}\n"
        "\n"
        "@misc{old.version_1,\n"
        "  title = {{Old \\{data\\}}},\n"
        "  author = {{Old \\{data\\}}},\n"
        "  version = {v\\textasciitilde{}1},\n"
        "  url = {local%5Ccopy}\n"
        "}\n"
    )


def test_boundary_geojson_is_the_clip_boundary(storage: LocalFSStorage) -> None:
    collection = json.loads(text(storage, "gha/boundary.geojson"))
    (feature,) = collection["features"]
    assert collection["type"] == "FeatureCollection"
    assert feature["properties"] == {
        "name": "gha",
        "name_long": "Ghana",
        "admin_level": 0,
        "parent": None,
        "codes": {},
        "edition": {},
    }
    assert shape(feature["geometry"]).equals_exact(GHANA.geometry, tolerance=0)
    assert feature["geometry"]["type"] == "MultiPolygon"


def test_index_links_the_citations_and_the_boundary(storage: LocalFSStorage) -> None:
    index = text(storage, "gha/index.html")
    for link in ('href="CITATION.cff"', 'href="citation.bib"', 'href="boundary.geojson"'):
        assert link in index
    assert "<pre>Lange S. (2020): Drought &amp; heat, 50% of {cells}_x. doi:10.1029/x</pre>" in (
        index
    )


@pytest.mark.parametrize(
    "document", ["CITATION.cff", "citation.bib", "citation.json", "boundary.geojson"]
)
def test_validate_reports_a_missing_document(storage: LocalFSStorage, document: str) -> None:
    assert validate_package(storage, "gha") == []
    storage.delete(f"gha/{document}")
    assert validate_package(storage, "gha") == [
        f"{document}: file is missing; run 'autopkg packages rebuild'"
    ]
