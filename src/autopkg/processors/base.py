"""What a processor is: declarative metadata, its sources, and one ``run`` method.

A processor never touches storage, the database, job state or HTTP. It receives a
:class:`RunContext`, fetches its sources through it, clips them with
:mod:`autopkg.clip` into files under ``ctx.scratch`` and returns them as
:class:`OutputFile` records. The job engine stages, hashes and publishes them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field

from autopkg.boundaries.boundary import Boundary
from autopkg.clip.raster import clip_raster
from autopkg.clip.vector import clip_vector
from autopkg.processors.estimate import Estimate
from autopkg.processors.options import NoOptions, ProcessorOptions
from autopkg.processors.reference import Reference
from autopkg.slugs import SLUG_PATTERN

if TYPE_CHECKING:
    from autopkg.processors.clipstore import ClipStore


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


@dataclass(frozen=True)
class Source:
    """One file a processor downloads from its publisher.

    ``size`` and ``sha256`` are pinned when the publisher's bytes are known; so is
    ``checksum``, ``<algorithm>:<hex digest>`` (``sha1:…``, ``md5:…``), for publishers
    that give another algorithm's digest. They are checked unless checksum verification
    is turned off for mirrors of stand-ins.
    """

    url: str
    filename: str
    size: int | None = None
    sha256: str | None = None
    checksum: str | None = None


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
    """

    path: Path
    format: str
    mediatype: str
    title: str = ""
    empty: bool = False


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
        clipped = clip_raster(src, ctx.boundary.geometry, output, progress=stage(ctx, *span, task))
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
    ) -> OutputFile:
        """Clip vector ``src`` to the boundary as a GeoPackage named for this processor."""
        output = self.output_path(ctx, "gpkg", sub)
        task = f"clipping {PurePosixPath(str(src)).name}"
        ctx.progress(span[0], task)
        clipped = clip_vector(
            src,
            ctx.boundary.geometry,
            output,
            open_options=open_options,
            progress=stage(ctx, *span, task),
        )
        return OutputFile(output, "gpkg", GPKG_MEDIATYPE, title=title, empty=clipped.empty)

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
