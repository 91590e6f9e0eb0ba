"""The benchmark's boundaries, all from the built-in Natural Earth countries, as GeoJSON files.

GDAL's tools take the same files (``-cutline``, ``-clipsrc``) as ``autopkg clip
--boundary``, so every tool clips to exactly the same polygons.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import as_file, files
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from shapely.geometry import MultiPolygon

from autopkg.boundaries.builtin import get_builtin
from autopkg.clip import repair
from benchmarks.inputs import CACHE, cached

#: Mainland Africa and its near islands (Madagascar, Zanzibar, Bioko); far islands such
#: as Cabo Verde or the Prince Edward Islands would stretch the window by half.
_AFRICA_BOX = (-18.0, -35.0, 52.0, 38.0)


@dataclass(frozen=True)
class BenchBoundary:
    """A named boundary, what it stands for, and its GeoJSON file."""

    name: str
    role: str
    geometry: MultiPolygon

    @property
    def path(self) -> Path:
        return cached(CACHE / "boundaries" / f"{self.name}.geojson", self._write)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        west, south, east, north = self.geometry.bounds
        return west, south, east, north

    def _write(self, target: Path) -> None:
        pyogrio.raw.write(
            target,
            shapely.to_wkb(np.array([self.geometry])),
            [np.array([self.name], dtype=object)],
            ["name"],
            driver="GeoJSON",
            geometry_type="MultiPolygon",
            crs="EPSG:4326",
        )


def africa() -> MultiPolygon:
    """Union of the built-in countries whose continent is Africa, cut to the mainland box."""
    with as_file(files("autopkg.boundaries") / "data/ne_50m_admin_0_countries.zip") as zipped:
        meta, _, wkb, values = pyogrio.raw.read(f"/vsizip/{zipped}", columns=["CONTINENT"])
    continent = values[list(meta["fields"]).index("CONTINENT")]
    countries = shapely.from_wkb(wkb[continent == "Africa"])
    return repair(shapely.clip_by_rect(shapely.union_all(countries), *_AFRICA_BOX))


def boundaries() -> list[BenchBoundary]:
    """Kenya (small), Africa (continent), Indonesia (many parts), Fiji (antimeridian)."""
    return [
        BenchBoundary("kenya", "small country", get_builtin("ken").geometry),
        BenchBoundary("africa", "continent", africa()),
        BenchBoundary("indonesia", "many parts", get_builtin("idn").geometry),
        BenchBoundary("fiji", "antimeridian", get_builtin("fji").geometry),
    ]
