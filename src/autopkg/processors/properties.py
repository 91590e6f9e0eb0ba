"""Free-form feature properties (JSON objects) as typed columns, decided by their values.

A table of JSON properties promises no types: the GRI OSM loaders write ``""`` for a
missing value and ids as prefixed strings (``"way_123"``) where a number was expected.
So the rows are seen once (:meth:`PropertyColumns.observe`) before any is written, and
each column's type follows from every value it will hold: ``""`` is null; a column
keeps its expected kind when every value fits it, else it is text, which keeps every
value; a key nobody expected becomes a text column of its own.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from autopkg.clip.attributes import ARROW_TYPES, distinct_names
from autopkg.domain.attributes import AttributeReport, Kind

#: Properties of one row, as read.
Properties = Mapping[str, Any]


class PropertyColumns:
    """The columns of rows of JSON properties; ``expected`` gives names, kinds and order."""

    def __init__(self, expected: Mapping[str, Kind], *, taken: Sequence[str] = ()) -> None:
        """Prepare for rows; ``taken`` are other column names (the geometry's)."""
        self._expected = expected
        self._taken = taken
        self._extra: set[str] = set()
        self._unfit: Counter[str] = Counter()
        self._empty: Counter[str] = Counter()

    def observe(self, rows: Sequence[Properties]) -> None:
        """Count what ``rows`` hold: every row to be written must be seen once, first."""
        for properties in rows:
            for key, value in properties.items():
                if value == "":
                    self._empty[key] += 1
                elif key not in self._expected:
                    self._extra.add(key)
                elif value is not None and not _fits(value, self._expected[key]):
                    self._unfit[key] += 1

    def _kinds(self) -> dict[str, Kind]:
        """Each column's kind: the expected ones in order, then the extra ones by name."""
        kinds: dict[str, Kind] = {
            key: "string" if self._unfit[key] else kind for key, kind in self._expected.items()
        }
        kinds.update((key, "string") for key in sorted(self._extra))
        return kinds

    def fields(self) -> list[pa.Field]:
        """The columns to write, under names a GeoPackage can hold side by side."""
        kinds = self._kinds()
        renamed = distinct_names(kinds, taken=self._taken)
        return [pa.field(renamed.get(key, key), ARROW_TYPES[kind]) for key, kind in kinds.items()]

    def columns(self, rows: Sequence[Properties]) -> list[pa.Array]:
        """The values of ``rows`` (seen before) as arrays in :meth:`fields`' order."""
        return [
            pa.array([_value(row.get(key), kind) for row in rows], type=ARROW_TYPES[kind])
            for key, kind in self._kinds().items()
        ]

    def report(self) -> AttributeReport:
        """What differed from the expected, and what was counted."""
        kinds = self._kinds()
        retyped = [
            f"column {key} is string, expected {kind}"
            for key, kind in self._expected.items()
            if kinds[key] != kind
        ]
        extra = [f"extra column {key} (string)" for key in sorted(self._extra)]
        return AttributeReport(
            differences=tuple(retyped + extra),
            coerced=dict(self._unfit),
            empty_as_null=dict(self._empty),
            renamed=distinct_names(kinds, taken=self._taken),
        )


def _fits(value: Any, kind: Kind) -> bool:
    """Whether a JSON value is one of ``kind`` (a whole float is an integer)."""
    if isinstance(value, bool):
        return kind == "boolean"
    if kind == "real":
        return isinstance(value, int | float)
    if kind == "integer":
        return isinstance(value, int) or (
            isinstance(value, float) and value.is_integer() and abs(value) < 2**63
        )
    return kind == "string" and isinstance(value, str)


def _value(value: Any, kind: Kind) -> Any:
    """``value`` as the column of ``kind`` holds it: text for other types, JSON text."""
    if value is None or value == "":
        return None
    if kind == "string":
        return value if isinstance(value, str) else json.dumps(value)
    if kind == "integer":
        return int(value)
    return value
