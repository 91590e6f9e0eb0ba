"""Natural Earth rasters."""
