"""What a vector clip found in its source's attributes, beside what was expected of them.

Publishers' files drift from what a processor was written for: a release adds or drops
a field, a loader writes ``""`` for a missing value, a number column holds one value
with a thousands separator. None of that loses data or fails a run: the file's own
types are written, a column holding a value that does not fit the expected type is
written as text, and what differed is counted here, for provenance and one log line.

Types are compared as kinds (``integer``, ``real``, ``string``, ``boolean``); an
integer column where a real one was expected fits (every integer is a real).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from shapely.geometry import MultiPolygon

from autopkg.clip.shapes import GeometryKind, unwritable
from autopkg.domain.attributes import AttributeReport, Kind

log = logging.getLogger(__name__)

#: The Arrow type each kind is written as.
ARROW_TYPES: dict[Kind, pa.DataType] = {
    "integer": pa.int64(),
    "real": pa.float64(),
    "string": pa.string(),
    "boolean": pa.bool_(),
}

# How a text value must look to fit a number column (GDAL's CSV type detection reads
# the same forms); a thousands separator or a word does not fit.
_PATTERNS: dict[Kind, str] = {
    "integer": r"^\s*[-+]?\d+\s*$",
    "real": r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$",
    "boolean": r"^\s*(?i:true|false|yes|no|[01])\s*$",
}


def warn_if_any(processor_id: str, source: str, report: AttributeReport) -> None:
    """Log one WARNING line naming the processor and source when ``report`` has news."""
    if report:
        log.warning("%s: the attributes of %s differ from the expected: %s",
                    processor_id, source, report.summary())  # fmt: skip


def kind_of(arrow_type: pa.DataType) -> str:
    """The kind of an Arrow column type (its own name for dates, binaries and the like)."""
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_floating(arrow_type):
        return "real"
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "string"
    return str(arrow_type)


def fits(read: str, expected: Kind) -> bool:
    """Whether a column read as kind ``read`` holds what a column of ``expected`` holds."""
    return read == expected or (read, expected) == ("integer", "real")


def differences(read: Mapping[str, str], expected: Mapping[str, Kind]) -> tuple[str, ...]:
    """Name every expected column missing, every extra column and every other kind."""
    missing = [f"column {name} is missing" for name in expected if name not in read]
    other = [
        f"column {name} is {kind}, expected {expected[name]}"
        for name, kind in read.items()
        if name in expected and not fits(kind, expected[name])
    ]
    extra = [f"extra column {name} ({kind})" for name, kind in read.items() if name not in expected]
    return tuple(missing + other + extra)


def count_unfit(values: pa.Array, expected: Kind) -> int:
    """How many text ``values`` (nulls aside) do not read as a value of ``expected``."""
    pattern = _PATTERNS.get(expected)
    if pattern is None:
        return 0
    matched = pc.match_substring_regex(values, pattern)
    return int(pc.sum(pc.invert(matched)).as_py() or 0)


def distinct_names(names: Iterable[str], taken: Iterable[str] = ()) -> dict[str, str]:
    """Rename each name equal, ignoring case, to an earlier one (or to one of ``taken``).

    The later name gets the first free suffix ``_2``, ``_3``… so the result is the same
    for the same columns in the same order. Returns ``{old: new}`` for the renamed only.
    """
    seen = {name.casefold() for name in taken}
    renamed: dict[str, str] = {}
    for name in names:
        new, number = name, 1
        while new.casefold() in seen:
            number += 1
            new = f"{name}_{number}"
        seen.add(new.casefold())
        if new != name:
            renamed[name] = new
    return renamed


class AttributeTally:
    """Counts, while a layer is clipped, what its attributes held beside the ``expected``."""

    def __init__(self, expected: Mapping[str, Kind]) -> None:
        self._expected = expected
        self._differences: tuple[str, ...] = ()
        self._checked: dict[int, Kind] = {}
        self._coerced: dict[str, int] = {}
        self._not_written: Counter[str] = Counter()
        self.renamed: dict[str, str] = {}

    def read(self, schema: pa.Schema, geometry: int) -> None:
        """Compare the layer's columns (all but ``geometry``) with the expected ones.

        Text columns expected to hold another kind get their values checked as written.
        """
        if not self._expected:
            return
        kinds = {f.name: kind_of(f.type) for i, f in enumerate(schema) if i != geometry}
        self._differences = differences(kinds, self._expected)
        self._checked = {
            schema.get_field_index(name): self._expected[name]
            for name, kind in kinds.items()
            if kind == "string" and self._expected.get(name, "string") != "string"
        }

    def unwritable(self, geoms: Any, boundary: MultiPolygon, kind: GeometryKind) -> None:
        """Count the rows of a batch that cannot be written (see :func:`unwritable`)."""
        self._not_written.update(unwritable(geoms, boundary, kind))

    def written(self, batch: pa.RecordBatch) -> None:
        """Count the values of ``batch`` that do not fit their column's expected kind."""
        for index, expected in self._checked.items():
            name = batch.schema.field(index).name
            name = self.renamed.get(name, name)
            unfit = count_unfit(batch.column(index), expected)
            self._coerced[name] = self._coerced.get(name, 0) + unfit

    def report(self) -> AttributeReport:
        """What was counted."""
        return AttributeReport(
            differences=self._differences,
            coerced={name: count for name, count in self._coerced.items() if count},
            not_written={reason: rows for reason, rows in self._not_written.items() if rows},
            renamed=self.renamed,
        )
