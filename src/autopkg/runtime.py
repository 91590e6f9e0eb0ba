"""The long-lived objects one autopkg process shares: settings, database, storage, registry."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from autopkg.boundaries.builtin import builtin_boundaries
from autopkg.boundaries.limits import AreaLimits
from autopkg.config import Settings
from autopkg.db import boundaries as boundary_repo
from autopkg.db.migrate import upgrade
from autopkg.db.session import Database
from autopkg.db.urls import database_url
from autopkg.domain.sources import PostgresSource
from autopkg.processors.registry import Registry, discover
from autopkg.storage.base import Storage
from autopkg.storage.factory import make_storage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    """Everything a request handler, worker or CLI command needs, built once."""

    settings: Settings
    database: Database
    storage: Storage
    registry: Registry

    def package_url(self, boundary_name: str, host_url: str | None = None) -> str:
        """Public URL of a package folder (ending in ``/``)."""
        host = self.settings.packages_host_url or host_url
        if host is None:
            return (self.settings.packages_root / boundary_name).resolve().as_uri() + "/"
        return f"{host.rstrip('/')}/{boundary_name}/"

    def citable_package_url(self, boundary_name: str) -> str:
        """The package's URL for its citation files: ``""`` unless the host is configured.

        Without ``AUTOPKG_PACKAGES_HOST_URL`` a worker cannot know the address clients
        use (the API derives it from each request), so citations then give none.
        """
        return self.package_url(boundary_name) if self.settings.packages_host_url else ""

    @property
    def area_limits(self) -> AreaLimits:
        """The configured limits on the geometry of one request."""
        return AreaLimits(
            max_vertices=self.settings.max_area_vertices,
            max_rings=self.settings.max_area_rings,
            max_parts=self.settings.max_area_parts,
            max_km2=self.settings.max_area_km2,
            max_repair_vertices=self.settings.max_repair_vertices,
        )

    @property
    def osm_database(self) -> PostgresSource | None:
        """The OSM road and rail database (``AUTOPKG_OSM_PG*``), if one is configured."""
        return osm_database(self.settings)


def osm_database(settings: Settings) -> PostgresSource | None:
    """The OSM road and rail database ``settings`` name, if they name one."""
    if not (settings.osm_pghost and settings.osm_pgdatabase):
        return None
    password = settings.osm_pgpassword
    return PostgresSource(
        host=settings.osm_pghost,
        port=settings.osm_port,
        dbname=settings.osm_pgdatabase,
        user=settings.osm_pguser,
        password=password.get_secret_value() if password is not None else None,
    )


def open_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    """Build the runtime: schema upgraded, built-in boundaries loaded on first start."""
    database = Database(database_url(settings), read_timeout=settings.database_read_timeout_secs)
    if migrate:
        upgrade(database)
        with database.session() as session:
            if boundary_repo.count(session) == 0:
                loaded = boundary_repo.upsert(session, builtin_boundaries())
                log.info("loaded %d built-in Natural Earth boundaries", loaded)
    registry = discover(include_test=settings.include_test_processors)
    return Runtime(
        settings=settings, database=database, storage=make_storage(settings), registry=registry
    )
