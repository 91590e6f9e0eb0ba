"""Test fixture processor: a synthetic raster clipped to the boundary."""
