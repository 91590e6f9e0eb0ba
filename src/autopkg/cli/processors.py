"""``autopkg processors``: what can be packaged."""

from __future__ import annotations

import typer
from rich.table import Table

from autopkg.cli.common import JsonOption, console, print_json, runtime

app = typer.Typer(help="List processors.", no_args_is_help=True, add_completion=False)


@app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """List every processor version with its dataset title and licence."""
    found = [m for versions in runtime().registry.by_name().values() for m in versions]
    if as_json:
        print_json([{"id": m.id, **m.model_dump(mode="json")} for m in found])
        return
    table = Table("id", "title", "licence")
    for metadata in found:
        table.add_row(metadata.id, metadata.data_title, metadata.data_license.name)
    console.print(table)
