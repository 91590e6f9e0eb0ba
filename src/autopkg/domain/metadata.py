"""What a processor version says about its dataset: titles, summary, citation, licence."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from autopkg.domain.reference import Reference
from autopkg.domain.slugs import SLUG_PATTERN


class License(BaseModel):
    """A data licence as Frictionless describes it."""

    model_config = ConfigDict(frozen=True)

    name: str
    path: str
    title: str


class Metadata(BaseModel):
    """Descriptive metadata of one processor version (the API's ProcessorVersionMetadata)."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=SLUG_PATTERN, description="Processor (dataset) name.")
    version: str = Field(pattern=SLUG_PATTERN, description="Version of the processor.")
    description: str
    status: str = "available"
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
