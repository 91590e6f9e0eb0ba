"""What a processor is: declarative metadata, its sources, and one ``run`` method.

A processor never touches storage, the database, job state or HTTP. It receives a
:class:`RunContext`, fetches its sources through it, clips them with
:mod:`autopkg.clip` into files under ``ctx.scratch`` and returns them as
:class:`OutputFile` records. The job engine stages, hashes and publishes them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar, Protocol

from shapely.geometry.base import BaseGeometry

from autopkg.clip.attributes import warn_if_any
from autopkg.clip.raster import RasterClip, clip_raster, raster_sides
from autopkg.clip.vector import clip_vector
from autopkg.domain.attributes import Kind
from autopkg.domain.boundary import Boundary
from autopkg.domain.estimate import Estimate
from autopkg.domain.facts import FailedFile, SourceFacts, SourceRead
from autopkg.domain.metadata import Metadata
from autopkg.domain.options import NoOptions, ProcessorOptions
from autopkg.domain.outputs import COG_MEDIATYPE, GPKG_MEDIATYPE, OutputFile
from autopkg.domain.sources import RasterPrior, Source, SourceSet
from autopkg.errors import ClipError
from autopkg.processors.clipstore import ClipStore


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

    The helper steps (``fetch``, ``clip_to_cogs``, ``clip_to_geopackage``) cover the
    usual run: download within one slice of the progress, clip within the next.
    """

    metadata: ClassVar[Metadata]
    sources: ClassVar[tuple[Source, ...]] = ()
    test_only: ClassVar[bool] = False
    #: What the job body may set under ``options.<processor id>``; none by default.
    options_model: ClassVar[type[ProcessorOptions]] = NoOptions
    #: The grid the estimates assume for each raster source (see ``raster_prior``).
    raster_priors: ClassVar[Mapping[Source, RasterPrior]] = {}

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

    def clip_to_cogs(
        self,
        ctx: RunContext,
        src: str | Path,
        *,
        title: str,
        span: Span,
        sub: str | None = None,
        nodata: float | None = None,
        split: bool = True,
    ) -> list[OutputFile]:
        """Clip raster ``src`` to the boundary as one COG, or one per side of the antimeridian.

        With ``split``, a boundary crossing ±180° over a grid that cannot wrap (Mollweide)
        gives two files whose ``<sub>`` ends in ``east`` and ``west``
        (``autopkg.clip.raster_sides``), each clipped within its half of ``span``; without,
        one COG whatever the boundary. ``nodata`` is the value outside the boundary for a
        source that declares none (see ``autopkg.clip.clip_raster``).
        """
        if split:
            sides = raster_sides(src, ctx.boundary.geometry)
        else:
            sides = ((None, ctx.boundary.geometry),)
        name = PurePosixPath(str(src)).name
        share = (span[1] - span[0]) / len(sides)
        outputs = []
        for number, (side, geometry) in enumerate(sides):
            start = span[0] + number * share
            part = "-".join(filter(None, (sub, side)))
            output = self.output_path(ctx, "tif", part or None)
            task = f"clipping {name}" + (f" ({side} of the antimeridian)" if side else "")
            ctx.progress(start, task)
            report = stage(ctx, start, start + share, task)
            clipped = clip_raster_of(src, geometry, output, progress=report, nodata=nodata)
            shown = f"{title} ({side} of the antimeridian)" if side else title
            outputs.append(
                OutputFile(output, "tif", COG_MEDIATYPE, title=shown, empty=clipped.empty)
            )
        return outputs

    def clip_to_geopackage(
        self,
        ctx: RunContext,
        src: str | Path,
        *,
        title: str,
        span: Span,
        sub: str | None = None,
        layer: str | None = None,
        open_options: Mapping[str, str] | None = None,
        expected: Mapping[str, Kind] | None = None,
    ) -> OutputFile:
        """Clip vector ``src`` to the boundary as a GeoPackage named for this processor.

        ``layer`` names the layer to clip (by default the first). ``expected`` are the
        columns the processor expects (priors, see
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
            layer=layer,
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

        ``autopkg sources check`` compares it with the header the publisher serves. By
        default the one ``raster_priors`` declares; a processor whose rasters are named
        by an index at run time overrides it.
        """
        return self.raster_priors.get(source)

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
