"""The ``multifile`` section: many files per dataset, tiled sources, huge mosaic windows.

- **Aqueduct-like**: the real ``wri_aqueduct.version_2`` processor run over a local
  mirror listing 50 float32 rasters, in one process as a worker runs it, against 50
  sequential ``gdalwarp -cutline -crop_to_cutline`` calls with autopkg's creation options.
- **JRC tiles**: how many of the 10 m GHS-BUILT-C tiles a boundary needs (what the
  processor fetches) against the tiles of its bounding box.
- **Large mosaic window**: a stand-in tiled Mollweide source mosaicked through a VRT and
  clipped to a boundary whose window passes the scratch limit, with the scratch file
  compressed (as autopkg does) and uncompressed (as it did): peak RSS and scratch bytes.

Run as ``python -m benchmarks.multifile <mode> …`` it is the measured process of autopkg
in one of those (see :func:`main`); imported, it builds inputs and the section's tables.
"""

from __future__ import annotations

import json
import math
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import rasterio
import shapely
from affine import Affine
from rasterio.windows import Window
from shapely.geometry.base import BaseGeometry

from autopkg.clip.budget import configure_gdal
from autopkg.clip.geometry import boundary_in_crs, repair
from autopkg.clip.raster import clip_raster
from autopkg.domain.boundary import Boundary
from autopkg.processors.context import LocalRunContext
from autopkg.processors.datasets.jrc_ghsl_built_c.r2022_epoch2018_10m_mszfun import (
    COMPUTED,
    PRIOR,
)
from autopkg.processors.datasets.wri_aqueduct.version_2 import (
    LISTING,
    WriAqueductProcessor,
    file_source,
)
from autopkg.processors.fetch import mirror_relpath
from autopkg.processors.mosaic import write_mosaic
from autopkg.processors.tileschema import Tile
from benchmarks.boundaries import BenchBoundary
from benchmarks.compare import compare
from benchmarks.inputs import CACHE, RasterSpec, build_raster, cached
from benchmarks.measure import PYTHON, repeat

AQUEDUCT_FILES = 50
#: A 2 arc-minute global float32 grid (10800x5400), the Aqueduct depths' pattern at a smaller size.
AQUEDUCT_SPEC = RasterSpec(
    "aqueduct_float32_10800",
    10_800,
    5_400,
    "float32",
    "EPSG:4326",
    Affine(360 / 10_800, 0, -180, 0, -360 / 10_800, 90),
    -9999.0,
)
#: gdalwarp's creation options matching autopkg's COGs of float32 depths.
FLOAT_CO = (
    "BLOCKSIZE=512",
    "COMPRESS=DEFLATE",
    "PREDICTOR=FLOATING_POINT",
    "OVERVIEW_RESAMPLING=AVERAGE",
    "NUM_THREADS=ALL_CPUS",
    "BIGTIFF=IF_SAFER",
)
#: The stand-in tiled source: JRC's 1000 km Mollweide cells at 25 m (40,000 px tiles),
#: so a country's window passes the 1 GiB scratch limit as a large one's does at 10 m.
MOSAIC_PIXEL = 25.0
#: What the stand-in tiles hold: the prior's pixels at 25 m.
MOSAIC_PIXELS = replace(PRIOR, size=(MOSAIC_PIXEL, MOSAIC_PIXEL))
_SAMPLE_SECONDS = 0.05
#: Clips each source with its own gdalwarp, one after another. A bare interpreter, so the
#: peak RSS measured is gdalwarp's, not a Python process's with numpy and GDAL loaded.
_GDALWARP_LOOP = """
import os, subprocess, sys
cutline, folder, *rest = sys.argv[1:]
split = rest.index("--")
creation, sources = rest[:split], rest[split + 1:]
for source in sources:
    target = os.path.join(folder, os.path.basename(source))
    subprocess.run(["gdalwarp", "-q", "-overwrite", "-cutline", cutline, "-crop_to_cutline",
                    "-of", "COG", *creation, source, target], check=True)
"""


def aqueduct_names() -> list[str]:
    """Fifty names in Aqueduct's riverine grammar (none of the skipped variants)."""
    periods = ("00002", "00005", "00010", "00025", "00050", "00100", "00250", "00500", "01000")
    models = (
        "00000NorESM1-M",
        "0000GFDL-ESM2M",
        "0000HadGEM2-ES",
        "00IPSL-CM5A-LR",
        "MIROC-ESM-CHEM",
    )
    years = ("2030", "2050", "2080")
    names = [
        f"inunriver_rcp8p5_{model}_{year}_rp{period}.tif"
        for model in models
        for year in years
        for period in periods
    ]
    return names[:AQUEDUCT_FILES]


def aqueduct_mirror() -> Path:
    """A mirror folder of the Aqueduct listing naming 50 links to one generated raster."""
    source = build_raster(AQUEDUCT_SPEC)
    root = CACHE / "aqueduct_mirror"
    for name in aqueduct_names():
        link = root / mirror_relpath(file_source(name).url)
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(source)
    links = "\n".join(f'<a href="{name}">{name}</a>' for name in aqueduct_names())
    listing = root / mirror_relpath(LISTING.url)
    listing.write_text(f"<html><body>\n{links}\n</body></html>\n")
    return root


def aqueduct_rows(b: BenchBoundary, n: int) -> list[list[str]]:
    """Time autopkg's processor run and the gdalwarp loop over the same 50 rasters."""
    mirror = aqueduct_mirror()
    out = CACHE / "out" / "aqueduct" / b.name
    out.mkdir(parents=True, exist_ok=True)
    cache = CACHE / "aqueduct_cache"
    # One untimed run fills autopkg's source cache, as a worker's is after the first job.
    ours_cmd = [PYTHON, "-m", "benchmarks.multifile", "aqueduct", str(mirror), str(b.path)]
    repeat([*ours_cmd, str(cache), str(out / "autopkg")], 1)
    ours = repeat([*ours_cmd, str(cache), str(out / "autopkg")], n)
    sources = [str(mirror / _relpath(name)) for name in aqueduct_names()]
    (out / "gdal").mkdir(exist_ok=True)
    creation = [arg for option in FLOAT_CO for arg in ("-co", option)]
    loop = [PYTHON, "-S", "-c", _GDALWARP_LOOP, str(b.path), str(out / "gdal"), *creation]
    theirs = repeat([*loop, "--", *sources], n)
    first = aqueduct_names()[0].removesuffix(".tif")
    ours_first = next((out / "autopkg").glob(f"*-{first.lower()}-*.tif"))
    check = compare(ours_first, out / "gdal" / f"{first}.tif", Path(sources[0]))
    return [
        [
            b.name,
            str(AQUEDUCT_FILES),
            f"{ours.median:.2f} ({ours.inner_median:.2f})",
            f"{theirs.median:.2f}",
            f"{ours.median / theirs.median:.2f}",
            f"{ours.peak_mb:.0f}",
            f"{theirs.peak_mb:.0f}",
            f"{check.differing} of {check.with_data / 1e6:.2f} M",
        ]
    ]


AQUEDUCT_HEADER = [
    "boundary", "files", "autopkg s (processor run)", "50 gdalwarp calls s",
    "autopkg ÷ gdalwarp", "peak RSS autopkg MB", "peak RSS gdalwarp MB",
    "differing px (first file)",
]  # fmt: skip


def _relpath(name: str) -> Path:
    return Path(mirror_relpath(file_source(name).url))


def tile_rows(shapes: list[BenchBoundary]) -> list[list[str]]:
    """Tiles of JRC's grid each boundary needs, against the tiles of its bounding box."""
    rows = []
    for b in shapes:
        started = time.perf_counter()
        met = COMPUTED.meeting(b.geometry)
        seconds = time.perf_counter() - started
        west, south, east, north = repair(boundary_in_crs(repair(b.geometry), COMPUTED.crs)).bounds
        boxed = [
            t
            for t in COMPUTED.tiles
            if t.left < east and t.right > west and t.bottom < north and t.top > south
        ]
        rows.append([b.name, b.role, str(len(met)), str(len(boxed)), f"{seconds:.2f}"])
    return rows


TILE_HEADER = ["boundary", "kind", "tiles fetched", "tiles of the bounding box", "listing s"]


def mosaic_tiles(b: BenchBoundary) -> Path:
    """Stand-in uint8 tiles (25 m, 40,000 px) of every cell meeting ``b``; their folder."""
    local = repair(boundary_in_crs(repair(b.geometry), COMPUTED.crs))
    folder = CACHE / "mosaic" / b.name
    for tile in COMPUTED.meeting(b.geometry):
        cached(folder / f"{tile.id}.tif", tile_writer(tile, local))
    return folder


def tile_writer(
    tile: Tile, local: BaseGeometry, *, pixel: float = MOSAIC_PIXEL, every: int = 1
) -> Callable[[Path], None]:
    """Write ``tile`` at ``pixel`` m: data in one block in ``every`` under ``local``'s box."""
    width = round((tile.right - tile.left) / pixel)
    height = round((tile.top - tile.bottom) / pixel)
    transform = Affine(pixel, 0, tile.left, 0, -pixel, tile.top)
    block = 512

    def build(target: Path) -> None:
        profile = {
            "driver": "GTiff", "width": width, "height": height, "count": 1, "dtype": "uint8",
            "crs": COMPUTED.crs, "transform": transform, "nodata": 255, "tiled": True,
            "blockxsize": block, "blockysize": block, "compress": "DEFLATE", "predictor": 2,
            "sparse_ok": True, "bigtiff": "YES",
        }  # fmt: skip
        west, south, east, north = local.bounds
        with rasterio.Env(GDAL_CACHEMAX=256), rasterio.open(target, "w", **profile) as out:
            # Only blocks under the boundary's box hold data, as in the test stand-ins; the
            # others are never written, so they cost no disk and read as NoData.
            inverse = ~transform
            c0, r0 = inverse @ (west, north)
            c1, r1 = inverse @ (east, south)
            rows = range(max(0, int(r0) // block * block), min(height, math.ceil(r1)), block)
            cols = range(max(0, int(c0) // block * block), min(width, math.ceil(c1)), block)
            for row in rows:
                h = min(block, height - row)
                for col in cols:
                    if (row // block * 3 + col // block) % every:
                        continue
                    w = min(block, width - col)
                    r, c = np.mgrid[row : row + h, col : col + w]
                    values = ((r // 37 * 7 + c // 53 * 3 + (r * c) % 5) % 26).astype(np.uint8)
                    out.write(values, 1, window=Window(col, row, w, h))

    return build


def mosaic_rows(b: BenchBoundary, n: int) -> list[list[str]]:
    """Clip the stand-in mosaic with the scratch file compressed and uncompressed."""
    tiles = mosaic_tiles(b)
    out = CACHE / "out" / "mosaic" / b.name
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for label, limit in (("compressed (autopkg)", 1 << 30), ("uncompressed", 1 << 62)):
        command = [PYTHON, "-m", "benchmarks.multifile", "mosaic", str(tiles), str(b.path)]
        series = repeat([*command, str(out / "clip.tif"), str(limit)], n)
        report = json.loads(series.samples[-1].stdout.strip().splitlines()[-1])
        rows.append(
            [
                b.name, label, f"{report['window_mpx']:.0f}", str(report["tiles"]),
                f"{series.inner_median:.1f}", f"{series.peak_mb:.0f}",
                f"{report['scratch_peak'] / 1e6:.0f}", f"{report['output'] / 1e6:.0f}",
            ]
        )  # fmt: skip
    return rows


MOSAIC_HEADER = [
    "boundary", "scratch file", "window Mpx", "tiles", "clip s", "peak RSS MB",
    "peak scratch MB", "output MB",
]  # fmt: skip


def _run_aqueduct(mirror: str, boundary: str, cache: str, scratch: str) -> None:
    """Run the real Aqueduct processor over the mirror; print the run's own seconds."""
    configure_gdal(concurrency=1)
    shutil.rmtree(scratch, ignore_errors=True)
    context = LocalRunContext(
        Boundary(name="b", name_long="b", admin_level=0, geometry=read_geometry(boundary)),
        Path(scratch), Path(cache), mirror=f"file://{mirror}", verify=False,
        on_progress=lambda _percent, _task: None,
    )  # fmt: skip
    started = time.perf_counter()
    outputs = WriAqueductProcessor().run(context)
    seconds = time.perf_counter() - started
    assert len(outputs) == AQUEDUCT_FILES, len(outputs)
    print(json.dumps({"seconds": [seconds]}))


def _run_mosaic(tiles: str, boundary: str, output: str, limit: str) -> None:
    """Mosaic the tiles (VRT) and clip them; print window, scratch peak and output size."""
    configure_gdal(concurrency=1)
    found = [(path, path.name) for path in sorted(Path(tiles).glob("R*_C*.tif"))]
    target = Path(output)
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        vrt = Path(folder) / "mosaic.vrt"
        write_mosaic(found, COMPUTED.bounds(), vrt, empty=MOSAIC_PIXELS)
        geometry = read_geometry(boundary)
        started = time.perf_counter()
        with PeakBytes(target.parent) as peak:
            clip = clip_raster(vrt, geometry, target, nodata=255, scratch_limit=int(limit))
        seconds = time.perf_counter() - started
    report = {
        "seconds": [seconds],
        "window_mpx": clip.width * clip.height / 1e6,
        "tiles": len(found),
        "scratch_peak": peak.bytes,
        "output": target.stat().st_size,
    }
    print(json.dumps(report))


class PeakBytes:
    """Samples the bytes under a folder from a thread; keeps the largest seen."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakBytes:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(_SAMPLE_SECONDS):
            # Allocated blocks, not apparent sizes: sparse tiles never written cost nothing.
            size = 0
            for path in self.folder.rglob("*"):
                try:
                    size += path.stat().st_blocks * 512 if path.is_file() else 0
                except FileNotFoundError:
                    continue
            self.bytes = max(self.bytes, size)


def read_geometry(path: str) -> BaseGeometry:
    document = json.loads(Path(path).read_text())
    return shapely.geometry.shape(document["features"][0]["geometry"])


def main() -> None:
    """Run one measured mode: ``aqueduct`` or ``mosaic`` (see above)."""
    mode, *args = sys.argv[1:]
    if mode == "aqueduct":
        _run_aqueduct(*args)
    elif mode == "mosaic":
        _run_mosaic(*args)
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
