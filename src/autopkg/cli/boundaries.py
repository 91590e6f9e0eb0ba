"""``autopkg boundaries``: load, import and list boundaries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from autopkg.cli.common import JsonOption, console, err_console, print_json, runtime
from autopkg.errors import AutopkgError, InvalidInputError

app = typer.Typer(help="Load and list boundaries.", no_args_is_help=True, add_completion=False)


@app.command("load")
def load_command(
    files: Annotated[list[Path], typer.Argument(help="GeoJSON, GeoPackage or Shapefile.")],
    name_column: Annotated[str, typer.Option(help="Column holding the slug name.")] = "name",
    long_name_column: Annotated[str, typer.Option(help="Column holding the long name.")] = (
        "name_long"
    ),
) -> None:
    """Validate, repair and upsert boundaries from files; report rejected rows.

    Exits 1 when every row of a file was rejected (the other files are still loaded).
    """
    from autopkg.services import boundaries as service

    rt = runtime()
    refused = []
    for path in files:
        if not path.is_file():
            raise InvalidInputError(f"no such file: {path}")
        report = service.load_boundary_file(
            rt, path, name_column=name_column, long_name_column=long_name_column
        )
        console.print(f"{path}: loaded {len(report.boundaries)} boundaries")
        for row, reason in report.rejected:
            err_console.print(f"{path}: row {row} rejected: {reason}", markup=False)
        if report.rejected and not report.boundaries:
            refused.append(str(path))
    if refused:
        raise InvalidInputError(
            f"every row of {', '.join(refused)} was rejected: nothing loaded from it"
        )


@app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """List every boundary's name and long name."""
    from autopkg.services import boundaries as service

    found = service.list_boundaries(runtime())
    if as_json:
        print_json([{"name": name, "name_long": name_long} for name, name_long in found])
        return
    table = Table("name", "name_long")
    for name, name_long in found:
        table.add_row(name, name_long)
    console.print(table)


@app.command("import")
def import_command(
    countries: Annotated[
        list[str] | None, typer.Argument(help="Country ids (ISO3: KEN, gha…).", show_default=False)
    ] = None,
    all_countries: Annotated[
        bool, typer.Option("--all", help="Every country (a whole-world install).")
    ] = False,
    levels: Annotated[
        str, typer.Option(help="Admin levels to load: 1, or 1,2 (admin-2 needs admin-1).")
    ] = "1,2",
) -> None:
    """Load countries' admin-1 and admin-2 units from geoBoundaries ahead of first use.

    Countries already loaded are left as they are. A country that cannot be fetched is
    reported and the others are still loaded; the exit status is then 1.
    """
    from autopkg.processors.fetch import ATTEMPTS
    from autopkg.services import admin_units
    from autopkg.services import boundaries as service

    wanted = _levels(levels)
    if all_countries == bool(countries):
        raise InvalidInputError("name countries (ISO3 codes) or give --all, not both")
    rt = runtime()
    chosen = (
        admin_units.countries(rt)
        if all_countries
        else [service.get_boundary(rt, name) for name in countries or []]
    )
    failed = []
    with _import_progress(len(chosen)) as (step, advance):
        for country in chosen:
            try:
                result = admin_units.ensure_units(
                    rt, country, wanted, progress=step, attempts=ATTEMPTS
                )
            except AutopkgError as exc:
                failed.append(country.name)
                err_console.print(f"error: {country.name}: {exc.message}", markup=False)
            else:
                if result.stored:
                    counts = ", ".join(f"{n} admin-{lv}" for lv, n in result.stored.items())
                    console.print(f"{country.name}: loaded {counts} units", markup=False)
                for reason in result.skipped:
                    err_console.print(f"{country.name}: skipped {reason}", markup=False)
            advance()
    if failed:
        err_console.print(f"error: {len(failed)} countries not loaded: {', '.join(failed)}")
        raise typer.Exit(1)


def _levels(text: str) -> list[int]:
    try:
        found = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        found = []
    if not found or not set(found) <= {1, 2}:
        raise InvalidInputError(f"--levels must be 1, 2 or 1,2, not {text[:40]!r}")
    return found


@contextmanager
def _import_progress(total: int) -> Iterator[tuple[Callable[[str], None], Callable[[], None]]]:
    """A bar over countries on a terminal's stderr: yield (describe a step, one done)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as bar:
        task = bar.add_task("admin units", total=total)
        yield (
            lambda text: bar.update(task, description=text),
            lambda: bar.advance(task),
        )
