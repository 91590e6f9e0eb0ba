"""Reading and writing a package's documents on storage.

:func:`commit` is the single place that writes ``datapackage.json``, always after
every page and ``provenance.json`` it describes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from autopkg.domain.boundary import Boundary
from autopkg.domain.metadata import Metadata
from autopkg.errors import AutopkgError
from autopkg.packaging.citation import package_citation
from autopkg.packaging.citation_bib import citation_bib
from autopkg.packaging.citation_cff import citation_cff
from autopkg.packaging.citation_csl import citation_csl
from autopkg.packaging.extent import boundary_feature_collection
from autopkg.packaging.layout import (
    BOUNDARY,
    CITATION_BIB,
    CITATION_CFF,
    CITATION_JSON,
    DATA,
    MANIFEST,
    PREVIEWS,
    PROVENANCE,
    STAC,
    SUMMARY_CSV,
    dataset_dir,
    package_key,
)
from autopkg.packaging.manifest import (
    Manifest,
    Resource,
    load_manifest,
    manifest_bytes,
    stored_records,
)
from autopkg.packaging.pages import render_dataset_pages, render_package_pages
from autopkg.packaging.provenance import update_provenance
from autopkg.packaging.stac import stac_documents
from autopkg.packaging.versions import archive, kept_versions, stamp
from autopkg.slugs import is_slug, require_slug
from autopkg.storage.base import Storage
from autopkg.summary.table import Row, from_csv

JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
GEOJSON_TYPE = "application/geo+json"
CFF_TYPE = "application/yaml"
BIBTEX_TYPE = "application/x-bibtex; charset=utf-8"
CSL_TYPE = "application/vnd.citationstyles.csl+json"


def read_manifest(storage: Storage, boundary_name: str) -> Manifest | None:
    """Return the stored ``datapackage.json`` of a boundary, or ``None`` if unpublished.

    Raises:
        InvalidInputError: if ``boundary_name`` is not a slug.
        AutopkgError: if the stored manifest is not a JSON object, or not a manifest.
    """
    key = package_key(require_slug(boundary_name, "boundary name"), MANIFEST)
    data = storage.get_bytes(key)
    return load_manifest(data, key) if data is not None else None


def list_packages(storage: Storage) -> list[str]:
    """Return the sorted names of the boundary folders holding a ``datapackage.json``.

    Whatever put them on storage: a package copied there by hand is listed too.
    """
    return sorted(
        name
        for name in storage.list_folders()
        if is_slug(name) and storage.size(package_key(name, MANIFEST)) is not None
    )


def published_bytes(storage: Storage, boundary_names: Iterable[str]) -> int:
    """Return the bytes of every file the manifests of ``boundary_names`` list.

    The data files and the summary tables: what a download of the packages weighs.
    """
    total = 0
    for name in boundary_names:
        manifest = read_manifest(storage, name)
        total += sum(r.bytes for r in manifest.resources) if manifest is not None else 0
    return total


def read_json(storage: Storage, key: str) -> dict[str, Any] | None:
    """Return the JSON object stored at ``key``, or ``None`` if there is none.

    Raises:
        AutopkgError: if the stored bytes are not a JSON object.
    """
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


def commit(
    storage: Storage,
    boundary: Boundary,
    manifest: Manifest,
    *,
    described: Iterable[Metadata],
    entries: Iterable[dict[str, Any]],
    now: str,
    previous: Manifest | None,
    moved: Mapping[str, str] = MappingProxyType({}),
    package_url: str = "",
) -> Manifest:
    """Write pages and documents for ``manifest``, then the manifest itself (last).

    The manifest is a new version of the package (see :mod:`~autopkg.packaging.versions`):
    it gets its ``version`` and ``created`` (``now``) first, and ``previous``, the
    manifest it replaces, is kept under ``versions/`` with the files in ``moved``
    (``{path: hash}``, copied there by the caller before they were overwritten or
    deleted) repointed to their copies.

    The documents are ``provenance.json``, the citations (``CITATION.cff``,
    ``citation.bib``, ``citation.json``; they give ``package_url`` as the package's
    URL when it is known), the boundary (``boundary.geojson``) and the STAC catalogue
    (``stac/``, see :mod:`~autopkg.packaging.stac`). ``described`` are the
    processors whose dataset pages are (re)rendered; ``entries`` are their new
    provenance records. Records and STAC Items of processors no longer in the manifest
    are dropped, the Items after the manifest is written.
    """
    b = boundary.name
    manifest = stamp(previous, manifest, now)
    if previous is not None:
        archive(storage, b, previous, moved)
    kept = {r.processor for r in manifest.resources if r.processor is not None}
    provenance = read_json(storage, package_key(b, PROVENANCE))
    for entry in entries:
        provenance = update_provenance(provenance, b, entry, keep=kept, updated=now)
    summary = _summary_rows(storage, b, manifest)
    pages: dict[str, str] = {}
    for metadata in described:
        pages.update(render_dataset_pages(boundary, manifest, metadata, summary))
    versions = kept_versions(storage, b)
    pages.update(render_package_pages(boundary, manifest, provenance or {}, versions, summary))
    for relative, html in pages.items():
        storage.put_bytes(html.encode(), package_key(b, relative), HTML_TYPE)
    storage.put_bytes(json_bytes(provenance), package_key(b, PROVENANCE), JSON_TYPE)
    citation = package_citation(manifest, package_url)
    storage.put_bytes(citation_cff(citation).encode(), package_key(b, CITATION_CFF), CFF_TYPE)
    storage.put_bytes(citation_bib(citation).encode(), package_key(b, CITATION_BIB), BIBTEX_TYPE)
    storage.put_bytes(json_bytes(citation_csl(citation)), package_key(b, CITATION_JSON), CSL_TYPE)
    # Compact: an indented boundary of 10m Natural Earth would be several times larger.
    extent = json.dumps(boundary_feature_collection(boundary), separators=(",", ":"))
    storage.put_bytes(extent.encode(), package_key(b, BOUNDARY), GEOJSON_TYPE)
    catalogue = stac_documents(boundary, manifest, provenance or {})
    for relative, document in catalogue.items():
        # Compact too: each Item carries the boundary (Russia's is 260 KB so, 620 KB
        # indented).
        data = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
        storage.put_bytes(data, package_key(b, relative), JSON_TYPE)
    storage.put_bytes(manifest_bytes(manifest), package_key(b, MANIFEST), JSON_TYPE)
    for key in storage.list_keys(package_key(b, f"{STAC}/")):
        if key.removeprefix(package_key(b, "")) not in catalogue:
            storage.delete(key)
    return manifest


def _summary_rows(storage: Storage, boundary_name: str, manifest: Manifest) -> list[Row]:
    """The rows of the summary ``manifest`` lists (written just before), for the pages."""
    if not any(r.path == SUMMARY_CSV for r in manifest.resources):
        return []
    data = storage.get_bytes(package_key(boundary_name, SUMMARY_CSV))
    return from_csv(data) if data is not None else []


def delete_stale(
    storage: Storage, boundary_name: str, manifest: Manifest, processor_ids: Iterable[str]
) -> list[str]:
    """Delete data files and previews of ``processor_ids`` that ``manifest`` does not list.

    Returns:
        The deleted keys.
    """
    referenced = {package_key(boundary_name, path) for path in listed_paths(manifest.resources)}
    deleted = []
    for processor_id in processor_ids:
        name, _, version = processor_id.partition(".")
        for folder in (DATA, PREVIEWS):
            prefix = package_key(boundary_name, f"{dataset_dir(name, version)}/{folder}/")
            for key in storage.list_keys(prefix):
                if key not in referenced:
                    storage.delete(key)
                    deleted.append(key)
    return deleted


def listed_paths(resources: Iterable[Resource]) -> list[str]:
    """Return the paths of the files ``resources`` name: each file, then its preview."""
    return [record.path for record in stored_records(resources)]


def file_chunks(path: Path, chunk_size: int = 1 << 20) -> Iterator[bytes]:
    """Yield a local file's bytes chunk by chunk."""
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            yield chunk


def hash_chunks(chunks: Iterable[bytes]) -> tuple[int, str]:
    """Return the total size and sha256 hex digest of a stream of chunks."""
    digest, size = hashlib.sha256(), 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def json_bytes(value: object) -> bytes:
    """Serialise ``value`` as indented UTF-8 JSON with a final newline."""
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()
