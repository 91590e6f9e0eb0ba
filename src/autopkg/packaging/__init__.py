"""Packaging: the Data Package v2 manifest, its client view, pages, provenance, publish."""
