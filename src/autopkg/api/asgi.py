"""An app factory reading settings from the environment, for multi-process serving.

``autopkg serve --processes N`` hands this to uvicorn, which imports it in each of its
worker processes; the schema is upgraded once by the parent before they start.
"""

from __future__ import annotations

from fastapi import FastAPI

from autopkg import logs
from autopkg.api.app import create_app
from autopkg.config import load_settings
from autopkg.jobs.executors import make_executor
from autopkg.runtime import open_runtime


def app_from_environment() -> FastAPI:
    """Build the API and its executor from ``AUTOPKG_*`` settings."""
    settings = load_settings()
    logs.configure(settings)
    rt = open_runtime(settings, migrate=False)
    return create_app(rt, make_executor(rt))
