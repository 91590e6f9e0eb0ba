"""Natural Earth II with Shaded Relief, 1:50m: the global raster clipped to a COG."""

from __future__ import annotations

from typing import ClassVar

from autopkg.domain.facts import SourceFacts, north_up
from autopkg.domain.licences import NATURAL_EARTH
from autopkg.domain.metadata import Metadata
from autopkg.domain.publishers import natural_earth, natural_earth_citation
from autopkg.domain.sources import Source
from autopkg.processors.zipped import ZippedRaster

_SOURCE = Source(
    url="https://naciscdn.org/naturalearth/50m/raster/NE2_50M_SR.zip",
    filename="NE2_50M_SR.zip",
)
_REFERENCE = natural_earth(
    "https://www.naturalearthdata.com/downloads/50m-raster-data/50m-natural-earth-2/", year=2009
)


class NaturalEarthRasterProcessor(ZippedRaster):
    """Clip Natural Earth II with Shaded Relief (50m) to the boundary."""

    metadata = Metadata(
        name="natural_earth_raster",
        version="version_1",
        data_group="basemap",
        description=(
            "Natural Earth II with Shaded Relief at 1:50m, clipped to the boundary "
            "as a Cloud Optimized GeoTIFF."
        ),
        data_title="Natural Earth II with Shaded Relief",
        data_title_long="Natural Earth II with Shaded Relief, 1:50m scale (50m raster)",
        data_summary=(
            "Natural Earth II is a raster map of the world in soft, muted colours that "
            "depict idealised natural environments: land cover and climate zones blended "
            "with **shaded relief**, water bodies and ocean bottom. This is the 1:50m "
            "version (about 3.7 km per pixel at the equator): a 3-band RGB image, "
            "EPSG:4326, clipped to the boundary.\n\n"
            "Natural Earth is a public domain map dataset made by volunteer cartographers, "
            "supported by the North American Cartographic Information Society (NACIS)."
        ),
        data_citation=natural_earth_citation(
            _REFERENCE, "Natural Earth II with Shaded Relief, 1:50m"
        ),
        data_license=NATURAL_EARTH,
        data_reference=_REFERENCE,
    )
    sources: ClassVar[tuple[Source, ...]] = (_SOURCE,)
    # The zip holds the GeoTIFF in a folder; GDAL reads it in place.
    member = "NE2_50M_SR/NE2_50M_SR.tif"
    # The prior for estimates: 10800 x 5400 pixels of 1/30° from (-180, 90), three Byte
    # bands (RGB) without NoData; a run clips whatever grid the file has. Blended
    # colours and relief deflate to about 40 % of their raw bytes.
    prior = SourceFacts("EPSG:4326", north_up(-180, 90, 1 / 30), 10800, 5400, "uint8", 3)
    ratio = 0.4
    title = "Natural Earth II with Shaded Relief (50m), clipped"
    # One COG whatever the boundary: a global geographic grid wraps at ±180° anyway.
    split = False
