"""What a source raster is: its grid, pixel type, NoData and bands, and what a run read.

A processor states its belief about a publisher's raster as a :class:`SourceFacts`
prior; a run reads the file's own facts (:mod:`autopkg.processors.sourcefacts`) and
records them (:class:`SourceRead`), or the reason a file could not be used
(:class:`FailedFile`), for provenance and the job's result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from affine import Affine


@dataclass(frozen=True)
class SourceFacts:
    """A raster's CRS (a code or WKT), grid, pixel type, band count and NoData value."""

    crs: str
    transform: Affine
    width: int
    height: int
    dtype: str
    count: int = 1
    nodata: float | None = None

    def record(self) -> dict[str, Any]:
        """The facts as a JSON object (NaN NoData written ``"nan"``, as JSON has no NaN)."""
        return {
            "crs": self.crs,
            "transform": list(self.transform)[:6],
            "width": self.width,
            "height": self.height,
            "dtype": self.dtype,
            "count": self.count,
            "nodata": _json_number(self.nodata),
        }

    @classmethod
    def from_record(cls, value: dict[str, Any]) -> SourceFacts:
        """The facts :meth:`record` wrote.

        Raises:
            KeyError, TypeError, ValueError: the object is not such a record.
        """
        nodata = value["nodata"]
        return cls(
            crs=str(value["crs"]),
            transform=Affine(*(float(v) for v in value["transform"])),
            width=int(value["width"]),
            height=int(value["height"]),
            dtype=str(value["dtype"]),
            count=int(value["count"]),
            nodata=None if nodata is None else float(nodata),
        )


@dataclass(frozen=True)
class SourceRead:
    """The facts read from one source raster of a run, and how they differ from the prior."""

    name: str
    facts: SourceFacts
    differs: tuple[str, ...] = ()

    def record(self) -> dict[str, Any]:
        """The provenance record: the file's name, its facts and the differences."""
        return {"file": self.name, **self.facts.record(), "differs_from_prior": list(self.differs)}


@dataclass(frozen=True)
class FailedFile:
    """A source file of a run that could not be made into an output, and why."""

    name: str
    reason: str

    def record(self) -> dict[str, str]:
        """The file and its reason, as ``job_result`` and provenance list them."""
        return {"file": self.name, "reason": self.reason}


def north_up(west: float, north: float, pixel: float) -> Affine:
    """The transform of a grid of square ``pixel`` cells from its top-left corner."""
    return Affine(pixel, 0.0, west, 0.0, -pixel, north)


def _json_number(value: float | None) -> float | str | None:
    if value is None or math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
