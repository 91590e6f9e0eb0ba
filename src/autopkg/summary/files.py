"""The files a summary reads and the areas it is for."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError
from rasterio.errors import RasterioError
from shapely.geometry import MultiPolygon

from autopkg.summary.exposure import HazardFile
from autopkg.summary.grids import open_raster
from autopkg.summary.roles import Hazard, role_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Area:
    """An area rows are computed for; ``clipped``: the package's files were clipped to it."""

    id: str
    name: str
    admin_level: int | None
    geometry: MultiPolygon
    clipped: bool


@dataclass(frozen=True)
class DataFile:
    """A published data file: its package path, processor id, ``<sub>`` and local copy."""

    path: str
    processor: str
    sub: str
    local: Path

    @property
    def is_raster(self) -> bool:
        """Whether the file is a GeoTIFF."""
        return self.local.suffix.lower() in (".tif", ".tiff")


def readable(file: DataFile) -> bool:
    """Whether GDAL reads the file; one it cannot is left out of the summary (logged)."""
    try:
        if file.is_raster:
            with open_raster(str(file.local)):
                return True
        pyogrio.read_info(file.local)
    except (RasterioError, DataSourceError, DataLayerError, OSError) as exc:
        log.warning("summary: %s is left out: %s", file.path, exc)
        return False
    return True


@contextlib.contextmanager
def open_hazards(
    files: Sequence[DataFile], thresholds: Mapping[str, Sequence[float]]
) -> Iterator[list[HazardFile]]:
    """Open every hazard raster once for an area, closed afterwards."""
    with contextlib.ExitStack() as stack:
        hazards = []
        for file in files:
            role = role_of(file.processor)
            if isinstance(role, Hazard) and file.is_raster:
                chosen = thresholds.get(file.processor, role.thresholds)
                dataset = stack.enter_context(open_raster(str(file.local)))
                hazards.append(
                    HazardFile(file.path, dataset, tuple(sorted(float(t) for t in chosen)))
                )
        yield hazards
