"""``autopkg boundaries``: load and list boundaries."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from autopkg.cli.common import JsonOption, console, err_console, print_json, runtime
from autopkg.errors import InvalidInputError

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
