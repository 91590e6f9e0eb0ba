"""Clipping benchmarks: autopkg against GDAL's own tools and the physical floor (`make bench`)."""
