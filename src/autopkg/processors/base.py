"""What a processor is: declarative metadata, its sources, and one ``run`` method.

A processor never touches storage, the database, job state or HTTP. It receives a
:class:`RunContext`, fetches its sources through it, clips them with
:mod:`autopkg.clip` into files under ``ctx.scratch`` and returns them as
:class:`OutputFile` records. The job engine stages, hashes and publishes them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field
from shapely.geometry.base import BaseGeometry

from autopkg.boundaries.boundary import Boundary
from autopkg.clip.attributes import AttributeReport, Kind, warn_if_any
from autopkg.clip.raster import RasterClip, clip_raster
from autopkg.clip.vector import clip_vector
from autopkg.errors import ClipError
from autopkg.processors.estimate import Estimate
from autopkg.processors.options import NoOptions, ProcessorOptions
from autopkg.processors.reference import Reference
from autopkg.slugs import SLUG_PATTERN

if TYPE_CHECKING:
    from autopkg.processors.clipstore import ClipStore
    from autopkg.processors.sourcefacts import FailedFile, SourceFacts, SourceRead


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


@dataclass(frozen=True)
class Source:
    """One file a processor downloads from its publisher.

    ``size`` and ``sha256`` are pinned when the publisher's bytes are known; so is
    ``checksum``, ``<algorithm>:<hex digest>`` (``sha1:…``, ``md5:…``), for publishers
    that give another algorithm's digest. They are checked unless checksum verification
    is turned off for mirrors of stand-ins. ``pinned_by`` names where pins taken at run
    time come from (a publisher's record), for the message of a file that fails them.
    """

    url: str
    filename: str
    size: int | None = None
    sha256: str | None = None
    checksum: str | None = None
    pinned_by: str | None = None


@dataclass(frozen=True)
class SourceSet:
    """Every source a processor can need, whatever the boundary and options.

    ``files`` are always the same; ``indexes`` are small files read to decide the others
    (a listing, a tile schema), and ``listed`` the files they name. With
    ``may_be_absent``, a listed file the publisher does not serve (HTTP 404) is not
    missing but absent by design (a tile of open sea).
    """

    files: tuple[Source, ...] = ()
    indexes: tuple[Source, ...] = ()
    listed: tuple[Source, ...] = ()
    may_be_absent: bool = False


@dataclass(frozen=True)
class RasterPrior:
    """The grid a processor's estimates assume for a raster source.

    ``member`` is the GeoTIFF's path inside a zip source (``None``: the source is one).
    """

    grid: SourceFacts
    member: str | None = None


@dataclass(frozen=True)
class PostgresSource:
    """A PostgreSQL database a processor reads its source from (e.g. ``AUTOPKG_OSM_PG*``)."""

    host: str
    port: int
    dbname: str
    user: str | None = None
    password: str | None = None


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


class RunContext(Protocol):
    """What a running processor may use; provided by the job engine or the CLI."""

    @property
    def boundary(self) -> Boundary:
        """The boundary being packaged."""
        ...

    @property
    def scratch(self) -> Path:
        """A private, empty folder for this run's intermediate and output files."""
        ...

    @property
    def options(self) -> Mapping[str, Any]:
        """The job's options for this processor, validated (``{}``: every default)."""
        ...

    @property
    def clips(self) -> ClipStore:
        """Finished clips of this run, kept across its attempts (see ``clip_once``)."""
        ...

    def fetch(self, source: Source, progress: Callable[[float], None] | None = None) -> Path:
        """Return a verified local copy of ``source`` from the shared cache.

        ``progress``, when given, receives the downloaded fraction (0-1); mapping it
        into the run's percentage is up to the processor.
        """
        ...

    def progress(self, percent: float, task: str) -> None:
        """Report progress (0-100 within this processor) and the current task."""
        ...

    def note_source(self, read: SourceRead) -> None:
        """Record the facts read from a source raster, for the package's provenance."""
        ...

    def note_failure(self, failed: FailedFile) -> None:
        """Record a source file that could not be made into an output, and why."""
        ...

    @property
    def failures(self) -> tuple[FailedFile, ...]:
        """The files noted as failed so far, in order."""
        ...


class IndexContext(Protocol):
    """What a processor may use to list its sources: a fetch for small indexes only."""

    def fetch(self, source: Source, progress: Callable[[float], None] | None = None) -> Path:
        """Return a verified local copy of a small index ``source`` from the shared cache."""
        ...


class EstimateContext(Protocol):
    """What a processor may use to estimate its output before any work.

    No global source is downloaded: ``fetch`` is for small indexes (a listing) only.
    """

    @property
    def boundary(self) -> Boundary:
        """The boundary to estimate for."""
        ...

    @property
    def options(self) -> Mapping[str, Any]:
        """The job's options for this processor, validated (``{}``: every default)."""
        ...

    def cached(self, source: Source) -> Path | None:
        """The copy of ``source`` the shared cache holds already, if any; nothing is fetched."""
        ...

    def fetch(self, source: Source, progress: Callable[[float], None] | None = None) -> Path:
        """Return a verified local copy of a small index ``source`` from the shared cache."""
        ...

    def last_seen(self, source: Source, member: str = "") -> SourceFacts | None:
        """The facts a run last read from ``source`` (its ``member``), if one has."""
        ...


#: Media types of the outputs the clip engine writes.
COG_MEDIATYPE = "image/tiff; application=geotiff; profile=cloud-optimized"
GPKG_MEDIATYPE = "application/geopackage+sqlite3"

#: A slice ``(start, end)`` of a processor's 0-100 progress given to one step.
Span = tuple[float, float]


def stage(ctx: RunContext, start: float, end: float, task: str) -> Callable[[float], None]:
    """Return a callback reporting a fraction ``f`` (0-1) as ``start + f * (end - start)``.

    Suits the ``progress`` arguments of ``ctx.fetch`` and of the clip functions.
    """
    span = end - start

    def report(fraction: float) -> None:
        ctx.progress(start + min(max(fraction, 0.0), 1.0) * span, task)

    return report


def clip_raster_of(
    src: str | Path,
    geometry: BaseGeometry,
    output: Path,
    *,
    progress: Callable[[float], None],
    nodata: float | None = None,
) -> RasterClip:
    """:func:`~autopkg.clip.raster.clip_raster` of a publisher's file, failing in plain words.

    Raises:
        ClipError: starting with a sentence naming the file, the engine's reason after it.
    """
    try:
        return clip_raster(src, geometry, output, progress=progress, nodata=nodata)
    except ClipError as exc:
        raise ClipError(
            f"the publisher's file {PurePosixPath(str(src)).name} could not be clipped to the "
            f"boundary ({exc.message})"
        ) from None


class Processor(ABC):
    """Base class of every processor; subclasses set ``metadata`` and ``sources``.

    The helper steps (``fetch``, ``clip_to_cog``, ``clip_to_geopackage``) cover the
    usual run: download within one slice of the progress, clip within the next.
    """

    metadata: ClassVar[Metadata]
    sources: ClassVar[tuple[Source, ...]] = ()
    test_only: ClassVar[bool] = False
    #: What the job body may set under ``options.<processor id>``; none by default.
    options_model: ClassVar[type[ProcessorOptions]] = NoOptions

    def output_path(self, ctx: RunContext, ext: str, sub: str | None = None) -> Path:
        """Return ``scratch/<processor>-<version>[-<sub>]-<boundary>.<ext>``."""
        parts = [self.metadata.name, self.metadata.version]
        if sub:
            parts.append(sub)
        parts.append(ctx.boundary.name)
        return ctx.scratch / f"{'-'.join(parts)}.{ext}"

    def fetch(self, ctx: RunContext, source: Source, *, span: Span) -> Path:
        """Fetch ``source``, reporting the download as progress within ``span``."""
        task = f"downloading {source.filename}"
        ctx.progress(span[0], task)
        return ctx.fetch(source, progress=stage(ctx, *span, task))

    def clip_to_cog(
        self, ctx: RunContext, src: str | Path, *, title: str, span: Span, sub: str | None = None
    ) -> OutputFile:
        """Clip raster ``src`` to the boundary as a COG named for this processor."""
        output = self.output_path(ctx, "tif", sub)
        task = f"clipping {PurePosixPath(str(src)).name}"
        ctx.progress(span[0], task)
        clipped = clip_raster_of(
            src, ctx.boundary.geometry, output, progress=stage(ctx, *span, task)
        )
        return OutputFile(output, "tif", COG_MEDIATYPE, title=title, empty=clipped.empty)

    def clip_to_geopackage(
        self,
        ctx: RunContext,
        src: str | Path,
        *,
        title: str,
        span: Span,
        sub: str | None = None,
        open_options: Mapping[str, str] | None = None,
        expected: Mapping[str, Kind] | None = None,
    ) -> OutputFile:
        """Clip vector ``src`` to the boundary as a GeoPackage named for this processor.

        ``expected`` are the columns the processor expects (priors, see
        :func:`~autopkg.clip.vector.clip_vector`); what differs is logged as one WARNING
        and kept on the output for provenance.
        """
        output = self.output_path(ctx, "gpkg", sub)
        name = PurePosixPath(str(src)).name
        task = f"clipping {name}"
        ctx.progress(span[0], task)
        clipped = clip_vector(
            src,
            ctx.boundary.geometry,
            output,
            open_options=open_options,
            progress=stage(ctx, *span, task),
            expected=expected,
        )
        warn_if_any(self.metadata.id, name, clipped.attributes)
        return OutputFile(
            output,
            "gpkg",
            GPKG_MEDIATYPE,
            title=title,
            empty=clipped.empty,
            attributes=clipped.attributes,
        )

    def list_sources(self, ctx: IndexContext) -> SourceSet:
        """Every source a run may fetch, for operators (``autopkg sources``) and mirrors.

        By default the fixed ``sources``; a processor whose files are decided at run
        time overrides it, reading its indexes through ``ctx``.

        Raises:
            autopkg.errors.SourceError: an index cannot be fetched or read.
        """
        return SourceSet(files=self.sources)

    def raster_prior(self, source: Source) -> RasterPrior | None:
        """The grid this processor's estimates assume for a raster ``source``, if any.

        ``autopkg sources check`` compares it with the header the publisher serves.
        """
        return None

    def check_database(self, ctx: IndexContext) -> str | None:
        """Check a database read instead of files: ``None`` if none, else where it is.

        Raises:
            autopkg.errors.SourceError: the database is not configured or not readable.
        """
        return None

    @abstractmethod
    def estimate(self, ctx: EstimateContext) -> Estimate:
        """Estimate the output for ``ctx.boundary`` and ``ctx.options`` without fetching sources.

        Raises:
            autopkg.errors.AutopkgError: the estimate cannot be made (an index is
                unreachable, a database is not configured).
        """

    @abstractmethod
    def run(self, ctx: RunContext) -> list[OutputFile]:
        """Fetch sources, clip them to ``ctx.boundary`` and return the output files.

        Raises:
            autopkg.errors.AutopkgError: with a readable message when the run fails.
        """
