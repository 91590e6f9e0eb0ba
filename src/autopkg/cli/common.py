"""What every command shares: settings, the runtime, logging and one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

if TYPE_CHECKING:
    from autopkg.config import Settings
    from autopkg.runtime import Runtime

console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


def setup_logging(settings: Settings) -> None:
    """Log to stderr at the configured level and format (``autopkg.logs``)."""
    from autopkg import logs

    logs.configure(settings)


def runtime(*, packages_root: Path | None = None) -> Runtime:
    """Load settings (optionally redirecting package storage) and open the runtime."""
    from autopkg.config import load_settings
    from autopkg.runtime import open_runtime

    settings = load_settings()
    if packages_root is not None:
        settings = settings.model_copy(
            update={"localfs_storage_backend_root": packages_root, "storage_backend": "localfs"}
        )
    setup_logging(settings)
    return open_runtime(settings)


def job_progress(*, quiet: bool = False) -> Progress:
    """Progress bars for a job's processors on stderr: name, bar, %, state and task."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>5.1f}%"),
        TextColumn("{task.fields[state]} {task.fields[task]}"),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
    )
