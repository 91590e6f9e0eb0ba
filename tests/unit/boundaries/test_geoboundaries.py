"""Reading geoBoundaries releases: the API document's forms, LFS pointers, bad answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autopkg.boundaries.geoboundaries import Fetch, api_source, fetch_release
from autopkg.errors import SourceError
from autopkg.processors.fetch import fetch_source, mirror_relpath
from tests.fixtures.standin_geoboundaries import GHANA, MEDIA, write_country

ADM1 = "releaseData/gbOpen/GHA/ADM1/geoBoundaries-GHA-ADM1.geojson"


@pytest.fixture
def mirror(tmp_path: Path) -> Path:
    root = tmp_path / "mirror"
    write_country(root, GHANA)
    return root


def _fetch(mirror: Path, cache: Path) -> Fetch:
    return lambda source: fetch_source(source, cache, mirror=mirror.as_uri(), verify=False)


def _document(mirror: Path, level: int) -> Path:
    return mirror / mirror_relpath(api_source("GHA", level).url)


def test_a_list_document_is_read_like_one_object(mirror: Path, tmp_path: Path) -> None:
    path = _document(mirror, 1)
    record = json.loads(path.read_text())
    other = {**record, "boundaryISO": "KEN"}
    path.write_text(json.dumps([other, record]))
    release = fetch_release(_fetch(mirror, tmp_path / "cache"), "GHA", 1)
    assert release is not None
    assert release.edition["boundary_id"] == record["boundaryID"]
    assert "license_detail" not in release.edition  # the publisher's "nan"
    assert len(release.units) == len(
        json.loads((mirror / mirror_relpath(f"{MEDIA}/{ADM1}")).read_text())["features"]
    )


def test_a_level_the_publisher_does_not_have_is_none(mirror: Path, tmp_path: Path) -> None:
    assert fetch_release(_fetch(mirror, tmp_path / "cache"), "FJI", 2) is None


def test_content_that_does_not_match_its_lfs_pointer_is_refused(
    mirror: Path, tmp_path: Path
) -> None:
    content = mirror / mirror_relpath(f"{MEDIA}/{ADM1}")
    content.write_bytes(content.read_bytes().replace(b"Ashanti", b"Ashanto"))
    with pytest.raises(SourceError, match="does not match the Git LFS pointer"):
        fetch_release(_fetch(mirror, tmp_path / "cache"), "GHA", 1)


@pytest.mark.parametrize(
    ("document", "needle"),
    [
        (b"<html>maintenance</html>", "is not a JSON document"),
        (json.dumps({"boundaryISO": "GHA", "boundaryType": "ADM1"}).encode(), "gjDownloadURL"),
        (json.dumps({"boundaryISO": "TGO", "boundaryType": "ADM1"}).encode(), "no record of GHA"),
    ],
)
def test_a_bad_api_document_names_its_url(
    mirror: Path, tmp_path: Path, document: bytes, needle: str
) -> None:
    _document(mirror, 1).write_bytes(document)
    with pytest.raises(SourceError, match=needle) as raised:
        fetch_release(_fetch(mirror, tmp_path / "cache"), "GHA", 1)
    assert "geoboundaries.org/api/current/gbOpen/GHA/ADM1" in raised.value.message
