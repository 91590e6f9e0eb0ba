"""``autopkg serve``: the API plus embedded workers."""

from __future__ import annotations

from typing import Annotated

import typer

from autopkg.cli.common import runtime


def serve_command(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
) -> None:
    """Serve the HTTP API with an embedded worker pool (AUTOPKG_WORKERS threads)."""
    import uvicorn

    from autopkg.api.app import create_app
    from autopkg.jobs.embedded import EmbeddedExecutor

    rt = runtime()
    executor = EmbeddedExecutor(rt, workers=rt.settings.workers)
    app = create_app(rt, executor)
    uvicorn.run(app, host=host, port=port, log_level=rt.settings.log_level.lower())
