"""Publishing a processor's files into a package on storage, atomically.

Data files are uploaded first (each write is atomic), then, holding the boundary's
lock, the manifest is merged, pages and provenance are written and
``datapackage.json`` is written **last**: that write is the commit point. Readers
therefore never see a manifest that names a missing or half-written file. Files of
the processor that the new manifest no longer names are deleted afterwards.

The caller's ``lock`` serialises publications for one boundary (a
:class:`threading.Lock` in one process, a database lease across machines); callers
must also never publish the *same* processor for one boundary twice at once, which
the job engine's run lease guarantees.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from autopkg.boundaries.boundary import Boundary
from autopkg.errors import AutopkgError, ProcessorError
from autopkg.packaging.layout import MANIFEST, PROVENANCE, data_path, dataset_dir, package_key
from autopkg.packaging.manifest import Manifest, Resource, file_resource, merge, utc_now_iso
from autopkg.packaging.pages import render_dataset_pages, render_package_pages
from autopkg.packaging.provenance import processor_entry, update_provenance
from autopkg.processors.base import Metadata, OutputFile, Source
from autopkg.slugs import is_slug, require_slug
from autopkg.storage.base import Storage

JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
_EXTENSION = re.compile(r"^[a-z0-9]+(\.[a-z0-9]+)*$")


def read_manifest(storage: Storage, boundary_name: str) -> Manifest | None:
    """Return the stored ``datapackage.json`` of a boundary, or ``None`` if unpublished.

    Raises:
        AutopkgError: if the stored manifest is not a JSON object.
    """
    return _read_json(storage, package_key(require_slug(boundary_name, "boundary name"), MANIFEST))


def publish_processor(
    storage: Storage,
    boundary: Boundary,
    metadata: Metadata,
    outputs: Sequence[OutputFile],
    *,
    lock: AbstractContextManager[object],
    sources: Sequence[Source] = (),
) -> list[Resource]:
    """Publish one processor's output files into the boundary's package.

    Each output is uploaded to ``<boundary>/datasets/<name>/<version>/data/<file>``
    and hashed (sha256) on the way; then, inside ``lock``, the processor's resources
    replace any it had before, the pages and ``provenance.json`` are rewritten and
    ``datapackage.json`` is written last. Stale files of the processor are removed.

    Returns:
        The processor's resources as written to the manifest.

    Raises:
        ProcessorError: if there are no outputs, two outputs share a file name, or a
            file name does not follow ``<name>-<version>[-<sub>]-<boundary>.<ext>``.
        InvalidInputError: if the boundary name is not a slug.
    """
    require_slug(boundary.name, "boundary name")
    if not outputs:
        raise ProcessorError(f"{metadata.id} produced no files to publish")
    names = [_check_file_name(metadata, boundary, out.path.name) for out in outputs]
    if len(set(names)) != len(names):
        raise ProcessorError(f"{metadata.id} produced two files with the same name")
    resources = []
    for out in outputs:
        relative = data_path(metadata.name, metadata.version, out.path.name)
        size, digest = _hash_file(out.path)
        storage.put_file(out.path, package_key(boundary.name, relative), out.mediatype)
        resources.append(
            file_resource(
                metadata,
                out.path.name,
                format=out.format,
                mediatype=out.mediatype,
                size=size,
                sha256=digest,
                title=out.title,
            )
        )
    with lock:
        manifest = merge(read_manifest(storage, boundary.name), boundary, metadata, resources)
        now = utc_now_iso()
        entry = processor_entry(metadata.id, resources, sources, published_at=now)
        _commit(storage, boundary, manifest, [metadata], [entry], now)
        _delete_stale(storage, boundary.name, manifest, [metadata.id])
    return [r for r in manifest["resources"] if r["autopkg:processor"] == metadata.id]


def _commit(
    storage: Storage,
    boundary: Boundary,
    manifest: Manifest,
    described: Iterable[Metadata],
    entries: Iterable[dict[str, Any]],
    now: str,
) -> None:
    """Write dataset pages, package pages, provenance and, last, the manifest."""
    b = boundary.name
    kept = {r["autopkg:processor"] for r in manifest["resources"]}
    provenance = _read_json(storage, package_key(b, PROVENANCE))
    for entry in entries:
        provenance = update_provenance(provenance, b, entry, keep=kept, updated=now)
    pages: dict[str, str] = {}
    for metadata in described:
        pages.update(render_dataset_pages(boundary, manifest, metadata))
    pages.update(render_package_pages(boundary, manifest, provenance or {}))
    for relative, html in pages.items():
        storage.put_bytes(html.encode(), package_key(b, relative), HTML_TYPE)
    storage.put_bytes(_json_bytes(provenance), package_key(b, PROVENANCE), JSON_TYPE)
    storage.put_bytes(_json_bytes(manifest), package_key(b, MANIFEST), JSON_TYPE)


def _delete_stale(
    storage: Storage, boundary_name: str, manifest: Manifest, processor_ids: Iterable[str]
) -> None:
    """Delete data files of ``processor_ids`` that ``manifest`` no longer references."""
    referenced = {package_key(boundary_name, r["path"]) for r in manifest["resources"]}
    for processor_id in processor_ids:
        name, _, version = processor_id.partition(".")
        prefix = package_key(boundary_name, f"{dataset_dir(name, version)}/data/")
        for key in storage.list_keys(prefix):
            if key not in referenced:
                storage.delete(key)


def _check_file_name(metadata: Metadata, boundary: Boundary, file_name: str) -> str:
    """Return ``file_name`` if it is ``<name>-<version>[-<sub>]-<boundary>.<ext>``."""
    stem, _, ext = file_name.partition(".")
    head, tail = f"{metadata.name}-{metadata.version}", f"-{boundary.name}"
    sub = stem.removeprefix(head + "-").removesuffix(tail) if len(stem) > len(head) else ""
    well_formed = (
        _EXTENSION.fullmatch(ext) is not None
        and stem.startswith(head)
        and stem.endswith(tail)
        and (stem == head + tail or (stem == f"{head}-{sub}{tail}" and is_slug(sub)))
    )
    if not well_formed:
        raise ProcessorError(
            f"output file {file_name!r} of {metadata.id} is not named "
            f"'{head}[-<sub>]{tail}.<ext>'"
        )
    return file_name


def _hash_file(path: Path) -> tuple[int, str]:
    """Return the size and sha256 hex digest of a local file, read once in chunks."""
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _read_json(storage: Storage, key: str) -> dict[str, Any] | None:
    """Return the JSON object stored at ``key``, or ``None`` if there is none."""
    data = storage.get_bytes(key)
    if data is None:
        return None
    try:
        value = json.loads(data)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise AutopkgError(f"{key} is not a JSON object; run 'autopkg packages rebuild'")
    return value


def _json_bytes(value: object) -> bytes:
    """Serialise ``value`` as indented UTF-8 JSON with a final newline."""
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()
