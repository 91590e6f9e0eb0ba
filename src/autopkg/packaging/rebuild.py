"""Regenerating a package's ``datapackage.json`` from the data files on storage."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autopkg import __version__
from autopkg.domain.boundary import Boundary
from autopkg.domain.metadata import Metadata
from autopkg.errors import AutopkgError, NotFoundError
from autopkg.packaging.georef import has_georef, read_georef
from autopkg.packaging.layout import (
    MANIFEST,
    PROVENANCE,
    data_path,
    package_key,
    parse_data_path,
    preview_path,
)
from autopkg.packaging.manifest import (
    EMPTY_KEY,
    Manifest,
    Resource,
    file_resource,
    parse_resource,
    replace_processor,
    utc_now_iso,
    with_preview,
)
from autopkg.packaging.provenance import file_records
from autopkg.packaging.store import commit, hash_chunks, read_json, read_manifest
from autopkg.packaging.summary import recorded_thresholds, with_summary
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
    package_url: str = "",
) -> Manifest:
    """Regenerate and publish a boundary's ``datapackage.json`` from its data files.

    Every ``<boundary>/datasets/<name>/<version>/data/<file>`` on storage is re-hashed
    and described again, with its preview when a record of it survives and the PNG is
    still stored: from ``metadata_lookup("<name>.<version>")`` when the
    processor is known (its dataset pages are re-rendered too), otherwise from the old
    manifest's entry for that file. A file's format, media type, title and empty flag
    are those the old manifest gave it, or else those ``provenance.json`` recorded
    when it was published; so are its CRS and grid while its bytes are unchanged (they
    are read from the file again when not). An unchanged package is rebuilt exactly as
    it was apart from ``version`` (a patch release of the old one, which is kept under
    ``versions/``) and ``created``. When the
    old manifest or provenance names any file of a processor, files of it that neither
    names are left out (a failed run's leftovers), as are files nothing can describe
    (logged).
    The summary is computed again from the described files, at the thresholds the old
    manifest records. Pages, ``provenance.json``, the citations (giving ``package_url``
    as the package's URL when it is known), the STAC catalogue and the manifest (last)
    are rewritten.

    Returns:
        The new manifest.

    Raises:
        NotFoundError: if no data file of the boundary can be described.
    """
    b = require_slug(boundary.name, "boundary name")
    with lock:
        old = _read_old_manifest(storage, b)
        previous = {r.path: r for r in old.resources} if old is not None else {}
        groups: dict[str, list[str]] = {}
        for key in storage.list_keys(f"{b}/datasets/"):
            parsed = parse_data_path(key.removeprefix(f"{b}/"))
            if parsed is not None:
                groups.setdefault(f"{parsed[0]}.{parsed[1]}", []).append(parsed[2])
        manifest = old.model_copy(update={"resources": ()}) if old is not None else None
        described = []
        entries = []
        now = utc_now_iso()
        old_provenance = _read_or_empty(storage, package_key(b, PROVENANCE)).get("processors", {})
        for processor_id, files in sorted(groups.items()):
            metadata = metadata_lookup(processor_id)
            known = _known_files(processor_id, previous, old_provenance.get(processor_id))
            resources = [
                resource
                for file_name in files
                if (resource := _describe(storage, b, processor_id, file_name, metadata, known))
            ]
            if not resources:
                continue
            manifest = replace_processor(manifest, boundary, processor_id, resources)
            if metadata is not None:
                described.append(metadata)
            entries.append(
                _provenance(old_provenance.get(processor_id), processor_id, resources, now)
            )
        if manifest is None or not manifest.resources:
            raise NotFoundError(f"no data files of boundary {b!r} found on storage")
        manifest = with_summary(storage, boundary, manifest, recorded_thresholds(old))
        # Nothing on storage but the summary is overwritten, and it is computed from the
        # same files, so the version it replaces keeps its paths.
        return commit(
            storage,
            boundary,
            manifest,
            described=described,
            entries=entries,
            now=now,
            previous=old,
            package_url=package_url,
        )


@dataclass(frozen=True)
class _Known:
    """What the old manifest and provenance say about one processor's files."""

    resources: dict[str, Resource]
    #: The file records of ``provenance.json``, read as resources (their ``name`` empty).
    recorded: dict[str, Resource]

    def includes(self, relative: str) -> bool:
        """Whether any record names the file (``True`` for all when nothing is known)."""
        if not self.resources and not self.recorded:
            return True
        return relative in self.resources or relative in self.recorded


def _known_files(processor_id: str, previous: dict[str, Resource], provenance: Any) -> _Known:
    """Collect the old manifest's resources and provenance's file records of a processor."""
    files = provenance.get("files", []) if isinstance(provenance, dict) else []
    recorded = {}
    for f in files:
        if not isinstance(f, dict):
            continue
        # Provenance says "empty" where the manifest says autopkg:empty.
        try:
            record = parse_resource({"name": "", **f, EMPTY_KEY: f.get("empty")}, "a file record")
        except AutopkgError:
            logger.warning("rebuild: ignoring an unreadable file record of %s", processor_id)
            continue
        recorded[record.path] = record
    return _Known(
        resources={path: r for path, r in previous.items() if r.processor == processor_id},
        recorded=recorded,
    )


def _describe(
    storage: Storage,
    boundary_name: str,
    processor_id: str,
    file_name: str,
    metadata: Metadata | None,
    known: _Known,
) -> Resource | None:
    """Re-hash one stored file and describe it, or return ``None`` if it cannot be."""
    name, _, version = processor_id.partition(".")
    relative = data_path(name, version, file_name)
    if not known.includes(relative):
        logger.warning("rebuild: skipping %s (not in the manifest or provenance)", relative)
        return None
    old = known.resources.get(relative)
    if metadata is None:
        if old is None:
            logger.warning("rebuild: skipping %s (unknown processor %s)", relative, processor_id)
            return None
        size, digest = _hash_stored(storage, boundary_name, relative)
        cleared = {"preview": None, "crs": None, "grid": None}
        resource = old.model_copy(update={"bytes": size, "hash": f"sha256:{digest}", **cleared})
        resource = _georef(storage, boundary_name, resource, old)
        return _with_stored_preview(storage, boundary_name, resource, old)
    size, digest = _hash_stored(storage, boundary_name, relative)
    ext = file_name.rpartition(".")[2].lower()
    guessed_format, guessed_type = _FORMATS.get(ext, (ext, "application/octet-stream"))
    description = old or known.recorded.get(relative)
    resource = file_resource(
        metadata,
        file_name,
        format=_or(description.format if description else None, guessed_format),
        mediatype=_or(description.mediatype if description else None, guessed_type),
        size=size,
        sha256=digest,
        title=(description.title if description else None) or "",
        empty=bool(description and description.empty),
        # What made the file still describes it only if its bytes are unchanged.
        inputs=description.inputs
        if description is not None and description.hash == f"sha256:{digest}"
        else None,
    )
    resource = _georef(storage, boundary_name, resource, description)
    return _with_stored_preview(storage, boundary_name, resource, description)


def _or(recorded: str | None, guessed: str) -> str:
    """The recorded value when there is one, else the guess from the file's extension."""
    return guessed if recorded is None else recorded


def _georef(
    storage: Storage, boundary_name: str, resource: Resource, description: Resource | None
) -> Resource:
    """Return ``resource`` with its CRS and grid: recorded ones if its bytes are unchanged.

    Otherwise they are read again from a temporary copy of the stored file, which costs
    a second read of it, so only a changed or undescribed file pays it.
    """
    if description is not None and description.hash == resource.hash and description.crs:
        return resource.model_copy(update={"crs": description.crs, "grid": description.grid})
    if not has_georef(str(resource.mediatype)):
        return resource
    relative = resource.path
    suffix = Path(relative).suffix
    with tempfile.TemporaryDirectory(prefix="autopkg-rebuild-") as folder:
        copy = Path(folder) / f"file{suffix}"
        with copy.open("wb") as handle:
            for chunk in storage.iter_chunks(package_key(boundary_name, relative)):
                handle.write(chunk)
        georef = read_georef(copy, str(resource.mediatype))
    return georef.on(resource) if georef is not None else resource


def _with_stored_preview(
    storage: Storage, boundary_name: str, resource: Resource, description: Resource | None
) -> Resource:
    """Return ``resource`` with the preview ``description`` recorded, re-hashed from storage.

    The legend is not in the PNG, so a preview with no surviving record, or whose PNG
    is gone, is left out (and deleted as stale when the processor is published again).
    """
    recorded = description.preview if description is not None else None
    name, _, version = str(resource.processor).partition(".")
    expected = preview_path(name, version, resource.path.rsplit("/", 1)[-1])
    if recorded is None or recorded.path != expected:
        return resource
    if storage.size(package_key(boundary_name, expected)) is None:
        logger.warning("rebuild: %s has lost its preview %s", resource.path, expected)
        return resource
    size, digest = _hash_stored(storage, boundary_name, expected)
    return with_preview(resource, size=size, sha256=digest, legend=recorded.legend)


def _hash_stored(storage: Storage, boundary_name: str, relative: str) -> tuple[int, str]:
    """Return the size and sha256 hex digest of a stored file, streamed once."""
    return hash_chunks(storage.iter_chunks(package_key(boundary_name, relative)))


def _read_old_manifest(storage: Storage, boundary_name: str) -> Manifest | None:
    """Return the stored manifest; ``None`` if it is missing or unreadable."""
    try:
        return read_manifest(storage, boundary_name)
    except AutopkgError:
        logger.warning("rebuild: ignoring unreadable %s", package_key(boundary_name, MANIFEST))
        return None


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
    record = old or {"published_at": now, "autopkg_version": __version__, "sources": []}
    files = file_records(resources)
    return {**record, "processor": processor_id, "files": files, "rebuilt_at": now}
