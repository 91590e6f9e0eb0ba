"""``autopkg serve``: the API plus embedded workers."""

from __future__ import annotations

import functools
import os
import socket
from typing import Annotated, Any

import typer

from autopkg.cli.common import runtime
from autopkg.errors import ConfigurationError


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

    from autopkg.api.connections import BoundedHttpToolsProtocol, ConnectionLimits

    _check_port_free(host, port)
    rt = runtime(service=True)
    settings = rt.settings
    limits = ConnectionLimits(
        max_header_bytes=settings.max_header_bytes,
        header_timeout=settings.header_timeout_secs,
        body_timeout=settings.body_timeout_secs,
    )
    server_options: dict[str, Any] = {
        "host": host,
        "port": port,
        "http": functools.partial(BoundedHttpToolsProtocol, limits=limits),
        "log_level": settings.log_level.lower(),
        # uvicorn's loggers then write through autopkg's handler.
        "log_config": None,
    }
    if processes > 1:
        rt.database.dispose()
        uvicorn.run(
            "autopkg.api.asgi:app_from_environment",
            factory=True,
            workers=processes,
            **server_options,
        )
        return

    from autopkg.api.app import create_app
    from autopkg.jobs.executors import make_executor

    uvicorn.run(create_app(rt, make_executor(rt)), **server_options)


def _check_port_free(host: str, port: int) -> None:
    """Refuse at once, before migrations and workers start, when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # uvicorn sets SO_REUSEADDR too: a port in TIME_WAIT is free for it as well.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ConfigurationError(
                f"cannot listen on {host}:{port}: {os.strerror(exc.errno or 0)}"
            ) from None
