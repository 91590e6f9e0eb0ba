"""The ``ghsl`` section: GHS-BUILT-C at its real 10 m resolution for Kenya, whole processor.

Inputs (generated once into ``.cache/ghsl/``): both products' tiles Kenya meets in JRC's
schema (four 100,000 px squares of 10 m), in the publisher's layout (``tiles/<stem>_<id>.zip``
holding the GeoTIFF, stored) beside the tile schema zip. Each tile is a tiled GeoTIFF
(512 px blocks, DEFLATE, ``SPARSE_OK=TRUE``) whose blocks hold data only under Kenya's
box, one block in :data:`EVERY`; GDAL never writes the other blocks, so a 10 GB tile
costs a few hundred MB of disk and its empty blocks read as NoData at once.

Measured, each in its own process: the real ``jrc_ghsl_built_c`` processor run over the
tests' HTTP mirror server with the source cache already holding the tiles (wall time,
peak RSS, the peak bytes allocated under its scratch folder, sampled every 50 ms); and
the floor, rasterio alone reading the same output windows from the tiles' mosaic and
writing them as DEFLATE GeoTIFFs (read + compress: no masking, no overviews, no COG).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
import zipfile
from pathlib import Path

import rasterio
from rasterio.windows import Window
from tests.fixtures.mirror import serve_directory
from tests.fixtures.standin_tiles import write_schema

from autopkg.clip.budget import configure_gdal
from autopkg.clip.geometry import boundary_in_crs, repair
from autopkg.domain.boundary import Boundary
from autopkg.processors.context import LocalRunContext
from autopkg.processors.datasets.jrc_ghsl_built_c.r2022_epoch2018_10m_mszfun import (
    COMPUTED,
    PRIOR,
    PRODUCTS,
    SCHEMA,
    JrcGhslBuiltCProcessor,
    tile_source,
)
from autopkg.processors.fetch import mirror_relpath
from autopkg.processors.mosaic import write_mosaic
from benchmarks.boundaries import BenchBoundary
from benchmarks.inputs import CACHE, cached
from benchmarks.measure import PYTHON, run
from benchmarks.multifile import PeakBytes, read_geometry, tile_writer

#: One 512 px block in this many holds data (the rest of the window is sparse).
EVERY = 8
_FOLDER = CACHE / "ghsl"
_STRIP = 512


def mirror(b: BenchBoundary) -> Path:
    """The mirror folder: the schema and both products' sparse 10 m tiles meeting ``b``."""
    root = _FOLDER / "mirror"
    local = repair(boundary_in_crs(repair(b.geometry), COMPUTED.crs))
    for tile in COMPUTED.meeting(b.geometry):
        # The products share their pixels here: only the time per byte matters.
        tif = cached(
            _FOLDER / "tiles" / f"{tile.id}.tif",
            tile_writer(tile, local, pixel=PRIOR.size[0], every=EVERY),
        )
        for product in PRODUCTS:
            source = tile_source(product, tile.id)
            member = source.filename.replace(".zip", ".tif")

            def build(target: Path, tif: Path = tif, member: str = member) -> None:
                with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:
                    archive.write(tif, member)

            cached(root / mirror_relpath(source.url), build)
    cached(root / mirror_relpath(SCHEMA.url), lambda target: write_schema(target, COMPUTED.tiles))
    return root


def ghsl_rows(b: BenchBoundary) -> list[list[str]]:
    """Run the processor and the floor once each; one table row each."""
    root = mirror(b)
    out = _FOLDER / "out"
    shutil.rmtree(out, ignore_errors=True)
    cache, scratch = _FOLDER / "source-cache", out / "scratch"
    with serve_directory(root) as url:
        ours = run(
            [PYTHON, "-m", "benchmarks.ghsl", "run", url, str(b.path), str(cache), str(scratch)]
        )
    report = json.loads(ours.stdout.strip().splitlines()[-1])
    windows = json.dumps(report["outputs"])
    floor = run(
        [
            PYTHON,
            "-m",
            "benchmarks.ghsl",
            "floor",
            str(_FOLDER / "tiles"),
            windows,
            str(out / "floor"),
        ]
    )
    floor_report = json.loads(floor.stdout.strip().splitlines()[-1])
    pixels = sum(o["width"] * o["height"] for o in report["outputs"])
    output = sum(o["bytes"] for o in report["outputs"])
    return [
        [
            "autopkg processor (MSZ + FUN)", f"{pixels / 1e9:.2f}", f"{ours.seconds:.0f}",
            f"{report['seconds']:.0f}", f"{ours.peak_mb:.0f}",
            f"{report['scratch_peak'] / 1e6:.0f}", f"{output / 1e6:.0f}",
        ],
        [
            "floor: rasterio read + compress", f"{pixels / 1e9:.2f}", f"{floor.seconds:.0f}",
            f"{floor_report['seconds']:.0f}", f"{floor.peak_mb:.0f}", "-",
            f"{floor_report['bytes'] / 1e6:.0f}",
        ],
    ]  # fmt: skip


GHSL_HEADER = [
    "what", "window Gpx", "process s", "work s", "peak RSS MB", "peak scratch MB", "output MB",
]  # fmt: skip


def _run_processor(url: str, boundary: str, cache: str, scratch: str) -> None:
    """Fetch the tiles into the cache (untimed), then run the processor; print its figures."""
    configure_gdal(concurrency=1)
    geometry = read_geometry(boundary)
    context = LocalRunContext(
        Boundary(name="ken", name_long="Kenya", admin_level=0, geometry=geometry),
        Path(scratch), Path(cache), mirror=url, verify=False,
        on_progress=lambda _percent, _task: None,
    )  # fmt: skip
    context.fetch(SCHEMA)
    for tile in COMPUTED.meeting(geometry):
        for product in PRODUCTS:
            context.fetch(tile_source(product, tile.id))
    started = time.perf_counter()
    with PeakBytes(Path(scratch)) as peak:
        outputs = JrcGhslBuiltCProcessor().run(context)
    seconds = time.perf_counter() - started
    described = []
    for output in outputs:
        with rasterio.open(output.path) as clip:
            described.append(
                {
                    "width": clip.width, "height": clip.height,
                    "transform": list(clip.transform)[:6], "bytes": output.path.stat().st_size,
                }
            )  # fmt: skip
    print(json.dumps({"seconds": seconds, "scratch_peak": peak.bytes, "outputs": described}))


def _run_floor(tiles: str, windows: str, folder: str) -> None:
    """Read each output's window from the tiles' mosaic and write it compressed; print s."""
    configure_gdal(concurrency=1)
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    found = [(path, path.name) for path in sorted(Path(tiles).glob("R*_C*.tif"))]
    vrt = target / "mosaic.vrt"
    write_mosaic(found, COMPUTED.bounds(), vrt, empty=PRIOR)
    started = time.perf_counter()
    written = 0
    with rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS"), rasterio.open(vrt) as source:
        for number, window in enumerate(json.loads(windows)):
            col, row = ~source.transform @ (window["transform"][2], window["transform"][5])
            path = target / f"floor-{number}.tif"
            profile = {
                "driver": "GTiff", "width": window["width"], "height": window["height"],
                "count": 1, "dtype": "uint8", "crs": source.crs,
                "transform": rasterio.Affine(*window["transform"]), "nodata": 255,
                "tiled": True, "blockxsize": 512, "blockysize": 512, "compress": "DEFLATE",
                "predictor": 2, "num_threads": "ALL_CPUS", "bigtiff": "IF_SAFER",
            }  # fmt: skip
            with rasterio.open(path, "w", **profile) as out:
                for top in range(0, window["height"], _STRIP):
                    height = min(_STRIP, window["height"] - top)
                    data = source.read(
                        1, window=Window(round(col), round(row) + top, window["width"], height)
                    )
                    out.write(data, 1, window=Window(0, top, window["width"], height))
            written += path.stat().st_size
    print(json.dumps({"seconds": time.perf_counter() - started, "bytes": written}))


def main() -> None:
    """Run one measured mode: ``run`` (the processor) or ``floor``."""
    mode, *args = sys.argv[1:]
    if mode == "run":
        _run_processor(*args)
    elif mode == "floor":
        _run_floor(*args)
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
