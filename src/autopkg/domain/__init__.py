"""The domain's values, at the ground floor: what every layer above speaks in.

Plain value types (the boundary, a processor's metadata and licence, its sources, the
facts of a source raster, the files a run makes, options, estimates, citations) with no
behaviour beyond reading and writing themselves. These modules import nothing from
autopkg but each other, so the processor kit, the database and packaging all stand on
them and none stands on another to reach them.
"""
