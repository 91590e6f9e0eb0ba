"""What a vector clip found in its source's attributes, beside what was expected of them.

The value types only: :mod:`autopkg.clip.attributes` compares and counts, and the
report travels on an :class:`~autopkg.domain.outputs.OutputFile` into provenance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

#: The kinds attribute types are compared as.
Kind = Literal["integer", "real", "string", "boolean"]


@dataclass(frozen=True)
class AttributeReport:
    """How a clip's attributes differed from what its processor expected.

    ``differences`` name each column missing, extra or of another kind than expected;
    ``coerced`` counts, per column, the values written that do not fit the expected
    kind (the column was written as text to keep them); ``empty_as_null`` counts ``""``
    values written as null; ``not_written`` counts rows that could not be written, by
    reason; ``renamed`` maps a column renamed on the way (a name another column already
    has up to case, which a GeoPackage cannot hold twice) to its new name.
    """

    differences: tuple[str, ...] = ()
    coerced: Mapping[str, int] = field(default_factory=dict)
    empty_as_null: Mapping[str, int] = field(default_factory=dict)
    not_written: Mapping[str, int] = field(default_factory=dict)
    renamed: Mapping[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        """Whether there is anything to report."""
        return bool(
            self.differences
            or any(self.coerced.values())
            or any(self.empty_as_null.values())
            or any(self.not_written.values())
            or self.renamed
        )

    def record(self) -> dict[str, Any]:
        """The report as JSON for provenance (counts of zero left out)."""
        return {
            "differences": list(self.differences),
            "coerced": {k: v for k, v in self.coerced.items() if v},
            "empty_as_null": {k: v for k, v in self.empty_as_null.items() if v},
            "not_written": {k: v for k, v in self.not_written.items() if v},
            "renamed": dict(self.renamed),
        }

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> AttributeReport:
        """Read back what :meth:`record` wrote."""
        return cls(
            differences=tuple(record.get("differences", ())),
            coerced=dict(record.get("coerced", {})),
            empty_as_null=dict(record.get("empty_as_null", {})),
            not_written=dict(record.get("not_written", {})),
            renamed=dict(record.get("renamed", {})),
        )

    def summary(self) -> str:
        """One line for a person: what differed, what was coerced, what was not written."""
        parts = list(self.differences)
        coerced = {k: v for k, v in self.coerced.items() if v}
        if coerced:
            counts = ", ".join(f"{k} {v}" for k, v in coerced.items())
            parts.append(f"{sum(coerced.values())} value(s) written as text ({counts})")
        empty = sum(self.empty_as_null.values())
        if empty:
            parts.append(f'{empty} empty value(s) ("") written as null')
        for reason, rows in self.not_written.items():
            if rows:
                parts.append(f"{rows} row(s) not written: {reason}")
        parts += [f"column {old} renamed {new}" for old, new in self.renamed.items()]
        return "; ".join(parts)
