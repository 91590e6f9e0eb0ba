"""Natural Earth 1:10m roads: the road lines inside the boundary, clipped, as a GeoPackage."""

from __future__ import annotations

from typing import Any, ClassVar

from autopkg.domain.attributes import Kind
from autopkg.domain.licences import NATURAL_EARTH
from autopkg.domain.metadata import Metadata
from autopkg.domain.publishers import natural_earth, natural_earth_citation
from autopkg.domain.sources import Source
from autopkg.processors.vectors import require_lines
from autopkg.processors.zipped import ZippedLayer

# naturalearthdata.com's download links redirect to this CDN, which serves the files.
_SOURCE = Source(
    url="https://naciscdn.org/naturalearth/10m/cultural/ne_10m_roads.zip",
    filename="ne_10m_roads.zip",
)
_REFERENCE = natural_earth(
    "https://www.naturalearthdata.com/downloads/10m-cultural-vectors/roads/",
    year=2017,
    version="4.0.0",
)
# The Shapefile sits at the root of the zip (with .shx, .dbf, .prj and sidecars).
_MEMBER = "ne_10m_roads.shp"
# The fields of release 4.1 and their kinds, in order. Natural Earth has added fields
# between releases (min_zoom, min_label) and field types may differ, so these are
# priors: every field of the release served is kept with its own type, and what
# differs is logged and recorded in provenance. Only the geometry is required.
FIELDS: dict[str, Kind] = {
    "scalerank": "integer", "featurecla": "string", "type": "string", "sov_a3": "string",
    "note": "string", "edited": "string", "name": "string", "namealt": "string",
    "namealtt": "string", "routeraw": "string", "question": "integer",
    "length_km": "integer", "toll": "integer", "ne_part": "string", "label": "string",
    "label2": "string", "local": "string", "localtype": "string", "localalt": "string",
    "labelrank": "integer", "ignore": "integer", "add": "integer", "rwdb_rd_id": "integer",
    "orig_fid": "integer", "prefix": "string", "uident": "integer", "continent": "string",
    "expressway": "integer", "level": "string", "min_zoom": "real", "min_label": "real",
}  # fmt: skip


class NaturalEarthVectorProcessor(ZippedLayer):
    """Clip the Natural Earth 10m roads to the boundary."""

    metadata = Metadata(
        name="natural_earth_vector",
        version="version_1",
        data_group="basemap",
        description=(
            "Natural Earth 1:10m roads, clipped to the boundary as lines in a GeoPackage "
            "with every attribute of the source."
        ),
        data_author="Natural Earth Data",
        data_title="Natural Earth roads (1:10m)",
        data_title_long="Natural Earth 1:10m cultural vectors: roads",
        data_summary=(
            "The **roads** layer of Natural Earth's 1:10m cultural vectors: major highways, "
            "secondary roads and ferry routes of the world, drawn for maps at 1:10 million "
            "and smaller, with each road's type, name, route number, length, toll and "
            "expressway flags, continent and the zoom levels at which it is shown.\n\n"
            "Lines are cut to the boundary (a road crossing the border keeps only its part "
            "inside, as a MultiLineString); every attribute of the published Shapefile is "
            "kept. Coordinates are longitude and latitude in **EPSG:4326**.\n\n"
            "Natural Earth is a public domain map dataset made by volunteer cartographers, "
            "supported by the North American Cartographic Information Society (NACIS)."
        ),
        data_citation=natural_earth_citation(
            _REFERENCE, "Natural Earth 1:10m cultural vectors, roads"
        ),
        data_license=NATURAL_EARTH,
        data_formats=("GeoPackage",),
        data_reference=_REFERENCE,
    )
    sources: ClassVar[tuple[Source, ...]] = (_SOURCE,)
    member = _MEMBER
    title = "Natural Earth 10m roads, clipped"
    columns = FIELDS
    # Size estimates: the layer's 56,601 roads (release 4.1) spread over land by area,
    # about 1,000 bytes each clipped (a few dozen vertices and 31 attributes). See
    # autopkg.processors.sizing for the method and its error.
    features = 56_601
    bytes_per_feature = 1000

    def check(self, info: dict[str, Any]) -> None:
        """Refuse a layer that does not hold lines."""
        require_lines(info, filename=_SOURCE.filename, member=_MEMBER)
