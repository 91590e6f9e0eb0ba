"""``make bench``: autopkg's clipping against GDAL's tools and the floor, in one run.

Every measured thing runs in its own process (see :mod:`benchmarks.measure`); the
tables of medians, ratios and peak RSS are printed and written to
``benchmarks/.cache/last-run.md``.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pyogrio
import rasterio

from autopkg.boundaries.builtin import get_builtin
from benchmarks.admin_units import admin_units_rows
from benchmarks.api_reads import api_reads
from benchmarks.areas_abuse import refused_abuse
from benchmarks.boundaries import BenchBoundary, boundaries
from benchmarks.buffers import HEADER as BUFFER_HEADER
from benchmarks.buffers import buffer_rows
from benchmarks.compare import compare
from benchmarks.e2e import end_to_end
from benchmarks.ghsl import GHSL_HEADER, ghsl_rows
from benchmarks.inputs import CACHE, RASTERS, VECTORS, build_raster, build_vector
from benchmarks.jobs_abuse import jobs_abuse
from benchmarks.measure import PYTHON, Series, repeat, run, worker
from benchmarks.multifile import (
    AQUEDUCT_FILES,
    AQUEDUCT_HEADER,
    MOSAIC_HEADER,
    TILE_HEADER,
    aqueduct_rows,
    mosaic_rows,
    tile_rows,
)
from benchmarks.production import production_mode
from benchmarks.serving import packages_listing
from benchmarks.serving import refused_abuse as serving_abuse
from benchmarks.sources_check import sources_check
from benchmarks.summary import SUMMARY_HEADER, summary_rows
from benchmarks.tables import NONE, fmt, markdown_table, ratio

AUTOPKG = str(Path(PYTHON).parent / "autopkg")
#: The creation options autopkg's COGs use, for the like-for-like gdalwarp run.
AUTOPKG_CO = (
    "BLOCKSIZE=512",
    "COMPRESS=DEFLATE",
    "PREDICTOR=STANDARD",
    "OVERVIEW_RESAMPLING=NEAREST",
    "NUM_THREADS=ALL_CPUS",
    "BIGTIFF=IF_SAFER",
)


@dataclass(frozen=True)
class RasterCase:
    """A raster source, the boundaries to clip it to and whether GDAL runs too."""

    source: str
    boundaries: tuple[str, ...]
    references: bool = True


RASTER_CASES = (
    RasterCase("uint8", ("kenya", "africa", "indonesia", "fiji")),
    RasterCase("uint8_4x", ("kenya", "africa"), references=False),
    RasterCase("float32", ("kenya", "africa")),
    RasterCase("mollweide", ("kenya", "africa")),
)
#: Vector sources, their boundaries and whether ogr2ogr runs too (the 4 M source is there
#: for autopkg's memory: ogr2ogr's -clipsrc takes minutes on it).
VECTOR_CASES = (
    ("lines_1m", ("kenya", "africa", "indonesia", "fiji"), True),
    ("lines_4m", ("kenya", "africa"), False),
)


def _gdalwarp(src: Path, b: BenchBoundary, dst: Path, options: tuple[str, ...]) -> list[str]:
    creation = [arg for option in options for arg in ("-co", option)]
    return [
        "gdalwarp", "-q", "-overwrite", "-cutline", str(b.path), "-crop_to_cutline",
        "-of", "COG", *creation, str(src), str(dst),
    ]  # fmt: skip


def raster_rows(case: RasterCase, shapes: dict[str, BenchBoundary], n: int) -> Iterator[list[str]]:
    """Measure one raster source against each of its boundaries; yield table rows."""
    spec = RASTERS[case.source]
    src = build_raster(spec)
    for name in case.boundaries:
        b = shapes[name]
        out = CACHE / "out" / spec.name / name
        out.mkdir(parents=True, exist_ok=True)
        ours = out / "autopkg.tif"
        cli = repeat([AUTOPKG, "clip", str(src), "-b", str(b.path), "-o", str(ours)], n)
        warm = repeat(worker("raster", str(src), str(b.path), str(out / "warm.tif"), f"-r{n}"), 1)
        read = repeat(worker("read", str(src), str(ours), f"-r{n}"), 1).inner_median
        pack = repeat(worker("compress", str(ours), f"-r{n}"), 1).inner_median
        floor = read + pack
        with rasterio.open(ours) as clip:
            window = clip.width * clip.height / 1e6
        plain: Series | None = None
        same: Series | None = None
        check = NONE
        if case.references:
            plain = repeat(_gdalwarp(src, b, out / "gdalwarp.tif", ("COMPRESS=DEFLATE",)), n)
            same = repeat(_gdalwarp(src, b, out / "gdalwarp_co.tif", AUTOPKG_CO), n)
            result = compare(ours, out / "gdalwarp_co.tif", src)
            check = f"{result.differing} of {result.with_data / 1e6:.2f} M"
        yield [
            spec.name, name, f"{window:.1f}",
            fmt(warm.inner_median, 3), fmt(cli.median),
            fmt(plain.median if plain else None), fmt(same.median if same else None),
            ratio(warm.inner_median, same.median if same else None),
            ratio(cli.median, same.median if same else None),
            f"{fmt(read, 3)} + {fmt(pack, 3)}", ratio(warm.inner_median, floor),
            f"{cli.peak_mb:.0f} / {warm.peak_mb:.0f}",
            f"{same.peak_mb:.0f}" if same else NONE, check,
        ]  # fmt: skip


RASTER_HEADER = [
    "source", "boundary", "window Mpx", "autopkg warm s", "autopkg CLI s", "gdalwarp s",
    "gdalwarp same-co s", "warm ÷ gdalwarp", "CLI ÷ gdalwarp", "floor read + compress s",
    "warm ÷ floor", "peak RSS CLI / warm MB", "peak RSS gdalwarp MB", "differing px",
]  # fmt: skip


def vector_rows(
    name: str, names: tuple[str, ...], references: bool, shapes: dict[str, BenchBoundary], n: int
) -> Iterator[list[str]]:
    """Measure one vector source against each of its boundaries; yield table rows."""
    src = build_vector(name)
    for boundary in names:
        b = shapes[boundary]
        out = CACHE / "out" / name / boundary
        out.mkdir(parents=True, exist_ok=True)
        ours, theirs = out / "autopkg.gpkg", out / "ogr2ogr.gpkg"
        cli = repeat([AUTOPKG, "clip", str(src), "-b", str(b.path), "-o", str(ours)], n)
        warm = repeat(worker("vector", str(src), str(b.path), str(out / "warm.gpkg"), f"-r{n}"), 1)
        ogr: Series | None = None
        theirs_count = NONE
        if references:
            bbox = [f"{v:.6f}" for v in b.bbox]
            ogr = repeat(
                ["ogr2ogr", "-f", "GPKG", str(theirs), str(src), "-spat", *bbox,
                 "-clipsrc", str(b.path), "-nlt", "PROMOTE_TO_MULTI"],
                n,
                before=partial(theirs.unlink, missing_ok=True),
            )  # fmt: skip
            theirs_count = str(pyogrio.read_info(theirs, force_feature_count=True)["features"])
        ours_count = pyogrio.read_info(ours, force_feature_count=True)["features"]
        yield [
            name, boundary, f"{ours_count} / {theirs_count}",
            fmt(warm.inner_median, 3), fmt(cli.median), fmt(ogr.median if ogr else None),
            ratio(warm.inner_median, ogr.median if ogr else None),
            ratio(cli.median, ogr.median if ogr else None),
            f"{cli.peak_mb:.0f} / {warm.peak_mb:.0f}", f"{ogr.peak_mb:.0f}" if ogr else NONE,
        ]  # fmt: skip


VECTOR_HEADER = [
    "source", "boundary", "features autopkg / ogr2ogr", "autopkg warm s", "autopkg CLI s",
    "ogr2ogr -spat -clipsrc s", "warm ÷ ogr2ogr", "CLI ÷ ogr2ogr",
    "peak RSS CLI / warm MB", "peak RSS ogr2ogr MB",
]  # fmt: skip


#: Start-up of the command line: what every ``autopkg`` process pays before its work.
STARTUP_COMMANDS = (("--help",), ("clip", "--help"))
#: The CPU seconds (user + system) each took when last recorded in RESULTS.md, so a
#: regression shows beside them. CPU time, unlike wall time, hardly changes with other
#: work on the machine; on a quiet machine start-up's wall time is about the same.
STARTUP_RECORDED = {("--help",): 0.19, ("clip", "--help"): 0.27}
STARTUP_HEADER = [
    "command", "wall s", "CPU s", "recorded CPU s", "CPU ÷ recorded", "peak RSS MB",
]  # fmt: skip


def startup_rows(n: int) -> Iterator[list[str]]:
    """Time each start-up command ``n`` times (after one untimed run); yield table rows."""
    for args in STARTUP_COMMANDS:
        command = [AUTOPKG, *args]
        run(command)  # untimed: the timed runs find the modules in the page cache
        series = repeat(command, n)
        recorded = STARTUP_RECORDED[args]
        yield [
            f"`autopkg {' '.join(args)}`", fmt(series.median), fmt(series.cpu_median),
            fmt(recorded), ratio(series.cpu_median, recorded), f"{series.peak_mb:.0f}",
        ]  # fmt: skip


def multifile_section(shapes: dict[str, BenchBoundary], n: int) -> list[str]:
    """Aqueduct-like files, JRC tiles fetched, and a mosaic window past the scratch limit."""
    kenya = shapes["kenya"]
    russia = BenchBoundary("russia", "largest, antimeridian", get_builtin("rus").geometry)
    tiled = [*(shapes[name] for name in ("kenya", "africa", "indonesia", "fiji")), russia]
    return [
        f"Aqueduct-like: {AQUEDUCT_FILES} float32 rasters of 10800x5400 (2'), "
        "the processor run vs one gdalwarp per file (same creation options)",
        "",
        *markdown_table(AQUEDUCT_HEADER, aqueduct_rows(kenya, n)),
        "",
        "GHS-BUILT-C 10 m tiles (100,000 px, 1000 km) a boundary needs",
        "",
        *markdown_table(TILE_HEADER, tile_rows(tiled)),
        "",
        "Stand-in mosaic: 40,000 px Mollweide tiles at 25 m through a VRT, one run each",
        "",
        *markdown_table(MOSAIC_HEADER, mosaic_rows(kenya, 1)),
    ]


def machine() -> str:
    """One line describing the machine and the GDALs involved."""
    cpus = Path("/proc/cpuinfo").read_text().count("processor\t:")
    memory = Path("/proc/meminfo").read_text().split()[1]
    gdal_cli = run(["gdalinfo", "--version"]).stdout.strip()
    return (
        f"{platform.platform()}, {cpus} CPUs, {int(memory) / 1e6:.0f} GB RAM, "
        f"Python {platform.python_version()}, rasterio GDAL {rasterio.__gdal_version__}, "
        f"pyogrio GDAL {pyogrio.__gdal_version_string__}, CLI {gdal_cli}"
    )


#: The sections, in the order they run (``--only`` picks some).
SECTIONS = (
    "raster",
    "vector",
    "e2e",
    "api",
    "production",
    "multifile",
    "ghsl",
    "sources",
    "areas",
    "serving",
    "abuse",
    "admin",
    "buffers",
    "summary",
)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each command")
    parser.add_argument(
        "--only",
        choices=["startup", *SECTIONS],
        action="append",
        help="sections to run",
    )
    args = parser.parse_args()
    # Start-up is always measured (``--only startup`` for it alone): it takes seconds,
    # and every CLI figure includes it.
    sections = set(args.only or SECTIONS)
    if {"raster", "vector", "multifile"} & sections and shutil.which("gdalwarp") is None:
        sys.exit("gdalwarp not found: install Debian's gdal-bin (make bench does)")
    started = time.perf_counter()
    if "raster" in sections:
        for spec in RASTERS.values():
            build_raster(spec)
    if "vector" in sections:
        for name in VECTORS:
            build_vector(name)
    print(f"inputs ready in {time.perf_counter() - started:.0f} s", flush=True)
    shapes = {b.name: b for b in boundaries()}
    lines = [f"machine: {machine()}", f"command: make bench (repeat={args.repeat})", ""]
    rows = list(startup_rows(max(args.repeat, 10)))
    lines += ["## Start-up", "", *markdown_table(STARTUP_HEADER, rows), ""]
    if "raster" in sections:
        rows = [row for case in RASTER_CASES for row in raster_rows(case, shapes, args.repeat)]
        lines += ["## Raster", "", *markdown_table(RASTER_HEADER, rows), ""]
        print("\n".join(lines), flush=True)
    if "vector" in sections:
        rows = [
            row
            for name, names, references in VECTOR_CASES
            for row in vector_rows(name, names, references, shapes, args.repeat)
        ]
        lines += ["## Vector", "", *markdown_table(VECTOR_HEADER, rows), ""]
    if "multifile" in sections:
        lines += ["## Multi-file datasets", "", *multifile_section(shapes, args.repeat), ""]
    if "ghsl" in sections:
        lines += [
            "## GHS-BUILT-C at 10 m",
            "",
            "Kenya, the whole processor once, against the floor (read + compress)",
            "",
            *markdown_table(GHSL_HEADER, ghsl_rows(shapes["kenya"])),
            "",
        ]
    if "e2e" in sections:
        lines += ["## End to end", "", *end_to_end(args.repeat), ""]
    if "production" in sections:
        lines += ["## Production mode", "", *production_mode(args.repeat), ""]
    if "api" in sections:
        lines += ["## API reads", "", *api_reads(seconds=5 * args.repeat), ""]
    if "sources" in sections:
        lines += ["## Sources check", "", *sources_check(args.repeat), ""]
    if "areas" in sections:
        lines += ["## Refused abuse: areas", "", *refused_abuse(), ""]
    if "serving" in sections:
        lines += ["## Serving under abuse", "", *packages_listing(seconds=5 * args.repeat), ""]
        lines += [*serving_abuse(), ""]
    if "abuse" in sections:
        lines += ["## Refused abuse: jobs API", "", *jobs_abuse(), ""]
    if "admin" in sections:
        lines += ["## Admin units", "", *admin_units_rows(), ""]
    if "buffers" in sections:
        lines += [
            "## Geodesic buffers",
            "",
            *markdown_table(BUFFER_HEADER, buffer_rows(args.repeat)),
            "",
        ]
    if "summary" in sections:
        rows = [list(row) for row in summary_rows()]
        lines += ["## Summaries", "", *markdown_table(list(SUMMARY_HEADER), rows), ""]
    lines.append(f"total benchmark time: {time.perf_counter() - started:.0f} s")
    text = "\n".join(lines)
    print(text)
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / "last-run.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
