"""What a processor version says about its dataset: titles, summary, citation, licence."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

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
    """Descriptive metadata of one processor version (the API's ProcessorVersionMetadata).

    What the reference says is not said again: when not given, ``data_author`` is the
    reference's authors as a citation names them and ``data_origin_url`` its URL.
    """

    model_config = ConfigDict(frozen=True)

    name: str = Field(pattern=SLUG_PATTERN, description="Processor (dataset) name.")
    version: str = Field(pattern=SLUG_PATTERN, description="Version of the processor.")
    description: str
    status: str = "available"
    data_group: DataGroup = Field(
        "other",
        description="exposure (people, buildings), hazards, infrastructure, basemap or other.",
    )
    data_author: str = Field("", min_length=1, validate_default=True)
    data_title: str
    data_title_long: str
    data_summary: str
    data_citation: str
    data_license: License
    data_origin_url: str = Field("", min_length=1, validate_default=True)
    #: Most datasets are rasters, published as GeoTIFFs.
    data_formats: tuple[str, ...] = ("GeoTIFF",)
    #: The citation's fields for reference managers (authors, year, the dataset's
    #: version, DOI, URL). Optional so that processors written before it still load;
    #: without it the citation files credit ``data_author`` as one organisation.
    data_reference: Reference | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_reference(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("data_reference") is None:
            return data
        try:
            reference = Reference.model_validate(data["data_reference"])
        except ValidationError:
            # Reported by the field's own validation, where it belongs.
            return data
        return {
            "data_author": reference.credit,
            "data_origin_url": reference.url,
            **data,
        }

    @property
    def id(self) -> str:
        """Full processor id, ``<name>.<version>``."""
        return f"{self.name}.{self.version}"
