"""``autopkg worker``: a Celery worker executing runs sent by ``autopkg serve``."""

from __future__ import annotations

from typing import Annotated

import typer

from autopkg.cli.common import runtime
from autopkg.errors import ConfigurationError


def worker_command(
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1, max=256, help="Worker processes (default: AUTOPKG_CELERY_CONCURRENCY)."
        ),
    ] = None,
) -> None:
    """Execute runs from the broker (AUTOPKG_CELERY_BROKER) until stopped (Ctrl-C / SIGTERM)."""
    from autopkg.jobs.celery_executor import run_worker

    rt = runtime(service=True)
    settings = rt.settings
    rt.database.dispose()
    if not settings.celery_broker:
        raise ConfigurationError("autopkg worker needs AUTOPKG_CELERY_BROKER (e.g. redis://…)")
    run_worker(
        settings,
        concurrency=concurrency or settings.celery_concurrency,
        loglevel=settings.log_level,
    )
