"""The summary table: its rows, its Table Schema, and its CSV and Parquet encodings."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


@dataclass(frozen=True)
class Row:
    """One value of the summary; empty strings and ``None`` are empty cells."""

    area: str
    area_name: str
    admin_level: int | None
    processor: str
    source_file: str
    statistic: str
    category: str
    scenario: str
    epoch: str
    return_period: float | None
    threshold: float | None
    threshold_unit: str
    exposure_processor: str
    value: float
    unit: str


COLUMNS = tuple(f.name for f in fields(Row))
#: Every statistic the summary writes.
STATISTICS = (
    "population",
    "built_up_area_km2",
    "plant_count",
    "capacity_mw",
    "length_km",
    "hazard_area_km2",
    "population_exposed",
    "built_up_exposed_km2",
    "plants_exposed",
    "capacity_exposed_mw",
    "length_exposed_km",
    "expected_annual_population_exposed",
)
_NUMBERS = {"admin_level": "integer", "return_period": "number", "threshold": "number"}
_DESCRIPTIONS = {
    "area": "boundary id of the area the value is for",
    "area_name": "the area's long name",
    "admin_level": "the area's administrative level (empty for custom areas)",
    "processor": "the dataset the value describes (for exposure: the hazard)",
    "source_file": "package path of the data file the value was computed from",
    "statistic": "what the value is",
    "category": "class, fuel or type the value is split by",
    "scenario": "scenario of the hazard file",
    "epoch": "epoch of the hazard file",
    "return_period": "return period of the hazard file, in years",
    "threshold": "hazard value above which a place counts as reached",
    "threshold_unit": "unit of the threshold",
    "exposure_processor": "the exposure dataset of an exposure value",
    "value": "the number",
    "unit": "unit of the number",
}
_ARROW = {"integer": pa.int64(), "number": pa.float64(), "string": pa.string()}


def _type(column: str) -> str:
    return "number" if column == "value" else _NUMBERS.get(column, "string")


def table_schema() -> dict[str, Any]:
    """The Frictionless Table Schema of the summary (every row of every package)."""
    return {
        "fields": [{"name": c, "type": _type(c), "description": _DESCRIPTIONS[c]} for c in COLUMNS],
        "missingValues": [""],
    }


def sort_rows(rows: Iterable[Row]) -> list[Row]:
    """Rows in a stable order, so the same package always gives the same bytes."""
    return sorted(
        rows,
        key=lambda r: (
            r.area,
            r.processor,
            r.source_file,
            r.statistic,
            r.exposure_processor,
            r.category,
            -math.inf if r.threshold is None else r.threshold,
        ),
    )


def to_csv(rows: Sequence[Row]) -> bytes:
    """The rows as UTF-8 CSV with a header; numbers as Python writes them (round-trip)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(["" if v is None else _cell(v) for v in asdict(row).values()])
    return buffer.getvalue().encode()


def to_parquet(rows: Sequence[Row]) -> bytes:
    """The rows as a Parquet file, one typed column per schema field."""
    columns = {c: [getattr(r, c) for r in rows] for c in COLUMNS}
    schema = pa.schema([(c, _ARROW[_type(c)]) for c in COLUMNS])
    table = pa.Table.from_pydict(columns, schema=schema)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return bytes(sink.getvalue().to_pybytes())


def from_csv(data: bytes) -> list[Row]:
    """Read rows written by :func:`to_csv`."""
    reader = csv.DictReader(io.StringIO(data.decode()))
    rows = []
    for record in reader:
        values: dict[str, Any] = {}
        for column in COLUMNS:
            text = record.get(column, "")
            kind = _type(column)
            if kind == "string":
                values[column] = text
            elif text == "":
                values[column] = None
            else:
                values[column] = int(text) if kind == "integer" else float(text)
        rows.append(Row(**values))
    return rows


def _cell(value: object) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)
