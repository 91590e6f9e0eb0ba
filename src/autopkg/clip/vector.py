"""Clip a vector layer to a boundary into a GeoPackage, streaming Arrow batches.

Only features intersecting the boundary are read: for a source with a spatial index
(GeoPackage, indexed Shapefile) each polygon of the boundary is queried on its own,
so Fiji's two sides of the antimeridian are two small index lookups rather than one
360° box; a source without one (CSV) is scanned once and filtered here, which lets
progress follow the rows read. Batches flow from pyogrio's Arrow reader through
shapely's vectorised clip into pyogrio's Arrow writer, so memory holds one batch at a
time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyogrio
import shapely
from pyogrio.errors import DataLayerError, DataSourceError
from pyogrio.raw import open_arrow, write_arrow
from shapely.errors import ShapelyError
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from autopkg.clip.attributes import AttributeTally, distinct_names
from autopkg.clip.geometry import boundary_in_crs, repair
from autopkg.clip.geoparquet import write_geoparquet
from autopkg.clip.gpkg import dataset_options
from autopkg.clip.shapes import GeometryKind, clip_shapes
from autopkg.clip.staging import move_into_place, staging_dir
from autopkg.domain.attributes import AttributeReport, Kind
from autopkg.errors import ClipError

#: Features per Arrow batch: large enough to amortise Python per batch, small enough to
#: keep a batch of detailed polygons in memory.
BATCH_FEATURES = 16_384

#: Name of the geometry column in the output, unless an attribute already uses it.
_GEOMETRY_NAME = "geom"


@dataclass(frozen=True)
class VectorClip:
    """A written vector clip: its layer name, feature count, whether it is empty, and
    what its attributes held that was not expected (see :class:`AttributeReport`)."""

    path: Path
    features: int
    layer: str
    empty: bool
    attributes: AttributeReport = dataclasses.field(default_factory=AttributeReport)


@dataclass(frozen=True)
class _Source:
    """An opened-for-reading description of the layer to clip."""

    path: str
    layer: str
    options: Mapping[str, str]
    crs: str
    kind: GeometryKind
    indexed: bool


def clip_vector(
    src: str | Path,
    geometry: BaseGeometry,
    dst: str | Path,
    *,
    layer: str | None = None,
    open_options: Mapping[str, str] | None = None,
    progress: Callable[[float], None] | None = None,
    driver: str = "GPKG",
    expected: Mapping[str, Kind] | None = None,
) -> VectorClip:
    """Clip one layer of the vector file ``src`` to ``geometry`` (EPSG:4326) into ``dst``.

    Args:
        src: any path GDAL reads as vector (``/vsizip/...`` included).
        geometry: the boundary, repaired with :func:`~autopkg.clip.geometry.repair` and
            reprojected to the layer's CRS when that is not EPSG:4326. A layer without a
            CRS (a CSV of longitudes and latitudes) is taken to be EPSG:4326 and written
            as such.
        dst: the output file; its folder is created, an existing file is replaced.
        layer: the layer to clip; default the first.
        open_options: GDAL open options, e.g. ``X_POSSIBLE_NAMES`` for CSV files.
        progress: called with a growing fraction 0..1: per boundary part done for an
            indexed source, per batch of rows read for a scanned one.
        driver: output format: ``GPKG`` (with an R-tree spatial index),
            ``GeoParquet`` (GeoParquet 1.1, WKB), or another OGR vector driver name.
        expected: the columns and kinds the caller expects of the layer (priors): a
            column missing, extra or of another kind is reported, never refused, and
            values of a text column that do not fit its expected kind are counted.

    Returns:
        The clip's description. Features keep their attributes, with the types the
        source has; a column whose name another has up to case (a GeoPackage holds
        one) is renamed ``<name>_2`` (``_3``…). Geometries are cut to
        the boundary, with line and polygon layers written as MultiLineString and
        MultiPolygon (a cut can split one geometry). A feature whose intersection has a
        lower dimension than the layer's (a road touching the border at a point) is
        dropped. No feature intersecting the boundary gives a valid empty layer with
        ``empty`` true. Rows without a geometry, and rows of another geometry type
        than the layer's meeting the boundary, cannot be written: they are counted in
        ``attributes.not_written``.

    Raises:
        ClipError: the source or layer cannot be read, holds no geometry or geometries
            that cannot be clipped, or the output cannot be written.
    """
    dst = Path(dst)
    report = progress or _ignore
    boundary = repair(geometry)
    source = _describe(str(src), layer, dict(open_options or {}))
    local = repair(boundary_in_crs(boundary, source.crs))
    try:
        with staging_dir(dst) as scratch:
            staged = scratch / dst.name
            tally = AttributeTally(expected or {})
            count = _write(source, local, staged, driver, report, tally)
            move_into_place(staged, dst)
    except (RuntimeError, ShapelyError, pa.ArrowException) as exc:
        raise ClipError(f"cannot clip vector file {src}: {exc}") from exc
    report(1.0)
    return VectorClip(
        path=dst,
        features=int(count),
        layer=source.layer,
        empty=count == 0,
        attributes=tally.report(),
    )


def _ignore(_fraction: float) -> None:
    """Progress sink used when the caller passes none."""


def _describe(path: str, layer: str | None, options: dict[str, str]) -> _Source:
    """Read the layer's metadata, turning GDAL's refusal into a ClipError naming the file."""
    try:
        info = pyogrio.read_info(path, layer=layer, **options)
    except (DataSourceError, DataLayerError) as exc:
        raise ClipError(f"cannot read vector file {path}: {exc}") from exc
    if info["geometry_type"] is None:
        raise ClipError(f"layer {info['layer_name']} of {path} has no geometry")
    return _Source(
        path=path,
        layer=info["layer_name"],
        options=options,
        crs=info["crs"] or "EPSG:4326",
        kind=GeometryKind.parse(info["geometry_type"]),
        indexed=bool(info["capabilities"]["fast_spatial_filter"]),
    )


def _write(
    source: _Source,
    boundary: MultiPolygon,
    staged: Path,
    driver: str,
    report: Callable[[float], None],
    tally: AttributeTally,
) -> int:
    """Stream the clipped features of ``source`` into a new file at ``staged``.

    Returns:
        How many features were written.
    """
    masks: list[BaseGeometry | None] = list(boundary.geoms) if source.indexed else [None]
    shapely.prepare(boundary)
    rows = _RowProgress(source, report)
    scanned = not source.indexed
    with _open(source, masks[0]) as (meta, first):
        column = _geometry_column(first.schema, meta)
        index = first.schema.get_field_index(column)
        attributes = [f for i, f in enumerate(first.schema) if i != index]
        # GeoPackage column names are case-insensitive: an attribute "GEOM" takes "geom".
        taken = {f.name.casefold() for f in attributes}
        out_name = _GEOMETRY_NAME if _GEOMETRY_NAME not in taken else column
        tally.read(first.schema, index)
        renamed = distinct_names([f.name for f in attributes], taken=[out_name])
        tally.renamed = renamed
        schema = pa.schema(
            pa.field(out_name, pa.binary())
            if i == index
            else f.with_name(renamed.get(f.name, f.name))
            for i, f in enumerate(first.schema)
        )

        # pyarrow replaces an exception raised while GDAL pulls a batch with a bare
        # "Error while accessing batch from stream": keep the real one to re-raise.
        failures: list[Exception] = []
        written = 0

        def counted(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
            nonlocal written
            for batch in batches:
                written += batch.num_rows
                yield batch

        def clipped() -> Iterator[pa.RecordBatch]:
            try:
                for number, mask in enumerate(masks):
                    seen = MultiPolygon(masks[:number]) if number else None
                    if seen is not None:
                        shapely.prepare(seen)
                    if number == 0:
                        yield from _clip_batches(
                            first, index, schema, boundary, source.kind, seen, rows, scanned, tally
                        )
                    else:
                        with _open(source, mask) as (_, reader):
                            yield from _clip_batches(
                                reader, index, schema, boundary, source.kind, seen, rows,
                                scanned, tally,
                            )  # fmt: skip
                    report((number + 1) / len(masks))
            except Exception as exc:
                failures.append(exc)
                raise

        stream = pa.RecordBatchReader.from_batches(schema, counted(clipped()))
        try:
            if driver.lower() == "geoparquet":
                write_geoparquet(
                    stream,
                    staged,
                    geometry_column=out_name,
                    geometry_type=source.kind.output_type,
                    crs=source.crs,
                )
            else:
                write_arrow(
                    stream,
                    str(staged),
                    layer=source.layer,
                    driver=driver,
                    geometry_name=out_name,
                    geometry_type=source.kind.output_type,
                    crs=source.crs,
                    # The GeoPackage's own geometry column takes the name too, rather
                    # than "geom" beside an attribute of that name.
                    layer_options={"GEOMETRY_NAME": out_name} if driver == "GPKG" else None,
                    dataset_options=dataset_options(driver),
                )
        except (RuntimeError, pa.ArrowException) as exc:
            raise (failures[0] if failures else exc) from None
    return written


class _RowProgress:
    """Reports the share of rows read while a source without an index is scanned."""

    def __init__(self, source: _Source, report: Callable[[float], None]) -> None:
        self._report = report
        self._read = 0
        self._total = 0
        if not source.indexed:
            info = pyogrio.read_info(
                source.path, layer=source.layer, force_feature_count=True, **source.options
            )
            self._total = max(int(info["features"]), 0)

    def scanned(self, rows: int) -> None:
        """Count ``rows`` more rows read (a no-op for indexed sources)."""
        if self._total:
            self._read += rows
            self._report(min(self._read / self._total, 0.99))


def _open(source: _Source, mask: BaseGeometry | None) -> Any:
    """Open an Arrow stream of the features of ``source`` intersecting ``mask`` (or all)."""
    return open_arrow(
        source.path,
        layer=source.layer,
        mask=mask,
        batch_size=BATCH_FEATURES,
        use_pyarrow=True,
        **source.options,
    )


def _geometry_column(schema: pa.Schema, meta: Mapping[str, Any]) -> str:
    """Name of the WKB geometry column of a pyogrio Arrow stream."""
    for field in schema:
        if (field.metadata or {}).get(b"ARROW:extension:name") == b"geoarrow.wkb":
            return str(field.name)
    return str(meta.get("geometry_name") or "wkb_geometry")


def _clip_batches(
    reader: pa.RecordBatchReader,
    index: int,
    schema: pa.Schema,
    boundary: MultiPolygon,
    kind: GeometryKind,
    seen: MultiPolygon | None,
    rows: _RowProgress,
    prefilter: bool,
    tally: AttributeTally,
) -> Iterator[pa.RecordBatch]:
    """Clip each batch of ``reader``; drop features already read with an earlier part.

    With ``prefilter`` (the unfiltered batches of a scanned source), features not
    touching the boundary are dropped here, cheaply, before the clip. Rows that cannot
    be written and unfit values of the written rows are counted in ``tally``.
    """
    for batch in reader:
        geoms = shapely.from_wkb(batch.column(index).to_numpy(zero_copy_only=False))
        rows.scanned(len(geoms))
        if seen is None:
            tally.unwritable(geoms, boundary, kind)
        else:
            again = shapely.intersects(seen, geoms)
            tally.unwritable(geoms[~again], boundary, kind)
            geoms[again] = None
        if prefilter:
            geoms[~shapely.intersects(boundary, geoms)] = None
        clipped = clip_shapes(geoms, boundary, kind)
        keep = ~shapely.is_missing(clipped)
        if not keep.any():
            continue
        wkb = pa.array(shapely.to_wkb(clipped[keep]), type=pa.binary())
        kept = batch.filter(pa.array(keep))
        tally.written(kept)
        yield pa.RecordBatch.from_arrays(
            [wkb if i == index else kept.column(i) for i in range(kept.num_columns)],
            schema=schema,
        )
