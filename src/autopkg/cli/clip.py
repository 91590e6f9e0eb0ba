"""``autopkg clip``: the clipping engine on one local raster or vector file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from autopkg.cli.common import console, err_console, options, runtime, setup_logging
from autopkg.errors import AutopkgError, InvalidInputError

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry


def clip_command(
    src: Annotated[Path, typer.Argument(help="Raster or vector file to clip.")],
    boundary: Annotated[
        str,
        typer.Option(
            "--boundary",
            "-b",
            help="A loaded boundary's name (e.g. gha; see autopkg boundaries list), a "
            'vector file (GeoJSON, GeoPackage…) or inline GeoJSON (\'{"type": '
            '"Polygon", …}\'), in WGS84 unless the file says otherwise.',
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="File to write: a COG (.tif) for rasters; for vectors a GeoPackage (.gpkg) "
            "or GeoParquet (.parquet).",
        ),
    ],
    format: Annotated[
        str | None,
        typer.Option("--format", "-f", help="raster or vector; detected from SRC if omitted."),
    ] = None,
    layer: Annotated[
        str | None,
        typer.Option(
            "--layer", "-l", help="The layer of a multi-layer vector source (default: its first)."
        ),
    ] = None,
) -> None:
    """Clip a raster (to a Cloud Optimized GeoTIFF) or a vector layer (to a GeoPackage).

    The output's name, the format and the layer are checked before any work.
    """
    # GDAL and the engine load here, not with the module: ``--help`` needs neither.
    from autopkg.cli.clip_inputs import detect_format
    from autopkg.clip.budget import configure_gdal
    from autopkg.config import load_settings

    setup_logging(load_settings())
    configure_gdal(concurrency=1)
    try:
        kind = format.lower() if format else detect_format(src)
        if kind == "raster":
            empty, summary = _clip_raster(src, boundary, output, layer)
        elif kind == "vector":
            empty, summary = _clip_vector(src, boundary, output, layer)
        else:
            raise InvalidInputError(f"--format must be raster or vector, not {format!r}")
    except AutopkgError as exc:
        if options.debug:
            raise
        _error_line(exc.message)
        raise typer.Exit(1) from None
    note = " (empty: nothing of the source is inside the boundary)" if empty else ""
    console.print(f"wrote {output}: {summary}{note}", markup=False, highlight=False, soft_wrap=True)


def _clip_raster(src: Path, boundary: str, output: Path, layer: str | None) -> tuple[bool, str]:
    from autopkg.cli.clip_inputs import boundary_geometry, check_raster_output
    from autopkg.clip.raster import clip_raster

    check_raster_output(output)
    if layer is not None:
        raise InvalidInputError(f"--layer is for vector sources; {src.name} is a raster")
    geometry = boundary_geometry(boundary, _loaded_boundary)
    with _progress_bar(f"clipping {src.name}") as update:
        raster = clip_raster(src, geometry, output, progress=update)
    return raster.empty, f"{raster.width}x{raster.height} pixels"


def _clip_vector(src: Path, boundary: str, output: Path, layer: str | None) -> tuple[bool, str]:
    from autopkg.cli.clip_inputs import boundary_geometry, pick_layer, vector_driver
    from autopkg.clip.vector import clip_vector

    driver = vector_driver(output)
    chosen, layers = pick_layer(src, layer)
    geometry = boundary_geometry(boundary, _loaded_boundary)
    if layer is None and len(layers) > 1:
        _note(
            f"{src.name} has {len(layers)} layers ({', '.join(layers)}); clipping {chosen!r} "
            "(choose one with --layer)"
        )
    with _progress_bar(f"clipping {src.name} ({chosen})") as update:
        vector = clip_vector(src, geometry, output, layer=chosen, progress=update, driver=driver)
    return vector.empty, f"{vector.features} features"


def _error_line(message: str) -> None:
    line = " ".join(message.splitlines())
    err_console.print(f"error: {line}", markup=False, highlight=False, soft_wrap=True)


def _note(message: str) -> None:
    err_console.print(f"note: {message}", markup=False, highlight=False, soft_wrap=True)


def _loaded_boundary(name: str) -> BaseGeometry:
    """A boundary from the database (built-in countries and everything loaded since)."""
    from autopkg.services.boundaries import get_boundary

    return get_boundary(runtime(), name).geometry


@contextmanager
def _progress_bar(description: str) -> Iterator[Callable[[float], None]]:
    """Show a progress bar on a terminal's stderr; yield the callback taking fractions 0..1.

    Off a terminal (pipes, CI logs) the bar is disabled rather than printed as text.
    Log lines written meanwhile appear above the bar (see ``autopkg.logs``).
    """
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

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
