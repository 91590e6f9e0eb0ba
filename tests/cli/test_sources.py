"""``autopkg sources check|list|mirror`` against a real loopback mirror, as a subprocess."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from rasterio.transform import from_origin

from autopkg.processors.datasets.gridfinder.version_1 import GridfinderProcessor
from autopkg.processors.datasets.wri_aqueduct.version_2 import LISTING
from autopkg.processors.datasets.wri_powerplants.version_130 import WriPowerplantsProcessor
from autopkg.processors.fetch import mirror_relpath
from tests.cli.test_commands import assert_one_line_error, autopkg
from tests.fixtures.manifests import stored_data
from tests.fixtures.mirror import RequestLog, serve_directory
from tests.fixtures.standin_aqueduct import kept_names, listing_html, sample_names
from tests.fixtures.standin_rasters import write_sparse
from tests.fixtures.zenodo import write_record

GRIDFINDER = "gridfinder.version_1"
PLANTS = "wri_powerplants.version_130"
STORM = "storm.global_mosaics_version_1"
AQUEDUCT = "wri_aqueduct.version_2"
ZENODO_FILES = "https://zenodo.org/records/3628142/files"
MODELS = ("constant", "CMCC-CM2-VHR4", "CNRM-CM6-1-HR", "EC-Earth3P-HR", "HadGEM3-GC31-HM")


def _env(tmp_path: Path, mirror: str) -> dict[str, str]:
    return {
        **os.environ,
        "AUTOPKG_DATA_DIR": str(tmp_path / "data"),
        "AUTOPKG_SOURCE_MIRROR": mirror,
        "AUTOPKG_VERIFY_SOURCE_CHECKSUMS": "false",
        "AUTOPKG_LOG_LEVEL": "WARNING",
        "AUTOPKG_LOG_FORMAT": "text",
    }


def _link_gridfinder(mirror: Path, standins: Path, names: tuple[str, ...]) -> None:
    for name in names:
        relpath = mirror_relpath(f"{ZENODO_FILES}/{name}")
        (mirror / relpath).parent.mkdir(parents=True, exist_ok=True)
        (mirror / relpath).symlink_to(standins / relpath)


def _lines(stdout: str) -> dict[str, str]:
    """Each output line by the URL it reports on."""
    return {line.split()[2].rstrip(":"): line for line in stdout.splitlines()}


def test_check_reports_the_documented_files_ok_with_the_record_checksum(
    tmp_path: Path, source_mirror_root: Path
) -> None:
    mirror = tmp_path / "mirror"
    names = ("grid.gpkg", "targets.tif", "lv.tif")
    _link_gridfinder(mirror, source_mirror_root, names)
    files = {
        name: (mirror / "zenodo.org/records/3628142/files" / name).read_bytes() for name in names
    }
    write_record(mirror, "3628142", files)
    with serve_directory(mirror) as url:
        result = autopkg(_env(tmp_path, url), "sources", "check", GRIDFINDER)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = _lines(result.stdout)
    assert len(lines) == 4, result.stdout
    for name, data in files.items():
        line = lines[f"{ZENODO_FILES}/{name}"]
        assert line.startswith("ok "), line
        assert f"{len(data):,} bytes" in line and f"md5:{hashlib.md5(data).hexdigest()}" in line
    assert (
        "43200x21600 px of 0.00833333 x 0.00833333 from (-180, 90), uint8"
        in lines[f"{ZENODO_FILES}/targets.tif"]
    )
    assert lines["https://zenodo.org/api/records/3628142"].startswith("ok ")


def test_check_names_what_drifted_and_fails_on_a_removed_file(
    tmp_path: Path, source_mirror_root: Path
) -> None:
    mirror = tmp_path / "mirror"
    _link_gridfinder(mirror, source_mirror_root, ("grid.gpkg",))
    # targets.tif as the evidence suggests it may really be: 0.05°, not global, Float64.
    drifted = mirror / mirror_relpath(f"{ZENODO_FILES}/targets.tif")
    write_sparse(
        drifted, crs="EPSG:4326", transform=from_origin(-170, 80, 0.05, 0.05), shape=(3000, 6800),
        dtype="float64", nodata=-1.0, value=lambda rows, cols: (rows + cols) % 2,
        areas=[(-17.0, 13.0, -13.0, 14.0)],
    )  # fmt: skip
    with serve_directory(mirror) as url:
        env = _env(tmp_path, url)
        result = autopkg(env, "sources", "check", GRIDFINDER)
        as_json = autopkg(env, "sources", "check", GRIDFINDER, "--json")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = _lines(result.stdout)
    assert lines[f"{ZENODO_FILES}/grid.gpkg"].startswith("ok ")
    changed = lines[f"{ZENODO_FILES}/targets.tif"]
    assert changed.startswith("changed "), changed
    for words in (
        "resolution 0.05 x 0.05 (prior 0.00833333 x 0.00833333)",
        "origin (-170, 80) (prior (-180, 90))",
        "size 6800x3000 px (prior 43200x21600)",
        "dtype float64 (prior uint8)",
    ):
        assert words in changed, changed
    removed = lines[f"{ZENODO_FILES}/lv.tif"]
    assert removed.startswith("unreachable ") and "HTTP 404" in removed, removed
    # Without the record, the files are checked all the same (only a warning).
    assert lines["https://zenodo.org/api/records/3628142"].startswith("ok ")
    assert "could not be read" in result.stderr
    assert as_json.returncode == 1
    statuses = {report["source"]: report["status"] for report in json.loads(as_json.stdout)}
    assert statuses == {
        f"{ZENODO_FILES}/grid.gpkg": "ok",
        f"{ZENODO_FILES}/targets.tif": "changed",
        f"{ZENODO_FILES}/lv.tif": "unreachable",
        "https://zenodo.org/api/records/3628142": "ok",
    }


def test_list_names_every_url_a_mirror_must_hold(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    listing = mirror / mirror_relpath(LISTING.url)
    listing.parent.mkdir(parents=True)
    listing.write_text(listing_html(sample_names()), encoding="utf-8")
    with serve_directory(mirror) as url:
        env = _env(tmp_path, url)
        result = autopkg(env, "sources", "list", GRIDFINDER, STORM, AQUEDUCT, PLANTS)
        as_json = autopkg(env, "sources", "list", AQUEDUCT, "--json")
    assert result.returncode == 0, result.stderr
    storm = [
        f"https://zenodo.org/records/7438145/files/STORM_FIXED_RETURN_PERIODS_{model}_{rp}_YR_RP.tif"
        for model in MODELS
        for rp in [*range(10, 100, 10), *range(100, 1000, 100), *range(1000, 10001, 1000)]
    ]
    aqueduct_folder = LISTING.url.rsplit("/", 1)[0]
    kept = [name for name in sample_names() if name in kept_names()]
    expected = [
        *(f"{ZENODO_FILES}/{name}" for name in ("grid.gpkg", "targets.tif", "lv.tif")),
        "https://zenodo.org/api/records/3628142",
        *storm,
        "https://zenodo.org/api/records/7438145",
        LISTING.url,
        *(f"{aqueduct_folder}/{name}" for name in kept),
        "https://wri-dataportal-prod.s3.amazonaws.com/manual/global_power_plant_database_v_1_3.zip",
    ]
    assert result.stdout.splitlines() == expected
    rows = json.loads(as_json.stdout)
    assert [row["role"] for row in rows] == ["index"] + ["listed"] * len(kept)
    assert (
        rows[1]["path"] == f"wri-projects.s3.amazonaws.com/AqueductFloodTool/download/v2/{kept[0]}"
    )


def test_a_mirror_that_is_not_a_folder_is_one_line_error(tmp_path: Path) -> None:
    result = autopkg(_env(tmp_path, str(tmp_path / "nowhere")), "sources", "list", PLANTS)
    assert_one_line_error(result, "AUTOPKG_SOURCE_MIRROR")
    assert "nor a folder" in result.stderr


@pytest.mark.slow
@pytest.mark.parametrize("verify", ["false", "true"])
def test_mirror_fills_a_folder_that_a_second_run_publishes_from(
    tmp_path: Path, source_mirror_root: Path, verify: str
) -> None:
    """``sources mirror`` copies every source; a package is then made from the folder alone."""
    upstream = tmp_path / "upstream"
    names = ("grid.gpkg", "targets.tif", "lv.tif")
    _link_gridfinder(upstream, source_mirror_root, names)
    gppd = mirror_relpath(WriPowerplantsProcessor.sources[0].url)
    (upstream / gppd).parent.mkdir(parents=True)
    (upstream / gppd).symlink_to(source_mirror_root / gppd)
    files = {n: (upstream / "zenodo.org/records/3628142/files" / n).read_bytes() for n in names}
    write_record(upstream, "3628142", files)
    folder = tmp_path / "air-gapped"
    log = RequestLog()
    # GPPD's pinned SHA-1 is the publisher's, so with verification only gridfinder,
    # whose record describes the stand-ins, can be mirrored.
    processors = (GRIDFINDER,) if verify == "true" else (GRIDFINDER, PLANTS)
    with serve_directory(upstream, log=log) as url:
        env = {**_env(tmp_path, url), "AUTOPKG_VERIFY_SOURCE_CHECKSUMS": verify}
        first = autopkg(env, "sources", "mirror", str(folder), *processors)
        fetched = sum(log.hits.values())
        again = autopkg(env, "sources", "mirror", str(folder), *processors)
    assert first.returncode == 0, first.stdout + first.stderr
    assert again.returncode == 0, again.stdout + again.stderr
    # The second run found every file complete: nothing was downloaded again.
    assert sum(log.hits.values()) == fetched
    stored = 5 if verify == "false" else 4
    assert f"{stored} sources in {folder}, 0 not published (none there), 0 failed" in again.stdout
    for source in (*GridfinderProcessor.sources, *WriPowerplantsProcessor.sources[: stored - 4]):
        relpath = mirror_relpath(source.url)
        assert (folder / relpath).read_bytes() == (upstream / relpath).read_bytes()
    assert json.loads((folder / "zenodo.org/api/records/3628142").read_text())["files"]

    # A service with the folder as its only mirror (a plain path) publishes from it.
    output = tmp_path / "packages"
    env = {**_env(tmp_path / "second", str(folder)), "AUTOPKG_VERIFY_SOURCE_CHECKSUMS": verify}
    built = autopkg(env, "package", "gha", "-p", GRIDFINDER, "--output", str(output))
    assert built.returncode == 0, built.stdout + built.stderr
    manifest = json.loads((output / "gha" / "datapackage.json").read_text())
    paths = sorted(resource["path"].rsplit("/", 1)[1] for resource in stored_data(manifest))
    assert paths == [
        "gridfinder-version_1-grid-gha.gpkg",
        "gridfinder-version_1-lv-gha.tif",
        "gridfinder-version_1-targets-gha.tif",
    ]
    provenance = json.loads((output / "gha" / "provenance.json").read_text())
    recorded = json.dumps(provenance)
    for data in files.values():
        assert hashlib.sha256(data).hexdigest() in recorded
