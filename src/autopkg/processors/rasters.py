"""Raster steps shared by processors: facts read, many files in a row.

These build on :class:`~autopkg.processors.base.Processor`'s helpers (``clip_to_cogs``:
one COG, or one per side of ±180° for a grid that cannot wrap) for what they do not
cover: the facts of a publisher's raster read from the file and compared with the
processor's prior (:func:`observe`), and datasets of many files
clipped one after another, each on its own grid, with progress per file, without
redoing the files an interrupted attempt finished, and without losing the others when
one cannot be read (:func:`attempt`). :func:`clip_published` is that whole run for a
dataset of published GeoTIFFs, each output named after its file.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

from autopkg.domain.facts import FailedFile, SourceFacts, SourceRead
from autopkg.domain.outputs import OutputFile
from autopkg.domain.sources import Source
from autopkg.errors import ClipError, SourceError
from autopkg.processors.base import Processor, RunContext, Span
from autopkg.processors.fetch import cached_digest
from autopkg.processors.sourcefacts import differences, read_facts, remember

log = logging.getLogger(__name__)

T = TypeVar("T")


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
    #: The cached source the raster comes from, and its member there (``""``: itself):
    #: where the facts read are kept for later estimates.
    cached: Path
    member: str = ""


#: Where one file of a dataset of many is while it is clipped (see :func:`clip_each`).
Locate = Callable[[RasterFile, Span], AbstractContextManager[Located]]


def fetched(path: Path) -> Located:
    """A file fetched through the run context, with the sha256 its cache records."""
    return Located(path, cached_digest(path).sha256, path)


def observe(
    processor: Processor, ctx: RunContext, src: str | Path, *, name: str, prior: SourceFacts,
    cached: Path, member: str = "",
) -> SourceFacts:  # fmt: skip
    """Read the facts of the source raster ``src`` and note where they differ from ``prior``.

    A difference is never an error: it is logged once (a WARNING naming the processor,
    the file and what differs), and the facts go to the run's provenance
    (``ctx.note_source``) and beside the cached source (``cached``, ``member``), where
    the next estimate finds them.

    Raises:
        SourceError: the file cannot be read, or declares no CRS.
    """
    facts = read_facts(src, name=name)
    differs = tuple(differences(prior, facts))
    if differs:
        log.warning(
            "%s: the publisher's file %s differs from what the processor expected: %s",
            processor.metadata.id,
            name,
            "; ".join(differs),
        )
    ctx.note_source(SourceRead(name, facts, differs))
    remember(cached, member, facts)
    return facts


def attempt(ctx: RunContext, name: str, make: Callable[[], T]) -> T | None:
    """What ``make`` makes of the file ``name``, or ``None`` when it cannot be read or clipped.

    The failure is noted with its reason (``ctx.note_failure``) and logged, so one bad
    file of a dataset costs that file only; :func:`require_some` fails the run when
    none could be made.
    """
    try:
        return make()
    except (SourceError, ClipError) as exc:
        log.warning("%s could not be made: %s", name, exc.message)
        ctx.note_failure(FailedFile(name, exc.message))
        return None


def require_some(ctx: RunContext, outputs: list[OutputFile], files: int) -> list[OutputFile]:
    """Return ``outputs``; with none made and files failed, fail with the first reason.

    Raises:
        SourceError: no file could be made, starting with the first file's reason.
    """
    failed = ctx.failures
    if outputs or not failed:
        return outputs
    others = f"; none of the {files} files could be made" if files > 1 else ""
    raise SourceError(f"{failed[0].reason}{others}")


def digest_of(parts: Sequence[tuple[str, str]]) -> str:
    """One sha256 over named digests (tiles of a mosaic), in the order given."""
    return hashlib.sha256(json.dumps(list(parts)).encode()).hexdigest()


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
    locate: Locate,
    *,
    prior: SourceFacts,
    span: Span,
    locate_share: float = 0.0,
    nodata: float | None = None,
) -> list[OutputFile]:
    """Clip many source rasters one after another, each within its share of ``span``.

    For each file, ``locate`` gives a context manager holding its GDAL path and the
    sha256 of the bytes behind it while it is clipped (fetching it within the span it is
    given: the first ``locate_share`` of the file's share; extracting it, say, and
    removing it on exit), the file's facts are read and compared with ``prior``
    (:func:`observe`), then it is clipped on its own grid with ``Processor.clip_to_cogs``:
    files of one dataset may differ in extent, resolution or pixel type. Memory, and the
    scratch space beyond the outputs, hold one file's work at a time. Progress reaches
    the end of a file's share when it is done, with a task naming the file.

    A file that cannot be read or clipped is left out with its reason
    (:func:`attempt`); the others are still clipped. A file an earlier attempt of the
    run clipped from the same bytes is taken from ``ctx.clips`` instead
    (:func:`clip_once`). ``nodata`` is passed on to ``Processor.clip_to_cogs``.

    Raises:
        SourceError: a file cannot be fetched, or no file could be made.
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
            made = attempt(
                ctx, file.name, partial(
                    clip_file, processor, ctx, file, located,
                    prior=prior, span=(middle, end), nodata=nodata,
                ),
            )  # fmt: skip
        done, taken = made or ([], False)
        outputs.extend(done)
        reused += taken
        ctx.progress(end, f"clipped {file.name} ({number + 1} of {len(files)})")
    log.info(
        "%s: %d of %d files clipped, %d reused from an earlier attempt, %d failed",
        processor.metadata.id,
        len(files) - reused - len(ctx.failures),
        len(files),
        reused,
        len(ctx.failures),
    )
    return require_some(ctx, outputs, len(files))


def clip_file(
    processor: Processor,
    ctx: RunContext,
    file: RasterFile,
    located: Located,
    *,
    prior: SourceFacts,
    span: Span,
    nodata: float | None,
) -> tuple[list[OutputFile], bool]:
    """One file's outputs and whether an earlier attempt made them (see :func:`clip_once`).

    The file's facts are read first, reused or not (a header costs little), so the
    provenance describes every file (see :func:`observe`); it is clipped on its own grid.
    """
    observe(
        processor, ctx, located.path, name=file.name, prior=prior,
        cached=located.cached, member=located.member,
    )  # fmt: skip
    clip = partial(
        processor.clip_to_cogs, ctx, located.path, title=file.title, span=span, sub=file.sub,
        nodata=nodata,
    )  # fmt: skip
    part = {"name": file.name, "sub": file.sub, "nodata": repr(nodata)}
    return clip_once(ctx, source_sha256=located.sha256, part=part, clip=clip)


def published_files(names: Iterable[str]) -> list[RasterFile]:
    """One output per published GeoTIFF, ``<sub>`` its lower-cased stem, titled after it."""
    return [
        RasterFile(name, sub=name.removesuffix(".tif").lower(), title=f"{name}, clipped")
        for name in names
    ]


def fetch_each(processor: Processor, ctx: RunContext, source_of: Callable[[str], Source]) -> Locate:
    """A ``locate`` fetching each file from its own source (``source_of`` its name)."""

    @contextmanager
    def locate(file: RasterFile, span: Span) -> Iterator[Located]:
        yield fetched(processor.fetch(ctx, source_of(file.name), span=span))

    return locate


def clip_published(
    processor: Processor,
    ctx: RunContext,
    names: Iterable[str],
    locate: Locate,
    *,
    prior: SourceFacts,
    span: Span,
    locate_share: float = 0.0,
) -> list[OutputFile]:
    """Clip the published GeoTIFFs ``names`` in turn (`:func:`clip_each``); report done.

    ``locate`` and ``locate_share`` are :func:`clip_each`'s: for files fetched one by one,
    :func:`fetch_each` and the half of each file's share spent downloading it.

    Raises:
        SourceError: a file cannot be fetched, or no file could be made.
    """
    files = published_files(names)
    outputs = clip_each(
        processor, ctx, files, locate, prior=prior, span=span, locate_share=locate_share
    )
    ctx.progress(100, "done")
    return outputs
