"""The ``summary`` section: a package's summary beside the clips that built the package.

Kenya's package with a 1 km population grid (GHS-POP's grid, Mollweide) and
:data:`HAZARD_FILES` flood depth grids at 30″ (Aqueduct's grid), clipped by autopkg's
clip engine from sparse global stand-ins: the summary (statistics alone, exposure of
the population to every flood file at three thresholds, expected annual exposure) is
timed against the clips, in its own process for its peak RSS, and the number of
windows read from the population grid is reported.

Run as ``python -m benchmarks.summary build|summarise FOLDER`` it is the measured
process (see :func:`main`); imported, it builds inputs and the section's table.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
from rasterio.transform import from_origin
from tests.fixtures.standin_rasters import write_sparse

from autopkg.boundaries.builtin import get_builtin
from autopkg.clip import clip_raster, raster_sides
from autopkg.summary.compute import Area, DataFile, summarise
from autopkg.summary.grids import ReadCounter
from benchmarks.inputs import CACHE
from benchmarks.measure import PYTHON, run

HAZARD_FILES = 100
BOUNDARY = "ken"
POPULATION = "jrc_ghsl_population.r2022_epoch2020_1km"
FLOODS = "wri_aqueduct.version_2"
RPS = (2, 5, 10, 25, 50, 100, 250, 500, 1000)


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
    """Clip the package's files as the processors do (the package build that is timed)."""
    population, depth = _sources(CACHE / "summary")
    boundary = get_builtin(BOUNDARY)
    for side, geometry in raster_sides(population, boundary.geometry):
        suffix = f"-{side}" if side else ""
        clip_raster(population, geometry, folder / f"population{suffix}.tif")
    for index in range(HAZARD_FILES):
        clip_raster(depth, boundary.geometry, folder / f"{_flood_sub(index)}.tif")


def summarise_package(folder: Path) -> dict[str, object]:
    """Summarise the built files; report the population grid's window reads."""
    boundary = get_builtin(BOUNDARY)
    files = [
        DataFile(f"data/{p.name}", POPULATION, p.stem.removeprefix("population-"), p)
        for p in sorted(folder.glob("population*.tif"))
    ] + [
        DataFile(f"data/{p.name}", FLOODS, p.stem, p)
        for p in sorted(folder.glob("inunriver_*.tif"))
    ]
    counter = ReadCounter()
    area = Area(boundary.name, boundary.name_long, 0, boundary.geometry, clipped=True)
    started = time.perf_counter()
    rows = summarise(files, [area], {}, counter)
    seconds = time.perf_counter() - started
    population_reads = sum(
        n for path, n in counter.windows.items() if Path(path).name.startswith("population")
    )
    return {"seconds": seconds, "rows": len(rows), "population_windows": population_reads}


def _flood_sub(index: int) -> str:
    """An Aqueduct riverine name: 11 series of nine return periods, then more."""
    series, rp = divmod(index, len(RPS))
    return f"inunriver_rcp8p5_model{series:04d}_2050_rp{RPS[rp]:05d}"


SUMMARY_HEADER = (
    "hazard files",
    "package build (clips) s",
    "summary s",
    "summary share of build",
    "summary peak RSS MB",
    "population windows read",
    "rows",
)


def summary_rows() -> list[tuple[str, ...]]:
    """Build Kenya's package and summarise it, each in its own process."""
    folder = CACHE / "summary" / "package"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.tif"):
        old.unlink()
    built = run([PYTHON, "-m", "benchmarks.summary", "build", str(folder)])
    summary = run([PYTHON, "-m", "benchmarks.summary", "summarise", str(folder)])
    report = json.loads(summary.stdout.strip().splitlines()[-1])
    share = summary.seconds / (built.seconds + summary.seconds)
    return [
        (
            str(HAZARD_FILES),
            f"{built.seconds:.1f}",
            f"{summary.seconds:.1f} ({report['seconds']:.1f} computing)",
            f"{share:.0%}",
            f"{summary.peak_mb:.0f}",
            str(report["population_windows"]),
            str(report["rows"]),
        )
    ]


def main() -> None:
    """``build FOLDER`` or ``summarise FOLDER``: the measured process."""
    mode, folder = sys.argv[1], Path(sys.argv[2])
    if mode == "build":
        build(folder)
    else:
        print(json.dumps(summarise_package(folder)))


if __name__ == "__main__":
    main()
