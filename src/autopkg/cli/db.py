"""``autopkg db``: schema management."""

from __future__ import annotations

import typer

from autopkg.cli.common import console, setup_logging

app = typer.Typer(help="Database schema management.", no_args_is_help=True, add_completion=False)


@app.command("upgrade")
def upgrade_command() -> None:
    """Upgrade the database schema to the newest revision."""
    from autopkg.config import load_settings
    from autopkg.db.migrate import upgrade
    from autopkg.db.session import Database
    from autopkg.db.urls import database_url

    settings = load_settings()
    setup_logging(settings, service=True)
    upgrade(Database(database_url(settings)))
    console.print("database schema is up to date")
