"""GRI road and rail network from OpenStreetMap: a PostGIS table, clipped to a GeoPackage.

Not a download: the features live in a PostGIS table ``features(geom, properties)``
(geometry SRID 4326, JSONB properties) of a database this deployment configures
(``AUTOPKG_OSM_PG*``). Rows whose bounding box meets the boundary's are read with
parameterised SQL through a server-side cursor, clipped with shapely a batch at a time
and streamed into the GeoPackage, so memory holds one batch whatever the country.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

import psycopg
import pyarrow as pa
import shapely
from psycopg import sql
from pyogrio.raw import write_arrow
from shapely.geometry import MultiPolygon

from autopkg.clip.geometry import antimeridian_parts, repair
from autopkg.clip.gpkg import dataset_options
from autopkg.clip.shapes import GeometryKind, clip_shapes
from autopkg.errors import SourceError
from autopkg.processors.base import (
    GPKG_MEDIATYPE,
    EstimateContext,
    License,
    Metadata,
    OutputFile,
    PostgresSource,
    Processor,
    RunContext,
)
from autopkg.processors.estimate import Estimate
from autopkg.processors.reference import Organisation, Person, Reference
from autopkg.processors.sizing import GPKG_OVERHEAD_BYTES

#: Rows read from the database, clipped and written at a time.
BATCH_ROWS = 1000

# Size estimates count the rows whose bounding box meets the boundary's (what a run
# reads), so they run high by what the clip drops: up to about twice for a ragged
# country. A clipped line is about 600 bytes in the GeoPackage: a few dozen vertices,
# and its 13 properties, among them its own WKT. The count is given a few seconds;
# beyond that the planner's row estimate for the same query is used instead.
_BYTES_PER_LINE = 600
_COUNT_TIMEOUT = "5s"

#: The properties of the published table and their types: one column each. A row with
#: another property fails the run rather than losing it (the source changed).
PROPERTIES: dict[str, pa.DataType] = {
    "asset_id": pa.float64(),
    "osm_way_id": pa.string(),
    "asset_type": pa.string(),
    "paved": pa.bool_(),
    "material": pa.string(),
    "lanes": pa.int64(),
    "_asset_type": pa.string(),
    "rehab_cost_USD_per_km": pa.float64(),
    "sector": pa.string(),
    "subsector": pa.string(),
    "tag_bridge": pa.string(),
    "bridge": pa.bool_(),
    "wkt": pa.string(),
}
_LINES = GeometryKind.parse("LineString")
_SCHEMA = pa.schema(
    [pa.field("geom", pa.binary()), *(pa.field(k, t) for k, t in PROPERTIES.items())]
)


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
        description=(
            "Road and rail lines from OpenStreetMap (November 2022) as prepared for the "
            "Global Resilience Index, clipped to the boundary into one GeoPackage."
        ),
        data_author=(
            "Russell T., Thomas F., nismod/open-gira contributors, OpenStreetMap contributors"
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
            "`tag_bridge`, `bridge`, `wkt`. A property a line lacks is null."
        ),
        data_citation=(
            "Russell T., Thomas F., nismod/open-gira contributors and OpenStreetMap "
            "contributors (2022): Global Road and Rail networks derived from OpenStreetMap. "
            "https://global.infrastructureresilience.org (OSM snapshot of November 2022)"
        ),
        data_license=License(
            name="ODbL-1.0",
            path="https://opendefinition.org/licenses/odc-odbl",
            title="Open Data Commons Open Database License 1.0",
        ),
        data_origin_url="https://global.infrastructureresilience.org",
        data_formats=("GeoPackage",),
        data_reference=Reference(
            authors=(
                Person(family="Russell", given="T."),
                Person(family="Thomas", given="F."),
                Organisation(name="nismod/open-gira contributors"),
                Organisation(name="OpenStreetMap contributors"),
            ),
            year=2022,
            version="OSM snapshot of November 2022",
            url="https://global.infrastructureresilience.org",
        ),
    )

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
        ctx.progress(0, "reading roads and rail from PostGIS")
        shapely.prepare(boundary)
        written = 0
        # pyarrow replaces an exception raised while pulling a batch with a bare "Error
        # while accessing batch from stream": keep the real one to re-raise.
        failures: list[Exception] = []
        try:
            with _connect(database) as connection:
                count = sql.SQL("SELECT count(*) FROM features WHERE {}").format(where)
                total = connection.execute(count, values).fetchone()
                rows = int(total[0]) if total else 0
                select = sql.SQL(
                    "SELECT ST_AsBinary(geom), properties FROM features WHERE {}"
                ).format(where)
                with connection.cursor(name="gri_osm_features") as cursor:
                    cursor.execute(select, values)

                    def batches() -> Iterator[pa.RecordBatch]:
                        nonlocal written
                        read = 0
                        try:
                            while chunk := cursor.fetchmany(BATCH_ROWS):
                                read += len(chunk)
                                batch = _clip(chunk, boundary)
                                written += batch.num_rows
                                ctx.progress(99 * read / rows, f"clipped {read} of {rows} rows")
                                yield batch
                        except Exception as exc:
                            failures.append(exc)
                            raise

                    stream = pa.RecordBatchReader.from_batches(_SCHEMA, batches())
                    write_arrow(
                        stream,
                        str(staged),
                        layer="roads_and_rail",
                        driver="GPKG",
                        geometry_name="geom",
                        geometry_type="MultiLineString",
                        crs="EPSG:4326",
                        dataset_options=dataset_options("GPKG"),
                    )
        except Exception as exc:
            staged.unlink(missing_ok=True)
            cause = failures[0] if failures else exc
            if isinstance(cause, psycopg.Error):
                raise _unreadable(database, cause) from None
            raise cause from None
        staged.replace(output)
        ctx.progress(100, "done")
        title = "OSM roads and rail, clipped"
        return [OutputFile(output, "gpkg", GPKG_MEDIATYPE, title=title, empty=written == 0)]


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


def _clip(rows: list[tuple[Any, ...]], boundary: MultiPolygon) -> pa.RecordBatch:
    """Clip a batch of ``(wkb, properties)`` rows; drop what is not a line inside.

    Raises:
        SourceError: a row has a property not in :data:`PROPERTIES`, or a value of
            another type than its column's.
    """
    geoms = shapely.from_wkb([bytes(row[0]) for row in rows])
    clipped = clip_shapes(geoms, boundary, _LINES)
    keep = [index for index, geom in enumerate(clipped) if geom is not None]
    properties = [rows[index][1] or {} for index in keep]
    for props in properties:
        unknown = set(props) - set(PROPERTIES)
        if unknown:
            raise SourceError(
                f"an OSM feature has properties outside the schema: {sorted(unknown)}"
            )
    columns = [pa.array(shapely.to_wkb(clipped[keep]) if keep else [], type=pa.binary())]
    for key, kind in PROPERTIES.items():
        try:
            columns.append(pa.array([props.get(key) for props in properties], type=kind))
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise SourceError(f"OSM property {key} is not {kind}: {exc}") from None
    return pa.RecordBatch.from_arrays(columns, schema=_SCHEMA)
