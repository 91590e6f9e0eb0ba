"""Entry point: assembles the command groups and turns user errors into one line.

Each command's module is imported only when that command (or the list of commands in
``autopkg --help``) needs it, so ``autopkg clip`` never loads the web or database
stacks and ``--help`` loads neither GDAL nor SQLAlchemy.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Mapping
from typing import Annotated, Any

import typer

# typer carries its own copy of click, whose command and context types its groups use.
from typer import _click as click
from typer.core import TyperGroup

from autopkg.cli.common import err_console, options
from autopkg.errors import AutopkgError

#: Each command, in the order ``--help`` lists them: the module under ``autopkg.cli``
#: and what in it is the command (a function) or the command group (a ``typer.Typer``).
COMMANDS = {
    "serve": ("serve", "serve_command"),
    "worker": ("worker", "worker_command"),
    "package": ("package", "package_command"),
    "clip": ("clip", "clip_command"),
    "boundaries": ("boundaries", "app"),
    "processors": ("processors", "app"),
    "packages": ("packages", "app"),
    "db": ("db", "app"),
    "jobs": ("jobs", "app"),
    "sources": ("sources", "app"),
}


class _CommandsOnDemand(Mapping[str, click.Command]):
    """The commands by name, each built from its module the first time it is asked for.

    Typer's group reads names alone to suggest a command for a typo, so only a command
    that is run or listed with its help is ever imported.
    """

    def __init__(self) -> None:
        self._built: dict[str, click.Command] = {}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._built:
            module_name, attribute = COMMANDS[name]
            target = getattr(importlib.import_module(f"autopkg.cli.{module_name}"), attribute)
            if isinstance(target, typer.Typer):
                # A group even when it holds one command (``db upgrade``).
                command: click.Command = typer.main.get_group(target)
            else:
                single = typer.Typer(add_completion=False)
                single.command(name)(target)
                command = typer.main.get_command(single)
            command.name = name
            self._built[name] = command
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


class _LazyGroup(TyperGroup):
    """The top-level group, whose commands are :class:`_CommandsOnDemand`."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        # Read-only where typer's type says mutable: nothing adds commands at run time.
        self.commands = _CommandsOnDemand()  # type: ignore[assignment]

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The names alone: listing them builds no command."""
        return list(COMMANDS)


app = typer.Typer(
    cls=_LazyGroup,
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
