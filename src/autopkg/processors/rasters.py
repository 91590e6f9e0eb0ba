"""Raster steps shared by processors: checks, clips split at ±180°, many files in a row.

These build on :class:`~autopkg.processors.base.Processor`'s helpers for datasets the
single ``clip_to_cog`` step does not cover: sources in a CRS that cannot wrap at the
antimeridian (one COG per side), facts about a publisher's rasters checked before any
work, and datasets of many files clipped one after another with progress per file and
without redoing the files an interrupted attempt finished.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from functools import partial
from pathlib import Path, PurePosixPath

import rasterio
from pyproj import CRS
from rasterio.errors import RasterioError

from autopkg.clip.raster import clip_raster, raster_sides
from autopkg.errors import SourceError
from autopkg.processors.base import COG_MEDIATYPE, OutputFile, Processor, RunContext, Span, stage
from autopkg.processors.fetch import cached_digest
from autopkg.processors.sizing import SourceGrid, check_grid

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RasterFacts:
    """What a processor relies on about a source raster: its CRS, pixel type and bands."""

    crs: str
    dtype: str
    count: int = 1


@dataclass(frozen=True)
class RasterFile:
    """One source raster of a dataset of many: its file name, output ``<sub>`` and title."""

    name: str
    sub: str
    title: str


@dataclass(frozen=True)
class Located:
    """A source raster ready to clip: its GDAL path and the sha256 of the bytes behind it.

    For a member of an archive, the archive's sha256 (the member's name is part of the
    clip's key); for a mosaic, a digest of its tiles' digests (see ``digest_of``).
    """

    path: str | Path
    sha256: str


def fetched(path: Path) -> Located:
    """A file fetched through the run context, with the sha256 its cache records."""
    return Located(path, cached_digest(path).sha256)


def digest_of(parts: Sequence[tuple[str, str]]) -> str:
    """One sha256 over named digests (tiles of a mosaic), in the order given."""
    return hashlib.sha256(json.dumps(list(parts)).encode()).hexdigest()


def check_raster(src: str | Path, facts: RasterFacts, *, name: str) -> None:
    """Refuse a source raster that is not what the processor was written for.

    Raises:
        SourceError: naming the file and what differs (CRS, pixel type or band count),
            or saying it cannot be read.
    """
    try:
        with rasterio.open(str(src)) as source:
            wkt = source.crs.to_wkt() if source.crs else None
            dtype, count = source.dtypes[0], source.count
    except RasterioError as exc:
        raise SourceError(f"cannot read the raster {name}: {exc}") from None
    if wkt is None or not _same_crs(CRS.from_wkt(wkt), CRS.from_user_input(facts.crs)):
        shown = CRS.from_wkt(wkt).name if wkt else "none"
        raise SourceError(f"{name} is in CRS {shown}, expected {facts.crs}")
    if dtype != facts.dtype or count != facts.count:
        raise SourceError(
            f"{name} has {count} band(s) of {dtype}, expected {facts.count} of {facts.dtype}"
        )


def _same_crs(actual: CRS, expected: CRS) -> bool:
    """Whether two CRSs are the same, however the file's WKT spells it."""
    if actual.equals(expected, ignore_axis_order=True):
        return True
    authority = actual.to_authority(min_confidence=70)
    return authority is not None and authority == expected.to_authority()


def clip_to_cogs(
    processor: Processor,
    ctx: RunContext,
    src: str | Path,
    *,
    title: str,
    span: Span,
    sub: str | None = None,
    nodata: float | None = None,
) -> list[OutputFile]:
    """Clip raster ``src`` to the boundary as one COG, or one per side of the antimeridian.

    A boundary crossing ±180° over a grid that cannot wrap (Mollweide) gives two files
    whose ``<sub>`` ends in ``east`` and ``west`` (``autopkg.clip.raster_sides``), each
    clipped within its half of ``span``; otherwise this is ``Processor.clip_to_cog``.
    ``nodata`` is the value outside the boundary for a source that declares none (see
    ``autopkg.clip.clip_raster``).
    """
    sides = raster_sides(src, ctx.boundary.geometry)
    name = PurePosixPath(str(src)).name
    share = (span[1] - span[0]) / len(sides)
    outputs = []
    for number, (side, geometry) in enumerate(sides):
        start = span[0] + number * share
        part = "-".join(filter(None, (sub, side)))
        output = processor.output_path(ctx, "tif", part or None)
        task = f"clipping {name}" + (f" ({side} of the antimeridian)" if side else "")
        ctx.progress(start, task)
        report = stage(ctx, start, start + share, task)
        clipped = clip_raster(src, geometry, output, progress=report, nodata=nodata)
        shown = f"{title} ({side} of the antimeridian)" if side else title
        outputs.append(OutputFile(output, "tif", COG_MEDIATYPE, title=shown, empty=clipped.empty))
    return outputs


def clip_once(
    ctx: RunContext,
    *,
    source_sha256: str,
    part: Mapping[str, object],
    clip: Callable[[], list[OutputFile]],
) -> tuple[list[OutputFile], bool]:
    """Return the outputs of ``clip``, or those an earlier attempt of the run kept.

    ``source_sha256`` and ``part`` say what the clip reads (see
    :meth:`~autopkg.processors.clipstore.ClipStore.key`); outputs made here are kept in
    ``ctx.clips`` for a later attempt. The flag says whether the outputs were reused.
    """
    key = ctx.clips.key(source_sha256=source_sha256, part=part)
    kept = ctx.clips.take(key, ctx.scratch)
    if kept is not None:
        return kept, True
    outputs = clip()
    ctx.clips.keep(key, outputs)
    return outputs, False


def clip_each(
    processor: Processor,
    ctx: RunContext,
    files: Sequence[RasterFile],
    locate: Callable[[RasterFile, Span], AbstractContextManager[Located]],
    *,
    facts: RasterFacts,
    span: Span,
    locate_share: float = 0.0,
    nodata: float | None = None,
    grid: SourceGrid | None = None,
) -> list[OutputFile]:
    """Clip many source rasters one after another, each within its share of ``span``.

    For each file, ``locate`` gives a context manager holding its GDAL path and the
    sha256 of the bytes behind it while it is clipped (fetching it within the span it is
    given: the first ``locate_share`` of the file's share; extracting it, say, and
    removing it on exit), the source is checked against ``facts``, then clipped with
    :func:`clip_to_cogs`. Memory, and the scratch space beyond the outputs, hold one
    file's work at a time. Progress reaches the end of a file's share when it is done,
    with a task naming the file.

    A file an earlier attempt of the run clipped from the same bytes is taken from
    ``ctx.clips`` instead (:func:`clip_once`). ``nodata`` is passed on to
    :func:`clip_to_cogs`. ``grid``, when given, is the published grid the processor's
    estimates assume: every file must lie on it.

    Raises:
        SourceError: a file fails ``facts`` or ``grid``, or cannot be fetched.
        autopkg.errors.ClipError: a file cannot be clipped.
    """
    if not files:
        return []
    share = (span[1] - span[0]) / len(files)
    outputs: list[OutputFile] = []
    reused = 0
    for number, file in enumerate(files):
        start, end = span[0] + number * share, span[0] + (number + 1) * share
        middle = start + share * locate_share
        with locate(file, (start, middle)) as located:
            clip = partial(
                _checked_clip, processor, ctx, file, located.path,
                facts=facts, grid=grid, span=(middle, end), nodata=nodata,
            )  # fmt: skip
            part = {"name": file.name, "sub": file.sub, "nodata": repr(nodata)}
            done, taken = clip_once(ctx, source_sha256=located.sha256, part=part, clip=clip)
        reused += taken
        outputs.extend(done)
        ctx.progress(end, f"clipped {file.name} ({number + 1} of {len(files)})")
    log.info(
        "%s: %d of %d files clipped, %d reused from an earlier attempt",
        processor.metadata.id,
        len(files) - reused,
        len(files),
        reused,
    )
    return outputs


def _checked_clip(
    processor: Processor,
    ctx: RunContext,
    file: RasterFile,
    src: str | Path,
    *,
    facts: RasterFacts,
    grid: SourceGrid | None,
    span: Span,
    nodata: float | None,
) -> list[OutputFile]:
    """Check one file of many against ``facts`` and ``grid``, then clip it."""
    check_raster(src, facts, name=file.name)
    if grid is not None:
        check_grid(src, grid, name=file.name)
    return clip_to_cogs(
        processor, ctx, src, title=file.title, span=span, sub=file.sub, nodata=nodata
    )
