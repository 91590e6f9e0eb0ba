"""The files a run makes, as the job engine stages, hashes and publishes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from autopkg.domain.attributes import AttributeReport

#: Media types of the outputs the clip engine writes.
COG_MEDIATYPE = "image/tiff; application=geotiff; profile=cloud-optimized"
GPKG_MEDIATYPE = "application/geopackage+sqlite3"


@dataclass(frozen=True)
class OutputFile:
    """One file a processor produced, ready to be published.

    ``path`` is a local file under the run's scratch folder whose name already follows
    ``<processor>-<version>[-<sub>]-<boundary>.<ext>``. ``empty`` says that nothing of
    the source lies inside the boundary: the file is valid but holds no data.
    ``attributes`` says how a vector source's attributes differed from what the
    processor expected (recorded in provenance).
    """

    path: Path
    format: str
    mediatype: str
    title: str = ""
    empty: bool = False
    attributes: AttributeReport = field(default_factory=AttributeReport)
