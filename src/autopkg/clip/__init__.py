"""The clipping engine: plain functions that cut rasters and vector layers to a boundary.

No database, web or job code here: processors, the ``autopkg clip`` command and the
benchmarks call these functions with paths and a shapely geometry in EPSG:4326.

The names below are loaded from their modules when first used, so a raster clip does
not pay for the vector writers' imports (pyarrow) and the other way round.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autopkg.clip.geometry import repair
    from autopkg.clip.raster import RasterClip, clip_raster, raster_sides
    from autopkg.clip.vector import VectorClip, clip_vector

_MODULES = {
    "repair": "autopkg.clip.geometry",
    "RasterClip": "autopkg.clip.raster",
    "clip_raster": "autopkg.clip.raster",
    "raster_sides": "autopkg.clip.raster",
    "VectorClip": "autopkg.clip.vector",
    "clip_vector": "autopkg.clip.vector",
}

__all__ = ["RasterClip", "VectorClip", "clip_raster", "clip_vector", "raster_sides", "repair"]


def __getattr__(name: str) -> object:
    """Import the module that defines ``name`` when it is first asked for."""
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_MODULES[name]), name)
