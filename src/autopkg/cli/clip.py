"""``autopkg clip``: the clipping engine on one local raster or vector file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import numpy as np
import pyogrio
import rasterio
import shapely
import typer
from numpy.typing import NDArray
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS, Transformer
from rasterio.errors import RasterioError
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from shapely.geometry.base import BaseGeometry

from autopkg.boundaries.builtin import get_builtin
from autopkg.cli.common import console, err_console
from autopkg.clip import clip_raster, clip_vector, repair
from autopkg.clip.budget import configure_gdal
from autopkg.errors import AutopkgError, ClipError, InvalidInputError

FORMATS = ("raster", "vector")
VECTOR_SUFFIXES = {".gpkg": "GPKG", ".parquet": "GeoParquet", ".geoparquet": "GeoParquet"}


def clip_command(
    src: Annotated[Path, typer.Argument(help="Raster or vector file to clip.")],
    boundary: Annotated[
        str,
        typer.Option(
            "--boundary", "-b", help="Built-in boundary name (e.g. gha) or a GeoJSON file."
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="File to write: a COG for rasters; for vectors a GeoPackage (.gpkg) or "
            "GeoParquet (.parquet).",
        ),
    ],
    format: Annotated[
        str | None,
        typer.Option("--format", "-f", help="raster or vector; detected from SRC if omitted."),
    ] = None,
) -> None:
    """Clip a raster (to a Cloud Optimized GeoTIFF) or a vector layer (to a GeoPackage)."""
    configure_gdal(concurrency=1)
    try:
        geometry = boundary_geometry(boundary)
        kind = format.lower() if format else detect_format(src)
        if kind not in FORMATS:
            raise InvalidInputError(f"--format must be raster or vector, not {format!r}")
        with _progress_bar(f"clipping {src.name}") as update:
            if kind == "raster":
                raster = clip_raster(src, geometry, output, progress=update)
                empty, summary = raster.empty, f"{raster.width}x{raster.height} pixels"
            else:
                vector = clip_vector(
                    src, geometry, output, progress=update, driver=vector_driver(output)
                )
                empty, summary = vector.empty, f"{vector.features} features"
    except AutopkgError as exc:
        line = " ".join(exc.message.splitlines())
        err_console.print(f"error: {line}", markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    note = " (empty: nothing of the source is inside the boundary)" if empty else ""
    console.print(f"wrote {output}: {summary}{note}", markup=False, highlight=False, soft_wrap=True)


def vector_driver(output: Path) -> str:
    """The vector output format named by the output's suffix: GeoPackage or GeoParquet.

    Raises:
        InvalidInputError: any other suffix.
    """
    suffix = output.suffix.lower()
    if suffix in VECTOR_SUFFIXES:
        return VECTOR_SUFFIXES[suffix]
    raise InvalidInputError(
        f"vector output {output.name!r} must end in .gpkg (GeoPackage) or .parquet (GeoParquet)"
    )


def detect_format(src: Path) -> str:
    """Return ``raster`` or ``vector`` for what GDAL recognises ``src`` as.

    Raises:
        ClipError: GDAL reads ``src`` as neither.
    """
    if not src.exists():
        raise ClipError(f"no such file: {src}")
    try:
        with rasterio.open(src):
            return "raster"
    except RasterioError:
        pass
    try:
        pyogrio.read_info(src)
    except (DataSourceError, DataLayerError):
        raise ClipError(f"{src} is neither a raster nor a vector file GDAL can read") from None
    return "vector"


def boundary_geometry(boundary: str) -> BaseGeometry:
    """Resolve ``--boundary``: a GeoJSON (or other vector) file, else a built-in name.

    Every feature of a file is merged into one boundary, reprojected to EPSG:4326 when
    the file declares another CRS.

    Raises:
        NotFoundError: no built-in boundary has that name.
        ClipError: the file cannot be read or holds no polygon.
    """
    path = Path(boundary)
    if not path.is_file():
        return get_builtin(boundary.strip().lower()).geometry
    try:
        meta, _, wkb, _ = pyogrio.raw.read(path, columns=[])
    except (DataSourceError, DataLayerError) as exc:
        raise ClipError(f"cannot read boundary file {path}: {exc}") from None
    geometries = shapely.from_wkb(wkb)
    geometries = geometries[~shapely.is_missing(geometries)]
    if meta["crs"] is not None:
        geometries = shapely.transform(geometries, _to_lon_lat(CRS.from_user_input(meta["crs"])))
    return repair(shapely.union_all(geometries))


def _to_lon_lat(crs: CRS) -> Callable[[NDArray[np.float64]], NDArray[np.float64]]:
    """A coordinate function for ``shapely.transform`` from ``crs`` to EPSG:4326."""
    transformer = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)

    def project(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return project


@contextmanager
def _progress_bar(description: str) -> Iterator[Callable[[float], None]]:
    """Show a progress bar on a terminal's stderr; yield the callback taking fractions 0..1.

    Off a terminal (pipes, CI logs) the bar is disabled rather than printed as text.
    """
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn())
    with Progress(
        *columns,
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as bar:
        task = bar.add_task(description, total=1.0)
        yield lambda fraction: bar.update(task, completed=fraction)
