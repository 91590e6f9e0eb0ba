"""autopkg: clip global geospatial datasets to a boundary and publish data packages."""

__version__ = "0.1.0"
