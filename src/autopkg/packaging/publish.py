"""Publishing a processor's files into a package on storage, atomically.

Holding the boundary's lock, the data files are uploaded (each write is atomic), the
manifest is merged, pages and provenance are written and ``datapackage.json`` is
written **last**: that write is the commit point. Readers therefore never see a
manifest that names a missing or half-written file. Files of the processor that the
new manifest no longer names are deleted afterwards.

The caller's ``lock`` serialises publications for one boundary (the job engine's is
a database lock that holds across machines). Callers must also never publish the
*same* processor for one boundary twice at once, which the job engine's run lease and
its check just before publishing guarantee.

This module is also the entry point for the package maintenance functions
(:func:`read_manifest`, :func:`rebuild_manifest`, :func:`validate_package`,
:func:`package_notes`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path
from typing import Any

from autopkg.domain.boundary import Boundary
from autopkg.domain.metadata import Metadata
from autopkg.domain.outputs import OutputFile
from autopkg.domain.sources import FetchedSource
from autopkg.errors import ProcessorError
from autopkg.packaging.georef import Georef, read_georef
from autopkg.packaging.inputs import Inputs
from autopkg.packaging.layout import data_path, package_key, preview_path
from autopkg.packaging.manifest import (
    PNG_MEDIATYPE,
    Manifest,
    Resource,
    file_resource,
    merge,
    stored_records,
    utc_now_iso,
    with_preview,
)
from autopkg.packaging.preview import Preview, render_preview
from autopkg.packaging.provenance import processor_entry
from autopkg.packaging.rebuild import rebuild_manifest
from autopkg.packaging.store import (
    commit,
    delete_stale,
    file_chunks,
    hash_chunks,
    listed_paths,
    read_manifest,
)
from autopkg.packaging.summary import SummaryRequest, summarised
from autopkg.packaging.validation import package_notes, validate_package
from autopkg.packaging.versions import discard, preserve
from autopkg.slugs import require_slug
from autopkg.storage.base import Storage

__all__ = [
    "package_notes",
    "publish_processor",
    "publish_summary",
    "read_manifest",
    "rebuild_manifest",
    "validate_package",
]


def publish_processor(
    storage: Storage,
    boundary: Boundary,
    metadata: Metadata,
    outputs: Sequence[OutputFile],
    *,
    lock: AbstractContextManager[object],
    inputs: Inputs | None = None,
    fetched: Sequence[FetchedSource] = (),
    notes: Mapping[str, Any] | None = None,
    before_commit: Callable[[], None] = lambda: None,
    package_url: str = "",
    summary: SummaryRequest = None,
) -> list[Resource]:
    """Publish one processor's output files into the boundary's package.

    Inside ``lock``: ``before_commit`` runs
    (the job engine checks there that the run is still its own, and raises if not, so
    a cancelled or taken-over run publishes nothing); the files are uploaded to
    ``<boundary>/datasets/<name>/<version>/data/<file>``, hashed (sha256) as they are
    sent, so each is read once; the processor's resources
    (each recording ``inputs``, without which they are never current) replace any it
    had before, each GeoTIFF and GeoPackage with its CRS (and a raster's grid, see
    :mod:`~autopkg.packaging.georef`) and a preview PNG (both read before the lock
    is taken, see :mod:`~autopkg.packaging.preview`); its dataset pages, the
    package pages and ``provenance.json`` (with the ``fetched`` sources and the run's
    ``notes`` on them) are rewritten and ``datapackage.json`` is written last, as the
    package's next version. Before the pages, the package's summary is computed again
    from the files the new manifest lists (``summary``: thresholds over those recorded,
    or ``False`` for none; see :mod:`~autopkg.packaging.summary`). Files of the
    processor that this publication replaces or removes are first copied under
    ``versions/`` (see :mod:`~autopkg.packaging.versions`); those the
    new manifest does not name are then deleted. If an upload fails, the files uploaded
    so far that the old manifest does not name are deleted again, as are the copies, so
    a failed publication leaves nothing new visible. ``package_url``, when the
    deployment knows where packages are served, is the package's URL in its citation
    files.

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
    names = [out.path.name for out in outputs]
    for name in names:
        _check_file_name(metadata, boundary, name)
    if len(set(names)) != len(names):
        raise ProcessorError(f"{metadata.id} produced two files with the same name")
    rendered = [render_preview(out.path, out.mediatype, boundary.geometry) for out in outputs]
    georefs = [read_georef(out.path, out.mediatype) for out in outputs]
    with lock:
        before_commit()
        previous = read_manifest(storage, boundary.name)
        superseded = _superseded(previous, metadata, outputs, rendered)
        moved = (
            preserve(storage, boundary.name, previous, superseded) if previous is not None else {}
        )
        try:
            resources = _upload(
                storage, boundary.name, metadata, outputs, rendered, georefs, previous, inputs
            )
        except BaseException:
            if previous is not None:
                discard(storage, boundary.name, previous, moved)
            raise
        local = {data_path(metadata.name, metadata.version, o.path.name): o.path for o in outputs}
        manifest = summarised(
            storage,
            boundary,
            merge(previous, boundary, metadata, resources),
            summary,
            previous=previous,
            local=local,
        )
        now = utc_now_iso()
        attributes = {out.path.name: out.attributes for out in outputs}
        entry = processor_entry(
            metadata.id, resources, fetched, published_at=now, attributes=attributes, notes=notes
        )
        manifest = commit(
            storage,
            boundary,
            manifest,
            described=[metadata],
            entries=[entry],
            now=now,
            previous=previous,
            moved=moved,
            package_url=package_url,
        )
        delete_stale(storage, boundary.name, manifest, [metadata.id])
    return [r for r in manifest.resources if r.processor == metadata.id]


def publish_summary(
    storage: Storage,
    boundary: Boundary,
    *,
    lock: AbstractContextManager[object],
    summary: SummaryRequest,
    described: Callable[[Manifest], Sequence[Metadata]],
    before_commit: Callable[[], None] = lambda: None,
    package_url: str = "",
) -> Manifest | None:
    """Compute the package's summary again (``summary`` as for :func:`publish_processor`)
    and publish it as the package's next version; no data file is written.

    Inside ``lock``, after ``before_commit``: the rows of files and thresholds that are
    unchanged are kept, the rest computed; the pages of ``described(manifest)`` (the
    processors whose dataset pages show summary rows), the package pages and documents
    are rewritten and ``datapackage.json`` last.

    Returns:
        The new manifest, or ``None`` when the boundary has no package (nothing is written).
    """
    require_slug(boundary.name, "boundary name")
    with lock:
        before_commit()
        previous = read_manifest(storage, boundary.name)
        if previous is None:
            return None
        manifest = summarised(storage, boundary, previous, summary, previous=previous)
        return commit(
            storage,
            boundary,
            manifest,
            described=described(manifest),
            entries=[],
            now=utc_now_iso(),
            previous=previous,
            package_url=package_url,
        )


def _superseded(
    previous: Manifest | None,
    metadata: Metadata,
    outputs: Sequence[OutputFile],
    rendered: Sequence[Preview | None],
) -> dict[str, str]:
    """Return ``{path: hash}`` of the processor's published files this publication replaces.

    A file is replaced when the new outputs do not name it, or name it with other
    bytes: another size or, for the same size, another sha256 (so a local output is
    read again only when its size matches). Those files are kept under ``versions/``
    before anything is overwritten.
    """
    planned: dict[str, tuple[int, Callable[[], tuple[int, str]]]] = {}
    for out, preview in zip(outputs, rendered, strict=True):
        relative = data_path(metadata.name, metadata.version, out.path.name)
        planned[relative] = (out.path.stat().st_size, partial(_hash_file, out.path))
        if preview is not None:
            image = preview_path(metadata.name, metadata.version, out.path.name)
            planned[image] = (len(preview.png), partial(hash_chunks, [preview.png]))
    superseded = {}
    published = previous.resources if previous is not None else ()
    for record in stored_records(r for r in published if r.processor == metadata.id):
        size, digest = planned.get(record.path, (None, None))
        if size != record.bytes or digest is None or f"sha256:{digest()[1]}" != record.hash:
            superseded[record.path] = record.hash
    return superseded


def _hash_file(path: Path) -> tuple[int, str]:
    """Return the size and sha256 of a local file."""
    return hash_chunks(file_chunks(path))


def _upload(
    storage: Storage,
    boundary_name: str,
    metadata: Metadata,
    outputs: Sequence[OutputFile],
    rendered: Sequence[Preview | None],
    georefs: Sequence[Georef | None],
    previous: Manifest | None,
    inputs: Inputs | None,
) -> list[Resource]:
    """Upload the outputs (hashed as they are sent) and their previews; describe them.

    On failure the new files the old manifest does not name are removed again.
    """
    listed = set(listed_paths(previous.resources if previous is not None else ()))
    uploaded: list[str] = []
    resources: list[Resource] = []
    try:
        for out, preview, georef in zip(outputs, rendered, georefs, strict=True):
            relative = data_path(metadata.name, metadata.version, out.path.name)
            written = storage.put_file(
                out.path, package_key(boundary_name, relative), out.mediatype
            )
            uploaded.append(relative)
            resource = file_resource(
                metadata,
                out.path.name,
                format=out.format,
                mediatype=out.mediatype,
                size=written.size,
                sha256=written.sha256,
                title=out.title,
                empty=out.empty,
                inputs=inputs,
            )
            if georef is not None:
                resource = georef.on(resource)
            if preview is not None:
                size, digest = hash_chunks([preview.png])
                resource = with_preview(resource, size=size, sha256=digest, legend=preview.legend)
                image = preview_path(metadata.name, metadata.version, out.path.name)
                storage.put_bytes(preview.png, package_key(boundary_name, image), PNG_MEDIATYPE)
                uploaded.append(image)
            resources.append(resource)
    except BaseException:
        for relative in uploaded:
            if relative not in listed:
                storage.delete(package_key(boundary_name, relative))
        raise
    return resources


def _check_file_name(metadata: Metadata, boundary: Boundary, file_name: str) -> None:
    """Refuse a file name that is not ``<name>-<version>[-<sub>]-<boundary>.<ext>``."""
    head, tail = f"{metadata.name}-{metadata.version}", f"-{boundary.name}"
    # <sub> is a source file's stem (docs/contract.md): [a-z0-9._-], at most 200 characters.
    match = re.fullmatch(
        rf"{re.escape(head)}(?:-(?P<sub>[a-z0-9][a-z0-9._-]{{0,199}}))?{re.escape(tail)}"
        r"\.[a-z0-9]+(?:\.[a-z0-9]+)*",
        file_name,
    )
    if match is None:
        raise ProcessorError(
            f"output file {file_name!r} of {metadata.id} is not named '{head}[-<sub>]{tail}.<ext>'"
        )
