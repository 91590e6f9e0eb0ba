"""Entry point: assembles the command groups and turns user errors into one line."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from autopkg.cli import (
    boundaries,
    db,
    jobs,
    package,
    packages,
    processors,
    serve,
    sources,
    worker,
)
from autopkg.cli.clip import clip_command
from autopkg.cli.common import err_console, options
from autopkg.errors import AutopkgError

app = typer.Typer(
    help="Cut global geospatial datasets to a boundary and publish data packages.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _global_options(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="Show a traceback instead of a one-line error, and log at DEBUG (the "
            "geospatial libraries' warnings included). Accepted anywhere on the line.",
        ),
    ] = False,
) -> None:
    options.debug = debug


app.command("serve")(serve.serve_command)
app.command("worker")(worker.worker_command)
app.command("package")(package.package_command)
app.command("clip")(clip_command)
app.add_typer(boundaries.app, name="boundaries")
app.add_typer(processors.app, name="processors")
app.add_typer(packages.app, name="packages")
app.add_typer(db.app, name="db")
app.add_typer(jobs.app, name="jobs")
app.add_typer(sources.app, name="sources")


def main() -> None:
    """Run the CLI; ``--debug`` shows tracebacks instead of one-line errors."""
    debug = "--debug" in sys.argv[1:]
    if debug:
        # Typer reads it as an option of the whole program, before the command.
        sys.argv.remove("--debug")
        sys.argv.insert(1, "--debug")
    try:
        app()
    except AutopkgError as exc:
        if debug:
            raise
        err_console.print(f"error: {exc.message}", markup=False, highlight=False)
        sys.exit(1)
