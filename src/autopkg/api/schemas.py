"""Request and response models of API v1 (shapes kept compatible with the ancestor)."""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Annotated, Any, Literal, get_type_hints

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StringConstraints,
    create_model,
    field_validator,
    model_validator,
)

from autopkg.boundaries.geojson import Area
from autopkg.domain.metadata import DataGroup
from autopkg.summary.table import Row

AREA_NAME_MAX_LENGTH = 100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _no_control_characters(text: str) -> str:
    if _CONTROL.search(text):
        raise ValueError("must not contain control characters (tabs, new lines, NUL…)")
    return text


#: A custom area's name, shown on pages and in job lists.
AreaName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=AREA_NAME_MAX_LENGTH),
    AfterValidator(_no_control_characters),
]


class Status(BaseModel):
    """Liveness or readiness answer."""

    status: str


class BoundarySummary(BaseModel):
    """A boundary without its geometry."""

    name: str
    name_long: str


_ADMIN_LEVEL = (
    "The administrative level: `0` for a country, `1` and `2` for the units below it; "
    "null for custom areas, buffered areas and uploaded boundaries, which have none."
)
_PARENT = "The id of the unit holding it (an admin-1 unit's country), if any."
# An integer, never a string: 0 is a country, so clients must not test it for truth.
AdminLevelValue = Annotated[int | None, Field(ge=0, le=2, description=_ADMIN_LEVEL)]


class BoundaryUnit(BoundarySummary):
    """A boundary without its geometry, with its level."""

    admin_level: AdminLevelValue


class BoundaryFound(BoundaryUnit):
    """A boundary a search found: its level and the unit holding it tell apart units
    of the same name (a "Northern" region in several countries)."""

    parent: str | None = Field(description=_PARENT)


class BoundaryDetail(BoundarySummary):
    """A boundary with its GeoJSON geometry and envelope."""

    admin_level: AdminLevelValue
    parent: str | None = Field(description=_PARENT)
    codes: dict[str, str] = Field(
        description="Its codes where known: `iso3166_2`, `geoboundaries_shape_id`, "
        "`geoboundaries_boundary_id` (units); `iso3166_1_alpha3`, `iso3166_1_alpha2` "
        "(countries)."
    )
    edition: dict[str, str] = Field(
        description="Where its geometry came from: `source` (`geoBoundaries gbOpen` or "
        "`Natural Earth`), the release (`boundary_id`, `build_date`, `version`), "
        "`license`, `url` and the file's `sha256`; empty for drawn and uploaded areas."
    )
    geometry: dict[str, Any] = Field(description="GeoJSON MultiPolygon, EPSG:4326.")
    envelope: dict[str, Any] = Field(description="GeoJSON Polygon of the bounding box.")


class RejectedRow(BaseModel):
    """A feature of an upload that was not loaded, and why."""

    row: int = Field(description="1-based position of the feature in the collection.")
    reason: str


class BoundaryUploadReport(BaseModel):
    """What a boundary upload loaded and rejected."""

    loaded: list[BoundarySummary]
    rejected: list[RejectedRow]


class LicensePublic(BaseModel):
    """A data licence."""

    name: str
    path: str
    title: str


class ProcessorVersionMetadata(BaseModel):
    """Metadata of one processor version."""

    name: str = Field(description="Full processor id, <name>.<version>.")
    description: str
    version: str
    status: str
    uri: str
    data_group: DataGroup = Field(
        description="exposure (people, buildings), hazards, infrastructure, basemap or "
        "other: how the web page groups the datasets."
    )
    data_author: str
    data_title: str
    data_title_long: str
    data_summary: str
    data_citation: str
    data_license: LicensePublic
    data_origin_url: str
    data_formats: list[str]
    options_schema: dict[str, Any] = Field(
        default_factory=dict,
        description="JSON Schema of the options a job may give this processor under "
        "options.<name> (every field optional; an object without properties: none).",
    )


class ProcessorPublic(BaseModel):
    """A processor (dataset) and its versions."""

    name: str
    versions: list[ProcessorVersionMetadata]


class PackageSummary(BaseModel):
    """A published package."""

    boundary_name: str
    uri: str


class FilePreviewPublic(BaseModel):
    """A data file's preview picture and how its colours map to values."""

    url: str = Field(description="Absolute URL of the PNG, at most 512 pixels a side.")
    bytes: int
    legend: dict[str, Any] = Field(
        description="How colours map to values. One band: {type: 'linear', band, min, max, "
        "colours (low to high), stretch (the percentiles mapped to min and max)}, min and "
        "max null when no cell is valid; a colour image: {type: 'rgb', bands}; a vector "
        "layer: {type: 'features', features (colour), boundary (colour)}. NoData is "
        "transparent.",
        examples=[
            {
                "type": "linear",
                "band": 1,
                "min": 0.0,
                "max": 412.5,
                "colours": ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"],
                "stretch": [2.0, 98.0],
            }
        ],
    )
    bounds: list[float] | None = Field(
        None,
        description="Where the picture lies: [west, south, east, north] in WGS84 degrees, "
        "east beyond 180 across the antimeridian (a picture in another CRS is placed "
        "approximately); null when not known.",
        examples=[[-3.26, 4.74, 1.19, 11.17]],
    )


class PackageFilePublic(BaseModel):
    """One data file of a package."""

    processor: str = Field(description="Processor id (<name>.<version>) that made the file.")
    name: str = Field(description="File name.")
    url: str = Field(description="Absolute download URL.")
    bytes: int
    hash: str = Field(description="sha256:<hex>")
    format: str
    preview: FilePreviewPublic | None = Field(
        None, description="A quicklook of the file, when the package has one."
    )
    empty: bool = Field(
        False,
        description="Nothing of the dataset lies inside the area: a valid file without data "
        "(datapackage.json's autopkg:empty).",
    )


class PackagePublic(PackageSummary):
    """A published package with its boundary, processors and client-view datapackage."""

    boundary: BoundaryDetail
    processors: list[ProcessorVersionMetadata]
    datapackage: dict[str, Any]
    files: list[PackageFilePublic] = Field(
        default_factory=list, description="Every data file, one entry per file."
    )


# What one processor's options may hold, checked with the body before any processor
# reads them: a processor's options model reports every bad field and value it meets,
# so 200,000 unknown fields had cost ~250 MB per request. Every options field of every
# processor is a list of a few values (or one value); these bounds leave room to spare.
MAX_OPTION_FIELDS = 20
MAX_OPTION_VALUES = 100
# Options name processors of the job, which has at most AUTOPKG_MAX_PROCESSORS_PER_JOB
# (at most 10,000, however it is set).
MAX_OPTION_PROCESSORS = 10_000
OptionScalar = str | int | float | bool | None
OptionValue = Annotated[list[OptionScalar], Field(max_length=MAX_OPTION_VALUES)] | OptionScalar
ProcessorOptionsBody = Annotated[dict[str, OptionValue], Field(max_length=MAX_OPTION_FIELDS)]


# Summary thresholds: a few hazards, a few thresholds each (the defaults have 2 or 3).
MAX_SUMMARY_HAZARDS = 20
MAX_THRESHOLDS = 20


def _finite_sorted(values: list[StrictInt | StrictFloat]) -> list[float]:
    numbers = []
    for value in values:
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ValueError("thresholds must be finite numbers")
        numbers.append(number)
    return sorted(set(numbers))


Thresholds = Annotated[
    list[StrictInt | StrictFloat],
    Field(min_length=1, max_length=MAX_THRESHOLDS),
    AfterValidator(_finite_sorted),
]


class SummaryOptions(BaseModel):
    """What a job asks of the package's summary."""

    model_config = ConfigDict(extra="forbid")

    thresholds: dict[str, Thresholds] = Field(
        max_length=MAX_SUMMARY_HAZARDS,
        description="Thresholds per hazard processor id (values above a threshold count "
        f"as reached; 1 to {MAX_THRESHOLDS} finite numbers each, sorted), over the "
        "thresholds the package's summary records (else the defaults).",
        examples=[{"wri_aqueduct.version_2": [0, 1]}],
    )

    @field_validator("thresholds")
    @classmethod
    def _ids_case_free(cls, value: dict[str, list[float]]) -> dict[str, list[float]]:
        return {pid.lower(): numbers for pid, numbers in value.items()}


class JobCreate(BaseModel):
    """A request to package processors for a named boundary or a custom area."""

    # The rules of _one_boundary, stated in the schema too.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["boundary_name"],
                    "properties": {
                        "boundary_name": {"type": "string"},
                        "boundary": {"type": "null"},
                        "area_name": {"type": "null"},
                    },
                },
                {
                    "required": ["boundary"],
                    "properties": {
                        "boundary_name": {"type": "null"},
                        "boundary": {"type": "object"},
                    },
                },
            ]
        },
    )

    boundary_name: str | None = Field(None, max_length=200, examples=["gha"])
    boundary: Area | None = Field(
        None,
        description="A custom area instead of boundary_name: GeoJSON Polygon, "
        "MultiPolygon, Feature or FeatureCollection in WGS84, within the size limits.",
    )
    processors: list[str] = Field(
        min_length=1,
        description="Processor ids, at most AUTOPKG_MAX_PROCESSORS_PER_JOB (default 50).",
        examples=[["wri_powerplants.version_130"]],
    )
    options: dict[str, ProcessorOptionsBody] | None = Field(
        None,
        max_length=MAX_OPTION_PROCESSORS,
        description="Options per processor id, each as its options_schema describes, "
        'e.g. {"wri_aqueduct.version_2": {"hazards": ["coastal"]}}. Omitted: every default. '
        f"Each processor's options have at most {MAX_OPTION_FIELDS} fields, each a value or "
        f"a list of at most {MAX_OPTION_VALUES} values.",
    )

    area_name: AreaName | None = Field(
        None,
        description="A name for the custom area (only with boundary): 1 to "
        f"{AREA_NAME_MAX_LENGTH} characters, no control characters, spaces trimmed. It "
        "becomes the area's name_long.",
        examples=["Volta river basin, north"],
    )
    buffer_m: StrictInt | None = Field(
        None,
        ge=1,
        description="Grow the boundary or area by this many metres, measured on the "
        "ellipsoid (an integer from 1 to AUTOPKG_MAX_BUFFER_M, default 200000; 422 "
        "outside). The job is then for the buffered area, a boundary of its own named "
        "<name>-buffer-<buffer_m>m with its own package.",
        examples=[5000],
    )
    notify_url: str | None = Field(
        None,
        max_length=2000,
        description="An http(s) URL the service POSTs this job's status to (the body of "
        "GET /v1/jobs/{job_id}) when a processor starts running and when the job is "
        "complete, signed in X-Autopkg-Signature (HMAC-SHA256 of the body with the "
        "service's callback secret). It must resolve to public addresses only; refused "
        "(422) when the service has no callback secret.",
        examples=["https://example.org/hooks/autopkg"],
    )
    summary: SummaryOptions | Literal[False] | None = Field(
        None,
        description="The package's summary for this job's publications: thresholds per "
        "hazard processor (recorded in the summary's resource and kept by later "
        "publications; when every processor is already current, the summary alone is "
        "computed again, clipping nothing), or false for no summary (this job's "
        "publication removes the package's summary). Omitted: the thresholds the package "
        "records, else the defaults.",
    )

    @field_validator("processors")
    @classmethod
    def _processor_ids_case_free(cls, value: list[str]) -> list[str]:
        # Ids are lower-case slugs, and every other route takes them in any case.
        return [pid.lower() for pid in value]

    @field_validator("options")
    @classmethod
    def _option_ids_case_free(
        cls, value: dict[str, ProcessorOptionsBody] | None
    ) -> dict[str, ProcessorOptionsBody] | None:
        return None if value is None else {pid.lower(): body for pid, body in value.items()}

    @model_validator(mode="after")
    def _one_boundary(self) -> JobCreate:
        if (self.boundary_name is None) == (self.boundary is None):
            raise ValueError("give exactly one of boundary_name or boundary (GeoJSON)")
        if self.area_name is not None and self.boundary is None:
            raise ValueError("area_name names a custom area: give it with boundary (GeoJSON)")
        return self


class JobCreated(BaseModel):
    """The id of a submitted job."""

    job_id: str


class JobProgress(BaseModel):
    """Progress of one processor."""

    percent_complete: float
    current_task: str


JobOutcomeName = Literal["SUCCESS", "PARTIAL", "FAILURE", "CANCELLED"]
JobState = Literal["PENDING", "EXECUTING", "SUCCESS", "FAILURE", "SKIPPED", "REVOKED"]


class EstimatePublic(BaseModel):
    """A processor's output estimated at submission; figures null when it could not estimate."""

    bytes: int | None = None
    pixels: int | None = Field(None, description="Cells of the output rasters' windows.")
    features: int | None = Field(None, description="Vector features expected.")
    files: int | None = None
    error: str | None = Field(None, description="Why there is no estimate, if there is none.")


class ProcessorJob(BaseModel):
    """Status of one processor within a job."""

    processor_name: str
    job_status: JobState
    job_progress: JobProgress
    job_result: dict[str, Any] | None
    job_estimate: EstimatePublic | None = Field(
        None, description="The output estimated at submission (null for older jobs)."
    )
    job_options: dict[str, Any] = Field(
        default_factory=dict, description="The processor's options (defaults left out)."
    )


class JobStatusPublic(BaseModel):
    """Status of a job: PENDING until every processor is terminal and published."""

    job_id: str
    boundary_name: str
    job_group_status: Literal["PENDING", "COMPLETE"]
    job_group_percent_complete: float
    job_group_processors: list[ProcessorJob]
    job_group_outcome: JobOutcomeName | None = Field(
        None,
        description="Once COMPLETE: SUCCESS (every processor SUCCESS or SKIPPED), PARTIAL "
        "(some failed), FAILURE (all failed) or CANCELLED; null before.",
    )
    created_at: datetime | None = Field(None, description="When the job was submitted (UTC).")
    boundary_name_long: str | None = Field(
        None,
        description="The boundary's long name (a custom area's given name); null once a "
        "custom area has been retired.",
    )


class JobList(BaseModel):
    """One page of jobs, newest first."""

    jobs: list[JobStatusPublic]
    total: int = Field(description="How many jobs match the filters in all.")
    limit: int
    offset: int


class DryRunProcessor(BaseModel):
    """One processor of a dry run."""

    processor: str
    bytes: int | None = Field(description="Estimated output bytes (null: no estimate).")
    pixels: int | None
    features: int | None
    files: int | None
    error: str | None = Field(
        None, description="Why there is no estimate (bytes null), as the job status says it."
    )
    published: bool = Field(description="The boundary's package has this processor's files.")
    current: bool = Field(
        description="Those files match this request's inputs: a real job would be SKIPPED."
    )


class DryRunResult(BaseModel):
    """What a job would produce, answered by ``POST /v1/jobs?dry_run=true``."""

    boundary_name: str
    dry_run: Literal[True] = True
    max_output_bytes: int = Field(description="AUTOPKG_MAX_OUTPUT_BYTES (0: unlimited).")
    total_bytes: int = Field(description="Sum of the processors' estimated bytes.")
    within_limit: bool
    processors: list[DryRunProcessor]


class LimitsPublic(BaseModel):
    """What one request may ask for (the service's ``AUTOPKG_MAX_*`` settings)."""

    max_area_km2: int = Field(
        description="AUTOPKG_MAX_AREA_KM2: geodesic area of one request's areas, in km²."
    )
    max_area_vertices: int = Field(
        description="AUTOPKG_MAX_AREA_VERTICES: vertices in one request's areas."
    )
    max_buffer_m: int = Field(description="AUTOPKG_MAX_BUFFER_M: the largest `buffer_m`.")
    max_processors_per_job: int = Field(description="AUTOPKG_MAX_PROCESSORS_PER_JOB.")
    max_output_bytes: int = Field(
        description="AUTOPKG_MAX_OUTPUT_BYTES: largest estimated output (0: unlimited)."
    )


class ErrorMessage(BaseModel):
    """Every error response."""

    detail: str


# The columns of ``summary/summary.csv`` are stated once, by the table's row.
_SUMMARY_COLUMNS: dict[str, Any] = {name: (kind, ...) for name, kind in get_type_hints(Row).items()}
SummaryRowPublic = create_model(
    "SummaryRowPublic",
    __doc__="One value of a package's summary (the columns of ``summary/summary.csv``).",
    **_SUMMARY_COLUMNS,
)
