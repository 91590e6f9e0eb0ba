"""``autopkg serve``: the API plus embedded workers."""

from __future__ import annotations

from typing import Annotated

import typer

from autopkg.cli.common import runtime


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    processes: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="API processes (each with AUTOPKG_WORKERS job threads); more use more cores.",
        ),
    ] = 1,
) -> None:
    """Serve the HTTP API; jobs run on embedded threads, or on Celery workers with a broker."""
    import uvicorn

    rt = runtime()
    # log_config=None: uvicorn's loggers then write through autopkg's handler.
    log_level = rt.settings.log_level.lower()
    if processes > 1:
        rt.database.dispose()
        uvicorn.run(
            "autopkg.api.asgi:app_from_environment",
            factory=True,
            host=host,
            port=port,
            workers=processes,
            log_level=log_level,
            log_config=None,
        )
        return

    from autopkg.api.app import create_app
    from autopkg.jobs.executors import make_executor

    app = create_app(rt, make_executor(rt))
    uvicorn.run(app, host=host, port=port, log_level=log_level, log_config=None)
