"""Publisher checksums: a Zenodo record served by a real mirror verifies each download."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import pytest
from shapely.geometry import MultiPolygon, box

from autopkg.domain.boundary import Boundary
from autopkg.domain.sources import FetchedSource, Source
from autopkg.errors import SourceError
from autopkg.processors.context import LocalRunContext
from autopkg.processors.fetch import mirror_relpath
from autopkg.processors.zenodo import record_source
from tests.fixtures.mirror import RequestLog, serve_directory
from tests.fixtures.zenodo import write_record

RECORD = "7438145"
NAMES = ("first.tif", "second.tif")
DATA = {name: (name * 40_000).encode() for name in NAMES}
SOURCES = {
    name: Source(url=f"https://zenodo.org/records/{RECORD}/files/{name}", filename=name)
    for name in NAMES
}
BOUNDARY = Boundary("sq", "Square", 0, MultiPolygon([box(0, 0, 1, 1)]))


def _publish(mirror: Path) -> None:
    for name, data in DATA.items():
        path = mirror / mirror_relpath(SOURCES[name].url)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _context(tmp_path: Path, mirror: str, *, verify: bool = True) -> LocalRunContext:
    return LocalRunContext(
        BOUNDARY,
        tmp_path / "scratch",
        tmp_path / "cache",
        mirror=mirror,
        verify=verify,
        on_progress=lambda percent, task: None,
        timeout=5,
    )


def test_record_urls_are_found_for_both_zenodo_file_forms() -> None:
    for form in ("records", "record"):
        record = record_source(f"https://zenodo.org/{form}/3628142/files/lv.tif")
        assert record is not None and record.url == "https://zenodo.org/api/records/3628142"
    assert record_source("https://naciscdn.org/naturalearth/10m/x.zip") is None


def test_files_matching_the_record_pass_and_the_record_is_read_once(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    _publish(mirror)
    write_record(mirror, RECORD, DATA)
    log = RequestLog()
    with serve_directory(mirror, log=log) as url:
        ctx = _context(tmp_path, url)
        paths = [ctx.fetch(SOURCES[name]) for name in NAMES]
    assert [path.read_bytes() for path in paths] == [DATA[name] for name in NAMES]
    assert log.hits[f"/zenodo.org/api/records/{RECORD}"] == 1
    # The publisher's md5 was checked, and is kept beside the cached file.
    assert (
        paths[0].with_name("first.tif.md5").read_text()
        == hashlib.md5(DATA["first.tif"]).hexdigest()
    )
    assert ctx.fetched[0] == FetchedSource(
        SOURCES["first.tif"].url, "first.tif", len(DATA["first.tif"]),
        hashlib.sha256(DATA["first.tif"]).hexdigest(),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("override", "cause"),
    [
        ({"checksum": "md5:" + "0" * 32}, "has md5 "),
        ({"size": 12}, " bytes, expected 12 "),
    ],
)
def test_a_file_differing_from_its_record_fails_with_the_cause(
    tmp_path: Path, override: dict[str, object], cause: str
) -> None:
    mirror = tmp_path / "mirror"
    _publish(mirror)
    write_record(mirror, RECORD, DATA, override=override)
    with serve_directory(mirror) as url, pytest.raises(SourceError) as failure:
        _context(tmp_path, url).fetch(SOURCES["first.tif"])
    assert cause in failure.value.message
    assert (
        f"the publisher's record https://zenodo.org/api/records/{RECORD}" in failure.value.message
    )
    assert not list((tmp_path / "cache").rglob("first.tif"))


def test_without_verification_the_record_is_not_read(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    _publish(mirror)
    write_record(mirror, RECORD, DATA, override={"size": 12})
    log = RequestLog()
    with serve_directory(mirror, log=log) as url:
        path = _context(tmp_path, url, verify=False).fetch(SOURCES["first.tif"])
    assert path.read_bytes() == DATA["first.tif"]
    assert log.hits[f"/zenodo.org/api/records/{RECORD}"] == 0


@pytest.mark.parametrize("record", [None, b"<html>Service unavailable</html>"])
def test_an_unreadable_record_only_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, record: bytes | None
) -> None:
    mirror = tmp_path / "mirror"
    _publish(mirror)
    if record is not None:
        path = write_record(mirror, RECORD, {})
        path.write_bytes(record)
    with serve_directory(mirror) as url, caplog.at_level(logging.WARNING):
        ctx = _context(tmp_path, url)
        paths = [ctx.fetch(SOURCES[name]) for name in NAMES]
    assert [path.read_bytes() for path in paths] == [DATA[name] for name in NAMES]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings
    assert f"https://zenodo.org/api/records/{RECORD} could not be read" in warnings[0]
    assert [f.sha256 for f in ctx.fetched] == [
        hashlib.sha256(DATA[name]).hexdigest() for name in NAMES
    ]
    # A document that is not a record is not kept: the next run asks again.
    assert not [path for path in (tmp_path / "cache").rglob(RECORD) if path.is_file()]
