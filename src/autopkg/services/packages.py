"""Published packages as the API and CLI present them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from autopkg.db import counters
from autopkg.db import packages as db_packages
from autopkg.domain.boundary import Boundary
from autopkg.domain.metadata import Metadata
from autopkg.errors import NotFoundError
from autopkg.packaging import store
from autopkg.packaging.archive import PackageArchive, package_archive
from autopkg.packaging.manifest import Resource, client_view
from autopkg.packaging.preview_place import Bounds, preview_bounds
from autopkg.packaging.publish import package_notes, read_manifest, validate_package
from autopkg.runtime import Runtime
from autopkg.services.boundaries import get_boundary
from autopkg.slugs import canonical_name, is_slug


@dataclass(frozen=True)
class FilePreview:
    """A data file's preview PNG (``url`` absolute) and its legend (``packaging.preview``)."""

    url: str
    bytes: int
    legend: dict[str, Any]
    #: ``[west, south, east, north]`` in WGS84 (``packaging.preview_place``), if known.
    bounds: Bounds | None = None


@dataclass(frozen=True)
class PackageFile:
    """One data file of a package, from its stored manifest (``url`` is absolute)."""

    processor_id: str
    name: str
    url: str
    bytes: int
    hash: str
    format: str
    preview: FilePreview | None = None
    #: Nothing of the source lies inside the boundary: a valid file without data.
    empty: bool = False


@dataclass(frozen=True)
class PackageView:
    """A package: its boundary, the processors present and the client-view manifest."""

    boundary_name: str
    uri: str
    boundary: Boundary
    processors: list[Metadata]
    datapackage: dict[str, Any]
    files: list[PackageFile]


def list_packages(rt: Runtime) -> list[str]:
    """Boundary names with a published package, as found on storage."""
    return store.list_packages(rt.storage)


def published_packages(rt: Runtime) -> list[str]:
    """Boundary names with a package published by a run, from the database.

    One query, where :func:`list_packages` lists storage (on S3 a listing and a
    request per package); a package put on storage by hand is not among them.
    """
    with rt.database.read_connection() as connection:
        return db_packages.published_boundaries(connection)


def get_package(rt: Runtime, boundary_name: str, *, host_url: str) -> PackageView:
    """Return a published package (the boundary name is case-insensitive).

    Raises:
        NotFoundError: no package is published for this boundary.
    """
    boundary_name = canonical_name(boundary_name)
    manifest = read_manifest(rt.storage, boundary_name) if is_slug(boundary_name) else None
    if manifest is None:
        raise NotFoundError(f"no package for boundary {boundary_name[:80]!r}")
    uri = rt.package_url(boundary_name, host_url)
    # The summary's resources belong to no processor: they have their own route.
    data = [r for r in manifest.resources if r.processor is not None]
    processor_ids = sorted({str(resource.processor) for resource in data})
    processors = [rt.registry.get(pid).metadata for pid in processor_ids if pid in rt.registry]
    boundary = get_boundary(rt, boundary_name)
    return PackageView(
        boundary_name=boundary_name,
        uri=uri,
        boundary=boundary,
        processors=processors,
        datapackage=client_view(manifest, uri),
        files=[
            PackageFile(
                processor_id=str(resource.processor),
                name=resource.path.rsplit("/", 1)[-1],
                url=uri + resource.path,
                bytes=resource.bytes,
                hash=resource.hash,
                format=resource.format or "",
                preview=_preview(resource, uri, boundary),
                empty=bool(resource.empty),
            )
            for resource in data
        ],
    )


def _preview(resource: Resource, uri: str, boundary: Boundary) -> FilePreview | None:
    record = resource.preview
    if record is None:
        return None
    return FilePreview(
        url=uri + record.path,
        bytes=record.bytes,
        legend=record.legend,
        bounds=preview_bounds(resource, boundary.geometry),
    )


def check_package(rt: Runtime, boundary_name: str) -> tuple[list[str], list[str]]:
    """Re-check every file's bytes and hash; return the problems and the notes found.

    Notes (GDAL sidecars beside the files) are worth telling, but not problems.
    """
    boundary_name = canonical_name(boundary_name)
    if not is_slug(boundary_name) or read_manifest(rt.storage, boundary_name) is None:
        raise NotFoundError(f"no package for boundary {boundary_name[:80]!r}")
    return validate_package(rt.storage, boundary_name), package_notes(rt.storage, boundary_name)


def package_zip(rt: Runtime, boundary_name: str) -> PackageArchive:
    """Return the whole package as a zip to stream (see :func:`package_archive`).

    Raises:
        NotFoundError: no package is published for this boundary (named in any case).
    """
    return package_archive(rt.storage, canonical_name(boundary_name))


def packages_version(rt: Runtime) -> int:
    """A number that changes, for every process, whenever a package is published,
    rebuilt or removed (``Counter.PACKAGES_VERSION``)."""
    with rt.database.read_connection() as connection:
        found = counters.read(connection, counters.Counter.PACKAGES_VERSION)
    return found[counters.Counter.PACKAGES_VERSION]


def mark_packages_changed(rt: Runtime) -> None:
    """Tell every API process that a package changed outside a run (``packages rebuild``)."""
    with rt.database.session() as session:
        counters.add(session, counters.Counter.PACKAGES_VERSION)
