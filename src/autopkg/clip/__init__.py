"""The clipping engine: plain functions that cut rasters and vector layers to a boundary.

No database, web or job code here: processors, the ``autopkg clip`` command and the
benchmarks call these functions with paths and a shapely geometry in EPSG:4326.
"""

from autopkg.clip.geometry import repair
from autopkg.clip.raster import RasterClip, clip_raster, raster_sides
from autopkg.clip.vector import VectorClip, clip_vector

__all__ = ["RasterClip", "VectorClip", "clip_raster", "clip_vector", "raster_sides", "repair"]
