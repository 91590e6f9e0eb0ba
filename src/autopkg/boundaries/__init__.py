"""Boundaries: named polygons, the built-in Natural Earth set and loaders for files."""
