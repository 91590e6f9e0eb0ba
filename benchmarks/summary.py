"""The ``summary`` section: a package's summary beside the clips that built the package.

Kenya's package with a 1 km population grid (GHS-POP's grid, Mollweide) and
:data:`HAZARD_FILES` flood depth grids at 30″ (Aqueduct's grid), clipped by autopkg's
clip engine from sparse global stand-ins: the summary (statistics alone, exposure of
the population to every flood file at three thresholds, expected annual exposure) is
timed against the clips, in its own process for its peak RSS, and the number of
windows read from the population grid and from each flood file is reported.

Run as ``python -m benchmarks.summary build|summarise|count FOLDER`` it is the measured
process (see :func:`main`); imported, it builds inputs and the section's table.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
from rasterio.transform import from_origin
from tests.fixtures.standin_rasters import write_sparse

from autopkg.boundaries.builtin import get_builtin
from autopkg.clip import clip_raster, raster_sides
from autopkg.clip.budget import configure_gdal
from autopkg.domain.outputs import OutputFile
from autopkg.packaging.publish import publish_processor, read_manifest
from autopkg.packaging.summary import with_summary
from autopkg.processors.registry import discover
from autopkg.storage.localfs import LocalFSStorage
from autopkg.summary.compute import summarise
from autopkg.summary.files import Area, DataFile
from autopkg.summary.grids import ReadCounter
from autopkg.summary.table import from_csv
from benchmarks.inputs import CACHE
from benchmarks.measure import PYTHON, run

HAZARD_FILES = 100
BOUNDARY = "ken"
POPULATION = "jrc_ghsl_population.r2022_epoch2020_1km"
FLOODS = "wri_aqueduct.version_2"
RPS = (2, 5, 10, 25, 50, 100, 250, 500, 1000)
TIFF = "image/tiff; application=geotiff"


def _sources(folder: Path) -> tuple[Path, Path]:
    """The global stand-ins (data over Kenya only, sparse elsewhere), made once."""
    folder.mkdir(parents=True, exist_ok=True)
    west, south, east, north = get_builtin(BOUNDARY).geometry.bounds
    box = (west - 0.5, south - 0.5, east + 0.5, north + 0.5)
    population = folder / "population.tif"
    if not population.exists():
        write_sparse(
            population,
            crs="ESRI:54009",
            transform=from_origin(-18_041_000.0, 9_000_000.0, 1000, 1000),
            shape=(18_000, 36_082),
            dtype="float32",
            nodata=-200.0,
            value=lambda r, c: ((r * 31 + c * 17) % 500).astype(np.float32),
            areas=[box],
        )
    depth = folder / "depth.tif"
    if not depth.exists():
        write_sparse(
            depth,
            crs="EPSG:4326",
            transform=from_origin(-180, 90, 1 / 120, 1 / 120),
            shape=(21_600, 43_200),
            dtype="float32",
            nodata=-9999.0,
            value=lambda r, c: ((r * 7 + c * 13) % 40 * 0.05).astype(np.float32),
            areas=[box],
        )
    return population, depth


def build(folder: Path) -> None:
    """Clip the package's files as the processors do and publish them without a summary.

    That is the package build the summary is compared with: clips, then each
    processor's publication (previews, CRS and grid, hashes, copies into the package).
    """
    configure_gdal(concurrency=1)
    population, depth = _sources(CACHE / "summary")
    boundary = get_builtin(BOUNDARY)
    clips = folder / "clips"
    clips.mkdir(exist_ok=True)
    outputs: dict[str, list[OutputFile]] = {POPULATION: [], FLOODS: []}
    for side, geometry in raster_sides(population, boundary.geometry):
        name = "-".join(["jrc_ghsl_population-r2022_epoch2020_1km", *([side] if side else [])])
        path = clips / f"{name}-{BOUNDARY}.tif"
        clip_raster(population, geometry, path)
        outputs[POPULATION].append(OutputFile(path, "GeoTIFF", TIFF))
    for index in range(HAZARD_FILES):
        path = clips / f"wri_aqueduct-version_2-{_flood_sub(index)}-{BOUNDARY}.tif"
        clip_raster(depth, boundary.geometry, path)
        outputs[FLOODS].append(OutputFile(path, "GeoTIFF", TIFF))
    storage = LocalFSStorage(folder / "packages")
    for processor, files in outputs.items():
        metadata = discover(include_test=False).get(processor).metadata
        publish_processor(
            storage, boundary, metadata, files, lock=contextlib.nullcontext(), summary=False
        )


def summarise_package(folder: Path) -> dict[str, object]:
    """Compute and store the package's summary, as a publication does; report its cost."""
    configure_gdal(concurrency=1)
    storage = LocalFSStorage(folder / "packages")
    boundary = get_builtin(BOUNDARY)
    manifest = read_manifest(storage, BOUNDARY)
    assert manifest is not None, f"no package of {BOUNDARY} to summarise"
    started = time.perf_counter()
    counted = with_summary(storage, boundary, manifest)
    seconds = time.perf_counter() - started
    rows = from_csv(storage.get_bytes(f"{BOUNDARY}/summary/summary.csv") or b"")
    return {"seconds": seconds, "rows": len(rows), "resources": len(counted.resources)}


def counted_windows(folder: Path) -> dict[str, int]:
    """Windows read by one computation of the summary: from the population grid, and
    the fewest and most from one flood file."""
    storage = LocalFSStorage(folder / "packages")
    boundary = get_builtin(BOUNDARY)
    manifest = read_manifest(storage, BOUNDARY)
    assert manifest is not None, f"no package of {BOUNDARY} to summarise"
    files = [
        DataFile(r.path, r.processor, "", storage.path_of(f"{BOUNDARY}/{r.path}"))
        for r in manifest.resources
        if r.processor is not None
    ]
    counter = ReadCounter()
    area = Area(boundary.name, boundary.name_long, 0, boundary.geometry, clipped=True)
    summarise(files, [area], {}, counter)
    floods = [n for path, n in counter.windows.items() if "wri_aqueduct" in path]
    return {
        "population": sum(
            n for path, n in counter.windows.items() if "jrc_ghsl_population" in path
        ),
        "flood_min": min(floods),
        "flood_max": max(floods),
    }


def _flood_sub(index: int) -> str:
    """An Aqueduct riverine name: 11 series of nine return periods, then more."""
    series, rp = divmod(index, len(RPS))
    return f"inunriver_rcp8p5_model{series:04d}_2050_rp{RPS[rp]:05d}"


SUMMARY_HEADER = (
    "hazard files",
    "package build (clips + publication) s",
    "summary s",
    "summary share of build",
    "share in CPU s (build / summary)",
    "summary peak RSS MB",
    "population windows read",
    "windows read per flood file",
    "rows",
)


def summary_rows() -> list[tuple[str, ...]]:
    """Build Kenya's package and summarise it, each in its own process."""
    folder = CACHE / "summary" / "package"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    built = run([PYTHON, "-m", "benchmarks.summary", "build", str(folder)])
    summary = run([PYTHON, "-m", "benchmarks.summary", "summarise", str(folder)])
    report = json.loads(summary.stdout.strip().splitlines()[-1])
    counted = run([PYTHON, "-m", "benchmarks.summary", "count", str(folder)])
    windows = json.loads(counted.stdout.strip().splitlines()[-1])
    per_flood = f"{windows['flood_min']}-{windows['flood_max']}"
    if windows["flood_min"] == windows["flood_max"]:
        per_flood = str(windows["flood_min"])
    share = summary.seconds / (built.seconds + summary.seconds)
    # CPU seconds barely move with the load of other work on the cores; wall time does.
    cpu_share = summary.cpu_seconds / (built.cpu_seconds + summary.cpu_seconds)
    return [
        (
            str(HAZARD_FILES),
            f"{built.seconds:.1f}",
            f"{summary.seconds:.1f} ({report['seconds']:.1f} computing)",
            f"{share:.0%}",
            f"{cpu_share:.0%} ({built.cpu_seconds:.1f} / {summary.cpu_seconds:.1f})",
            f"{summary.peak_mb:.0f}",
            str(windows["population"]),
            per_flood,
            str(report["rows"]),
        )
    ]


def main() -> None:
    """``build FOLDER``, ``summarise FOLDER`` or ``count FOLDER``: the measured process."""
    mode, folder = sys.argv[1], Path(sys.argv[2])
    if mode == "build":
        build(folder)
    elif mode == "count":
        print(json.dumps(counted_windows(folder)))
    else:
        print(json.dumps(summarise_package(folder)))


if __name__ == "__main__":
    main()
