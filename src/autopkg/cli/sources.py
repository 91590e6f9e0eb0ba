"""``autopkg sources``: check, list and mirror the publishers' files, for operators."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

from autopkg.cli.common import JsonOption, console, err_console, print_json, setup_logging

if TYPE_CHECKING:
    from collections.abc import Callable

    from autopkg.config import Settings
    from autopkg.processors.base import Processor
    from autopkg.sources.inventory import IndexFetcher, Needed

app = typer.Typer(help="Check, list and mirror the publishers' sources.", no_args_is_help=True)

ProcessorsArgument = Annotated[
    list[str] | None, typer.Argument(help="Processor ids (default: every processor).")
]
TimeoutOption = Annotated[
    float, typer.Option(help="Seconds allowed for each network operation.", min=1)
]


def _setup(processor_ids: list[str] | None, cache: Path | None = None) -> tuple[
    Settings, list[Processor], IndexFetcher
]:  # fmt: skip
    """Settings, the chosen processors and an index context (no database is opened)."""
    from autopkg.config import load_settings
    from autopkg.processors.registry import discover
    from autopkg.runtime import osm_database
    from autopkg.sources.inventory import IndexFetcher

    settings = load_settings()
    setup_logging(settings)
    registry = discover(include_test=settings.include_test_processors)
    ids = processor_ids or list(registry.ids())
    processors = [registry.get(pid)() for pid in ids]
    ctx = IndexFetcher(
        cache or settings.source_cache,
        mirror=settings.source_mirror,
        verify=settings.verify_source_checksums,
        timeout=30,
        osm_database=osm_database(settings),
    )
    return settings, processors, ctx


@app.command("check")
def check_command(
    processor: ProcessorsArgument = None,
    sample: Annotated[
        int, typer.Option(help="Files checked of each listing or tile grid.", min=1)
    ] = 5,
    timeout: TimeoutOption = 30,
    as_json: JsonOption = False,
) -> None:
    """Check every source without downloading it: reachable, size, validators, grid.

    One line per source: ok, changed (served, but not as the processor believes: what
    differs) or unreachable (why). Exits 1 if any source is unreachable.
    """
    import httpx

    from autopkg.sources.check import SourceChecker, Status

    _, processors, ctx = _setup(processor)
    ctx.timeout = timeout
    reports = []
    with httpx.Client(timeout=timeout, follow_redirects=True) as client:
        checker = SourceChecker(ctx, client, sample_size=sample, timeout=timeout)
        for chosen in processors:
            for report in checker.check(chosen):
                reports.append(report)
                if not as_json:
                    console.print(report.line(), markup=False, highlight=False)
    if as_json:
        print_json([report.as_json() for report in reports])
    if any(report.status is Status.UNREACHABLE for report in reports):
        raise typer.Exit(1)


@app.command("list")
def list_command(processor: ProcessorsArgument = None, as_json: JsonOption = False) -> None:
    """Print every URL a mirror must hold (indexes are read to list what they name)."""
    from autopkg.errors import SourceError
    from autopkg.processors.fetch import mirror_relpath
    from autopkg.sources.inventory import needed_sources

    _, processors, ctx = _setup(processor)
    rows, failed = [], False
    for chosen in processors:
        try:
            rows += list(needed_sources(chosen, ctx))
        except SourceError as exc:
            err_console.print(f"error: {chosen.metadata.id}: {exc.message}", markup=False)
            failed = True
    if as_json:
        print_json(
            [
                {
                    "processor": row.processor,
                    "url": row.source.url,
                    "path": str(mirror_relpath(row.source.url)),
                    "role": row.role.value,
                    "may_be_absent": row.may_be_absent,
                }
                for row in rows
            ]
        )
    else:
        for row in rows:
            console.print(row.source.url, markup=False, highlight=False)
    if failed:
        raise typer.Exit(1)


@app.command("mirror")
def mirror_command(
    folder: Annotated[Path, typer.Argument(help="The mirror folder to fill (HOST/PATH).")],
    processor: ProcessorsArgument = None,
    timeout: TimeoutOption = 60,
) -> None:
    """Download every source the processors can need into FOLDER, for an air-gapped site.

    Resumable (run it again to finish), verified as runs verify; then point
    AUTOPKG_SOURCE_MIRROR at FOLDER. Exits 1 if any source could not be stored.
    """
    import httpx

    from autopkg.errors import SourceError
    from autopkg.sources.inventory import needed_sources
    from autopkg.sources.mirroring import mirror_sources

    settings, processors, ctx = _setup(processor, cache=folder)
    needed: list[Needed] = []
    for chosen in processors:
        try:
            needed += needed_sources(chosen, ctx)
        except SourceError as exc:
            raise SourceError(f"{chosen.metadata.id}: {exc.message}") from None
    bars = Progress(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), console=err_console
    )
    with bars, httpx.Client(timeout=timeout, follow_redirects=True) as client:
        overall = bars.add_task("sources", total=len(needed))
        current = bars.add_task("", total=None)

        def on_file(item: Needed) -> Callable[[float], None]:
            bars.advance(overall)
            bars.reset(current, description=item.source.filename, total=1.0)
            return lambda fraction: bars.update(current, completed=fraction)

        result = mirror_sources(
            needed,
            folder,
            upstream=settings.source_mirror,
            verify=settings.verify_source_checksums,
            timeout=timeout,
            client=client,
            on_file=on_file,
        )
    for url, reason in result.failed:
        err_console.print(f"failed: {url}: {reason}", markup=False, highlight=False)
    console.print(
        f"{result.stored} sources in {folder}, {len(result.absent)} not published "
        f"(none there), {len(result.failed)} failed",
        markup=False,
        highlight=False,
    )
    if result.failed:
        raise typer.Exit(1)
