"""What a processor expects to produce for a boundary, known before any work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def _add(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else a + b


@dataclass(frozen=True)
class Estimate:
    """An output size estimate: bytes and files, with pixels (rasters) or features (vectors).

    ``pixels`` counts the cells of every output raster's window (inside the boundary or
    not); ``features`` the vector features expected inside the boundary. Either is
    ``None`` when the processor writes no output of that kind.
    """

    bytes: int
    files: int
    pixels: int | None = None
    features: int | None = None

    def __add__(self, other: Estimate) -> Estimate:
        """The estimate of both outputs together."""
        return Estimate(
            bytes=self.bytes + other.bytes,
            files=self.files + other.files,
            pixels=_add(self.pixels, other.pixels),
            features=_add(self.features, other.features),
        )

    def as_dict(self) -> dict[str, Any]:
        """The estimate as a JSON object (``bytes``, ``pixels``, ``features``, ``files``)."""
        return {
            "bytes": self.bytes,
            "pixels": self.pixels,
            "features": self.features,
            "files": self.files,
        }
