"""GRI road and rail network from OpenStreetMap: a PostGIS table, clipped to a GeoPackage.

Not a download: the features live in a PostGIS table ``features(geom, properties)``
(geometry SRID 4326, JSONB properties) of a database this deployment configures
(``AUTOPKG_OSM_PG*``). Rows whose bounding box meets the boundary's are read with
parameterised SQL through a server-side cursor and clipped with shapely a batch at a
time into an Arrow file in the run's scratch folder, their properties as JSON text;
then every property is typed from all the values the package will hold (see
:mod:`autopkg.processors.properties`) and the batches are streamed from that file into
the GeoPackage. Memory holds one batch whatever the country; scratch space peaks at
about twice the output (that file and the GeoPackage being written).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import psycopg
import pyarrow as pa
import shapely
from psycopg import sql
from pyogrio.raw import write_arrow
from shapely.geometry import MultiPolygon

from autopkg.clip.attributes import warn_if_any
from autopkg.clip.geometry import antimeridian_parts, repair
from autopkg.clip.gpkg import dataset_options
from autopkg.clip.shapes import GeometryKind, clip_shapes, unwritable
from autopkg.domain.attributes import Kind
from autopkg.domain.estimate import Estimate
from autopkg.domain.licences import ODBL_1_0
from autopkg.domain.metadata import Metadata
from autopkg.domain.outputs import GPKG_MEDIATYPE, OutputFile
from autopkg.domain.reference import Reference, authors
from autopkg.domain.sources import PostgresSource
from autopkg.errors import SourceError
from autopkg.processors.base import EstimateContext, IndexContext, Processor, RunContext
from autopkg.processors.properties import PropertyColumns
from autopkg.processors.sizing import GPKG_OVERHEAD_BYTES

log = logging.getLogger(__name__)

#: Rows read from the database, clipped and written at a time.
BATCH_ROWS = 1000

# Size estimates count the rows whose bounding box meets the boundary's (what a run
# reads), so they run high by what the clip drops: up to about twice for a ragged
# country. A clipped line is about 600 bytes in the GeoPackage: a few dozen vertices,
# and its 13 properties, among them its own WKT. The count is given a few seconds;
# beyond that the planner's row estimate for the same query is used instead.
_BYTES_PER_LINE = 600
_COUNT_TIMEOUT = "5s"

#: The properties the table is documented with, and their kinds: one column each, in
#: this order. They are priors: a column holding values of another type is written as
#: text, and any other property becomes a text column after these (see
#: :mod:`autopkg.processors.properties`).
PROPERTIES: dict[str, Kind] = {
    "asset_id": "real",
    "osm_way_id": "string",
    "asset_type": "string",
    "paved": "boolean",
    "material": "string",
    "lanes": "integer",
    "_asset_type": "string",
    "rehab_cost_USD_per_km": "real",
    "sector": "string",
    "subsector": "string",
    "tag_bridge": "string",
    "bridge": "boolean",
    "wkt": "string",
}
_LINES = GeometryKind.parse("LineString")
_GEOMETRY = "geom"
#: Clipped rows kept in scratch between reading and writing: geometry and properties.
_CLIPPED = pa.schema([pa.field(_GEOMETRY, pa.binary()), pa.field("properties", pa.string())])
#: Rows whose properties are not a JSON object cannot be given columns.
_NOT_AN_OBJECT = "properties are not a JSON object"


@runtime_checkable
class OsmRunContext(Protocol):
    """A run context that can say where this deployment keeps the OSM database."""

    @property
    def osm_database(self) -> PostgresSource | None:
        """The OSM database, or ``None`` when none is configured."""
        ...


class GriOsmRoadsAndRailProcessor(Processor):
    """Clip the GRI OSM road and rail lines in PostGIS to the boundary, into a GeoPackage."""

    metadata = Metadata(
        name="gri_osm",
        version="roads_and_rail_version_1",
        data_group="infrastructure",
        description=(
            "Road and rail lines from OpenStreetMap (November 2022) as prepared for the "
            "Global Resilience Index, clipped to the boundary into one GeoPackage."
        ),
        data_title="GRI OSM roads and rail",
        data_title_long="Global Road and Rail networks derived from OpenStreetMap",
        data_summary=(
            "**Road and rail lines** of OpenStreetMap (snapshot of November 2022) as "
            "processed by nismod/open-gira for the Global Resilience Index: each line with "
            "its OSM way id, asset type, surface, lanes, bridge flags, sector and an "
            "estimated rehabilitation cost in USD per km.\n\n"
            "Lines are cut at the boundary (EPSG:4326, MultiLineString); one column per "
            "property: `asset_id`, `osm_way_id`, `asset_type`, `paved`, `material`, "
            "`lanes`, `_asset_type`, `rehab_cost_USD_per_km`, `sector`, `subsector`, "
            "`tag_bridge`, `bridge`, `wkt`, then any other property the lines have, as "
            "text. A property a line lacks (or holds as an empty string) is null; a "
            "column holding a value of another type than documented is text."
        ),
        data_citation=(
            "Russell T., Thomas F., nismod/open-gira contributors and OpenStreetMap "
            "contributors (2022): Global Road and Rail networks derived from OpenStreetMap. "
            "https://global.infrastructureresilience.org (OSM snapshot of November 2022)"
        ),
        data_license=ODBL_1_0,
        data_formats=("GeoPackage",),
        data_reference=Reference(
            authors=authors(
                "Russell T.; Thomas F.; nismod/open-gira contributors; OpenStreetMap contributors"
            ),
            year=2022,
            version="OSM snapshot of November 2022",
            url="https://global.infrastructureresilience.org",
        ),
    )

    def check_database(self, ctx: IndexContext) -> str:
        """Whether the database is configured and its table readable; where it is."""
        database = ctx.osm_database if isinstance(ctx, OsmRunContext) else None
        if database is None:
            raise SourceError(_NOT_CONFIGURED)
        try:
            with _connect(database) as connection:
                # The columns a run reads, without reading a row.
                connection.execute("SELECT geom, properties FROM features LIMIT 0")
        except psycopg.Error as exc:
            raise _unreadable(database, exc) from None
        return f"postgresql://{database.host}:{database.port}/{database.dbname} table features"

    def estimate(self, ctx: EstimateContext) -> Estimate:
        """Count the rows a run would read (parameterised, bounded in time)."""
        database = ctx.osm_database if isinstance(ctx, OsmRunContext) else None
        if database is None:
            raise SourceError(_NOT_CONFIGURED)
        where, values = _box_filter(repair(ctx.boundary.geometry))
        count = sql.SQL("SELECT count(*) FROM features WHERE {}").format(where)
        # The timeout is set per transaction, so again after the rollback: planning
        # waits for a lock on the table as counting does, and an estimate must answer.
        bounded = "SELECT set_config('statement_timeout', %s, true)"
        try:
            with _connect(database) as connection:
                connection.execute(bounded, [_COUNT_TIMEOUT])
                try:
                    row = connection.execute(count, values).fetchone()
                    rows = int(row[0]) if row else 0
                except psycopg.errors.QueryCanceled:
                    connection.rollback()
                    connection.execute(bounded, [_COUNT_TIMEOUT])
                    plan = connection.execute(
                        sql.SQL("EXPLAIN (FORMAT JSON) ") + count, values
                    ).fetchone()
                    rows = _planned_rows(plan[0][0]["Plan"]) if plan else 0
        except psycopg.Error as exc:
            raise _unreadable(database, exc) from None
        return Estimate(bytes=GPKG_OVERHEAD_BYTES + rows * _BYTES_PER_LINE, files=1, features=rows)

    def run(self, ctx: RunContext) -> list[OutputFile]:
        """Stream the lines meeting the boundary's bounding boxes, clipped, into a GeoPackage."""
        database = ctx.osm_database if isinstance(ctx, OsmRunContext) else None
        if database is None:
            raise SourceError(_NOT_CONFIGURED)
        boundary = repair(ctx.boundary.geometry)
        where, values = _box_filter(boundary)
        output = self.output_path(ctx, "gpkg")
        staged = output.with_name(f".{output.stem}.part.gpkg")
        clipped = output.with_name(f".{output.stem}.clipped.arrow")
        ctx.progress(0, "reading roads and rail from PostGIS")
        shapely.prepare(boundary)
        columns = PropertyColumns(PROPERTIES, taken=[_GEOMETRY])
        not_written: Counter[str] = Counter()
        try:
            with _connect(database) as connection:
                count = sql.SQL("SELECT count(*) FROM features WHERE {}").format(where)
                total = connection.execute(count, values).fetchone()
                rows = int(total[0]) if total else 0
                select = sql.SQL(
                    "SELECT ST_AsBinary(geom), properties::text FROM features WHERE {}"
                ).format(where)
                with (
                    connection.cursor(name="gri_osm_features") as cursor,
                    pa.ipc.new_file(str(clipped), _CLIPPED) as sink,
                ):
                    cursor.execute(select, values)
                    read = 0
                    while chunk := cursor.fetchmany(BATCH_ROWS):
                        read += len(chunk)
                        sink.write_batch(_clip(chunk, boundary, columns, not_written))
                        ctx.progress(90 * read / rows, f"clipped {read} of {rows} rows")
            ctx.progress(90, "writing the GeoPackage")
            written = _write(clipped, staged, columns)
        except psycopg.Error as exc:
            staged.unlink(missing_ok=True)
            raise _unreadable(database, exc) from None
        except BaseException:
            staged.unlink(missing_ok=True)
            raise
        finally:
            clipped.unlink(missing_ok=True)
        staged.replace(output)
        report = replace(columns.report(), not_written={k: n for k, n in not_written.items() if n})
        warn_if_any(self.metadata.id, "the features table", report)
        ctx.progress(100, "done")
        title = "OSM roads and rail, clipped"
        return [
            OutputFile(
                output, "gpkg", GPKG_MEDIATYPE, title=title, empty=written == 0, attributes=report
            )
        ]


_NOT_CONFIGURED = (
    "the OSM database is not configured: set AUTOPKG_OSM_PGHOST and "
    "AUTOPKG_OSM_PGDATABASE (and AUTOPKG_OSM_PGUSER, AUTOPKG_OSM_PGPASSWORD)"
)


def _connect(database: PostgresSource) -> psycopg.Connection[tuple[Any, ...]]:
    return psycopg.connect(
        host=database.host,
        port=database.port,
        dbname=database.dbname,
        user=database.user,
        password=database.password,
        connect_timeout=30,
    )


def _unreadable(database: PostgresSource, cause: psycopg.Error) -> SourceError:
    return SourceError(
        f"cannot read the OSM features from {database.host}:{database.port}/"
        f"{database.dbname}: {type(cause).__name__}: {str(cause).strip()}"
    )


def _box_filter(boundary: MultiPolygon) -> tuple[sql.Composable, list[float]]:
    """The parameterised ``&&`` filter on the boundary's boxes (see ``_boxes``), and its values."""
    boxes = _boxes(boundary)
    where = sql.SQL(" OR ").join(
        sql.SQL("geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)") for _ in boxes
    )
    return where, [value for box in boxes for value in box]


def _planned_rows(node: dict[str, Any]) -> int:
    """The most rows any step of a query plan expects: the scan's, under the count."""
    below = [_planned_rows(child) for child in node.get("Plans", [])]
    return max([int(node.get("Plan Rows", 0)), *below])


def _boxes(boundary: MultiPolygon) -> list[tuple[float, float, float, float]]:
    """Bounding boxes to read: the boundary's, or one per side of ±180° when it crosses it.

    The table keeps longitudes within ±180°, so Fiji's two sides are two boxes rather
    than one as wide as the world.
    """
    sides: dict[float, list[shapely.Polygon]] = {}
    for part, shift in antimeridian_parts(boundary):
        sides.setdefault(shift, []).append(part)
    return [MultiPolygon(parts).bounds for parts in sides.values()]


def _clip(
    rows: list[tuple[Any, ...]],
    boundary: MultiPolygon,
    columns: PropertyColumns,
    not_written: Counter[str],
) -> pa.RecordBatch:
    """Clip a batch of ``(wkb, properties as JSON text)`` rows; keep the lines inside.

    The properties of the rows kept are shown to ``columns``; rows that cannot be
    written (no geometry, not a line, properties that are not an object) are counted
    in ``not_written``.
    """
    geoms = shapely.from_wkb([None if row[0] is None else bytes(row[0]) for row in rows])
    not_written.update(unwritable(geoms, boundary, _LINES))
    clipped = clip_shapes(geoms, boundary, _LINES)
    properties = [json.loads(row[1]) if row[1] is not None else {} for row in rows]
    keep = []
    for index, geom in enumerate(clipped):
        if geom is None:
            continue
        if isinstance(properties[index], dict):
            keep.append(index)
        else:
            not_written[_NOT_AN_OBJECT] += 1
    columns.observe([properties[index] for index in keep])
    return pa.RecordBatch.from_arrays(
        [
            pa.array(shapely.to_wkb(clipped[keep]) if keep else [], type=pa.binary()),
            pa.array([rows[index][1] or "{}" for index in keep], type=pa.string()),
        ],
        schema=_CLIPPED,
    )


def _write(clipped: Path, staged: Path, columns: PropertyColumns) -> int:
    """Write the clipped rows kept at ``clipped`` into the GeoPackage ``staged``, typed.

    Returns:
        How many rows were written.
    """
    schema = pa.schema([pa.field(_GEOMETRY, pa.binary()), *columns.fields()])
    # pyarrow replaces an exception raised while pulling a batch with a bare "Error
    # while accessing batch from stream": keep the real one to re-raise.
    failures: list[Exception] = []
    written = 0

    def batches(reader: pa.ipc.RecordBatchFileReader) -> Iterator[pa.RecordBatch]:
        nonlocal written
        try:
            for number in range(reader.num_record_batches):
                batch = reader.get_batch(number)
                rows = [json.loads(text) for text in batch.column(1).to_pylist()]
                written += len(rows)
                yield pa.RecordBatch.from_arrays(
                    [batch.column(0), *columns.columns(rows)], schema=schema
                )
        except Exception as exc:
            failures.append(exc)
            raise

    with pa.OSFile(str(clipped), "rb") as source:
        stream = pa.RecordBatchReader.from_batches(schema, batches(pa.ipc.open_file(source)))
        try:
            write_arrow(
                stream,
                str(staged),
                layer="roads_and_rail",
                driver="GPKG",
                geometry_name=_GEOMETRY,
                geometry_type="MultiLineString",
                crs="EPSG:4326",
                dataset_options=dataset_options("GPKG"),
            )
        except (RuntimeError, pa.ArrowException) as exc:
            raise (failures[0] if failures else exc) from None
    return written
