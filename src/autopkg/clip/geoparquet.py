"""Write a stream of clipped features as GeoParquet 1.1 (WKB geometry, ``geo`` metadata).

pyogrio's bundled GDAL has no Parquet driver, so batches go straight to pyarrow's
Parquet writer, one row group per batch: memory holds one batch at a time, as with the
GeoPackage output.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from pyproj import CRS

#: GeoParquet version written (https://geoparquet.org/releases/v1.1.0/).
GEOPARQUET_VERSION = "1.1.0"


def write_geoparquet(
    batches: pa.RecordBatchReader,
    path: Path,
    *,
    geometry_column: str,
    geometry_type: str,
    crs: str,
) -> None:
    """Write ``batches`` (WKB in ``geometry_column``) to ``path`` as GeoParquet.

    ``geometry_type`` is an OGR layer type name (``MultiLineString``, ``Point Z``…;
    ``Unknown`` leaves the types unstated) and ``crs`` any CRS pyproj reads, stored as
    PROJJSON. Coordinates stay in x/y (longitude/latitude) order, as GeoParquet requires.
    """
    types = [] if geometry_type == "Unknown" else [geometry_type]
    geo = {
        "version": GEOPARQUET_VERSION,
        "primary_column": geometry_column,
        "columns": {
            geometry_column: {
                "encoding": "WKB",
                "geometry_types": types,
                "crs": CRS.from_user_input(crs).to_json_dict(),
            }
        },
    }
    schema = batches.schema.with_metadata(
        {**(batches.schema.metadata or {}), b"geo": json.dumps(geo).encode()}
    )
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for batch in batches:
            writer.write_batch(batch)
