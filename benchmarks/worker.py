"""In-process measurements, each run in its own process by :mod:`benchmarks.run`.

``python -m benchmarks.worker KIND ... --repeat N`` warms up (imports, boundary
loading, GDAL drivers, one untimed run), times N runs and prints ``{"seconds": [...]}``
as its last line. Kinds:

- ``raster SRC BOUNDARY DST`` / ``vector SRC BOUNDARY DST``: autopkg's clip functions,
  as a warm worker process calls them.
- ``read SRC CLIP``: the floor's first half, reading and decompressing the source blocks
  under the window that the clip ``CLIP`` covers (strips of 512 rows, all cores).
- ``compress CLIP``: the floor's second half, compressing the clip's pixels and its
  overviews from memory with the COG's compression options (all cores).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import pyogrio
import rasterio
import rasterio.shutil
import shapely
from rasterio.windows import Window
from shapely.geometry.base import BaseGeometry

from autopkg.clip import clip_raster, clip_vector, repair
from autopkg.clip.budget import configure_gdal
from autopkg.clip.cog import cog_options

_STRIP = 512


def _boundary(path: str) -> BaseGeometry:
    """The boundary GeoJSON's features merged, as ``autopkg clip --boundary FILE`` reads it.

    Read here rather than through the CLI module so that this process holds only the
    clipping engine, not the service's imports: its peak RSS is the engine's.
    """
    _, _, wkb, _ = pyogrio.raw.read(path, columns=[])
    return repair(shapely.union_all(shapely.from_wkb(wkb)))


def _timed(action: Callable[[], object], repeat: int) -> list[float]:
    action()
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        seconds.append(time.perf_counter() - start)
    return seconds


def _read_window(src: str, clip: str) -> None:
    with rasterio.open(clip) as out:
        transform, width, height = out.transform, out.width, out.height
    with rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS"), rasterio.open(src) as source:
        col, row = ~source.transform * (transform.c, transform.f)
        col, row = round(col) % source.width, round(row)
        width = min(width, source.width - col)
        for top in range(row, row + height, _STRIP):
            source.read(1, window=Window(col, top, width, min(_STRIP, row + height - top)))


def _compress(clip: str, scratch: Path) -> Callable[[], None]:
    """Load the clip and its overviews into memory; return the timed compression step."""
    with rasterio.open(clip) as out:
        data, profile = out.read(), out.profile
        factors = out.overviews(1)
    memory = rasterio.open("", "w", **{**profile, "driver": "MEM"})
    memory.write(data)
    if factors:
        memory.build_overviews(factors, rasterio.enums.Resampling.nearest)
    options = cog_options(profile["dtype"], "DEFLATE")
    target = scratch / "compressed.tif"

    def compress() -> None:
        with rasterio.Env(GDAL_NUM_THREADS="ALL_CPUS"):
            rasterio.shutil.copy(
                memory,
                target,
                driver="GTiff",
                tiled=True,
                blockxsize=options["BLOCKSIZE"],
                blockysize=options["BLOCKSIZE"],
                compress=options["COMPRESS"],
                predictor=2 if options["PREDICTOR"] == "STANDARD" else 3,
                num_threads="ALL_CPUS",
                bigtiff="IF_SAFER",
                copy_src_overviews=bool(factors),
            )

    return compress


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.worker")
    parser.add_argument("kind", choices=["raster", "vector", "read", "compress"])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("-r", "--repeat", type=int, default=3)
    args = parser.parse_args()
    paths = args.paths
    configure_gdal(concurrency=1)
    if args.kind in ("raster", "vector"):
        geometry = _boundary(paths[1])
        clip = clip_raster if args.kind == "raster" else clip_vector
        seconds = _timed(lambda: clip(paths[0], geometry, paths[2]), args.repeat)
    elif args.kind == "read":
        seconds = _timed(lambda: _read_window(paths[0], paths[1]), args.repeat)
    else:
        scratch = Path(paths[0]).parent
        seconds = _timed(_compress(paths[0], scratch), args.repeat)
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    main()
