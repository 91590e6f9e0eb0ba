"""``autopkg processors``: what can be packaged."""

from __future__ import annotations

import typer
from rich.table import Table

from autopkg.cli.common import console, runtime

app = typer.Typer(help="List processors.", no_args_is_help=True)


@app.command("list")
def list_command() -> None:
    """List every processor version with its dataset title and licence."""
    table = Table("id", "title", "licence")
    for versions in runtime().registry.by_name().values():
        for metadata in versions:
            table.add_row(metadata.id, metadata.data_title, metadata.data_license.name)
    console.print(table)
