"""What every command shares: settings, the runtime, logging and one-line errors."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import Progress

    from autopkg.config import Settings
    from autopkg.runtime import Runtime

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


def print_json(data: Any) -> None:
    """Print ``data`` as JSON on stdout, for scripts (``--json``)."""
    console.print_json(json.dumps(data))


@dataclass
class GlobalOptions:
    """Options given before any command (``autopkg --debug …``)."""

    debug: bool = False


options = GlobalOptions()


def setup_logging(settings: Settings, *, service: bool = False) -> None:
    """Log to stderr at the configured level (DEBUG with ``--debug``) and format.

    A ``service`` (``serve``, ``worker``, ``db upgrade``) logs Alembic's progress; other
    commands print their result to a person, so Alembic's INFO lines only with ``--debug``.
    """
    from autopkg import logs

    if options.debug:
        settings = settings.model_copy(update={"log_level": "DEBUG"})
    logs.configure(settings)
    if not (service or options.debug):
        logging.getLogger("alembic").setLevel(logging.WARNING)


def runtime(*, packages_root: Path | None = None, service: bool = False) -> Runtime:
    """Load settings (optionally redirecting package storage) and open the runtime."""
    from autopkg.config import load_settings
    from autopkg.runtime import open_runtime

    settings = load_settings()
    if packages_root is not None:
        settings = settings.model_copy(
            update={"localfs_storage_backend_root": packages_root, "storage_backend": "localfs"}
        )
    setup_logging(settings, service=service)
    return open_runtime(settings)


def job_progress(*, quiet: bool = False) -> Progress:
    """Progress bars for a job's processors on stderr: name, bar, %, state and task."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TextColumn("{task.fields[state]} {task.fields[task]}"),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
    )
