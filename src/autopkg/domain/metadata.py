"""What a processor version says about its dataset: titles, summary, citation, licence."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from autopkg.domain.reference import Reference
from autopkg.domain.slugs import SLUG_PATTERN


class License(BaseModel):
    """A data licence as Frictionless describes it."""

    model_config = ConfigDict(frozen=True)

    name: str
    path: str
    title: str


#: What a dataset is to someone choosing datasets: the web page groups them by it.
DataGroup = Literal["exposure", "hazards", "infrastructure", "basemap", "other"]


class Metadata(BaseModel):
    """Descriptive metadata of one processor version (the API's ProcessorVersionMetadata)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=SLUG_PATTERN, description="Processor (dataset) name.")
    version: str = Field(pattern=SLUG_PATTERN, description="Version of the processor.")
    description: str
    status: str = "available"
    data_group: DataGroup = Field(
        "other",
        description="exposure (people, buildings), hazards, infrastructure, basemap or other.",
    )
    data_author: str
    data_title: str
    data_title_long: str
    data_summary: str
    data_citation: str
    data_license: License
    data_origin_url: str
    data_formats: tuple[str, ...]
    #: The citation's fields for reference managers (authors, year, the dataset's
    #: version, DOI, URL). Optional so that processors written before it still load;
    #: without it the citation files credit ``data_author`` as one organisation.
    data_reference: Reference | None = None

    @property
    def id(self) -> str:
        """Full processor id, ``<name>.<version>``."""
        return f"{self.name}.{self.version}"
