"""Regenerating a package's ``datapackage.json`` from the data files on storage."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from autopkg import __version__
from autopkg.boundaries.boundary import Boundary
from autopkg.errors import AutopkgError, NotFoundError
from autopkg.packaging.layout import MANIFEST, PROVENANCE, data_path, package_key, parse_data_path
from autopkg.packaging.manifest import (
    Manifest,
    Resource,
    file_resource,
    replace_processor,
    utc_now_iso,
)
from autopkg.packaging.store import commit, hash_chunks, read_json
from autopkg.processors.base import Metadata
from autopkg.slugs import require_slug
from autopkg.storage.base import Storage

logger = logging.getLogger(__name__)

# Used only for files the old manifest does not describe.
_FORMATS = {
    "tif": ("GeoTIFF", "image/tiff; application=geotiff"),
    "tiff": ("GeoTIFF", "image/tiff; application=geotiff"),
    "gpkg": ("GeoPackage", "application/geopackage+sqlite3"),
    "parquet": ("GeoParquet", "application/vnd.apache.parquet"),
    "geojson": ("GeoJSON", "application/geo+json"),
    "csv": ("CSV", "text/csv"),
    "zip": ("ZIP", "application/zip"),
}


def rebuild_manifest(
    storage: Storage,
    boundary: Boundary,
    metadata_lookup: Callable[[str], Metadata | None],
    *,
    lock: AbstractContextManager[object],
) -> Manifest:
    """Regenerate and publish a boundary's ``datapackage.json`` from its data files.

    Every ``<boundary>/datasets/<name>/<version>/data/<file>`` on storage is re-hashed
    and described again: from ``metadata_lookup("<name>.<version>")`` when the
    processor is known (its dataset pages are re-rendered too), otherwise from the old
    manifest's entry for that file. Files described by neither are left out (and
    logged). Titles, formats and media types of files the old manifest described are
    kept. Pages, ``provenance.json`` and the manifest (last) are rewritten.

    Returns:
        The new manifest.

    Raises:
        NotFoundError: if no data file of the boundary can be described.
    """
    b = require_slug(boundary.name, "boundary name")
    with lock:
        old = _read_or_empty(storage, package_key(b, MANIFEST))
        previous: dict[str, Resource] = {
            r["path"]: r
            for r in old.get("resources", [])
            if isinstance(r, dict) and isinstance(r.get("path"), str)
        }
        groups: dict[str, list[str]] = {}
        for key in storage.list_keys(f"{b}/datasets/"):
            parsed = parse_data_path(key.removeprefix(f"{b}/"))
            if parsed is not None:
                groups.setdefault(f"{parsed[0]}.{parsed[1]}", []).append(parsed[2])
        manifest: Manifest = {**old, "resources": []}
        described = []
        entries = []
        now = utc_now_iso()
        old_provenance = _read_or_empty(storage, package_key(b, PROVENANCE)).get("processors", {})
        for processor_id, files in sorted(groups.items()):
            metadata = metadata_lookup(processor_id)
            resources = [
                resource
                for file_name in files
                if (resource := _describe(storage, b, processor_id, file_name, metadata, previous))
            ]
            if not resources:
                continue
            manifest = replace_processor(manifest, boundary, processor_id, resources)
            if metadata is not None:
                described.append(metadata)
            entries.append(
                _provenance(old_provenance.get(processor_id), processor_id, resources, now)
            )
        if not manifest["resources"]:
            raise NotFoundError(f"no data files of boundary {b!r} found on storage")
        commit(storage, boundary, manifest, described=described, entries=entries, now=now)
        return manifest


def _describe(
    storage: Storage,
    boundary_name: str,
    processor_id: str,
    file_name: str,
    metadata: Metadata | None,
    previous: dict[str, Resource],
) -> Resource | None:
    """Re-hash one stored file and describe it, or return ``None`` if it cannot be."""
    name, _, version = processor_id.partition(".")
    relative = data_path(name, version, file_name)
    old = previous.get(relative)
    if metadata is None:
        if old is None:
            logger.warning("rebuild: skipping %s (unknown processor %s)", relative, processor_id)
            return None
        size, digest = _hash_stored(storage, boundary_name, relative)
        return {**old, "bytes": size, "hash": f"sha256:{digest}"}
    size, digest = _hash_stored(storage, boundary_name, relative)
    ext = file_name.rpartition(".")[2].lower()
    guessed_format, guessed_type = _FORMATS.get(ext, (ext, "application/octet-stream"))
    return file_resource(
        metadata,
        file_name,
        format=(old or {}).get("format", guessed_format),
        mediatype=(old or {}).get("mediatype", guessed_type),
        size=size,
        sha256=digest,
        title=(old or {}).get("title", ""),
    )


def _hash_stored(storage: Storage, boundary_name: str, relative: str) -> tuple[int, str]:
    """Return the size and sha256 hex digest of a stored file, streamed once."""
    return hash_chunks(storage.iter_chunks(package_key(boundary_name, relative)))


def _read_or_empty(storage: Storage, key: str) -> dict[str, Any]:
    """Return the JSON object at ``key``; ``{}`` if it is missing or corrupt."""
    try:
        return read_json(storage, key) or {}
    except AutopkgError:
        logger.warning("rebuild: ignoring unreadable %s", key)
        return {}


def _provenance(
    old: dict[str, Any] | None, processor_id: str, resources: list[Resource], now: str
) -> dict[str, Any]:
    """Return a provenance record for rebuilt files, keeping what was known before."""
    files = [{"path": r["path"], "bytes": r["bytes"], "hash": r["hash"]} for r in resources]
    record = old or {"published_at": now, "autopkg_version": __version__, "sources": []}
    return {**record, "processor": processor_id, "files": files, "rebuilt_at": now}
