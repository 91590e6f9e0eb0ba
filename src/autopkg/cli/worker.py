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
    from autopkg.config import load_settings
    from autopkg.jobs.celery_executor import check_broker, run_worker

    # The broker is checked before the database is opened (and migrated, with Alembic's
    # lines), so a missing or unreachable broker is the only line printed.
    configured = load_settings()
    if not configured.celery_broker:
        raise ConfigurationError("autopkg worker needs AUTOPKG_CELERY_BROKER (e.g. redis://…)")
    check_broker(configured)
    from autopkg.jobs.recovery import recover

    rt = runtime(service=True)
    settings = rt.settings
    # The same start-up recovery as every executor's: runs this host's dead processes
    # held are released at once.
    recover(rt)
    rt.database.dispose()
    run_worker(
        settings,
        concurrency=concurrency or settings.celery_concurrency,
        loglevel=settings.log_level,
    )
