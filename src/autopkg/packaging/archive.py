"""A whole package as one zip, streamed from storage without a temporary file.

The archive holds exactly what the manifest describes: ``datapackage.json`` (its
stored bytes), the package pages and documents (``provenance.json``, ``CITATION.cff``,
``citation.bib``, ``citation.json``, ``boundary.geojson``, ``stac/collection.json``),
the pages and STAC Item of each processor the manifest names, and the data files it lists with their
previews. Nothing is found by listing
folders, so a stray file or a symlink beside them is never included, and every byte is read
through the :class:`~autopkg.storage.base.Storage` protocol, so S3 works alike.

Members are stored uncompressed (rasters and GeoPackages are compressed already;
pages are small), which makes the archive's length known before it is streamed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from zipstream import ZIP_STORED, ZipStream

from autopkg.errors import AutopkgError, NotFoundError
from autopkg.packaging.layout import MANIFEST, package_key
from autopkg.packaging.manifest import load_manifest
from autopkg.packaging.members import data_resources, document_paths, placed_preview
from autopkg.packaging.summary import summary_documents
from autopkg.slugs import is_slug
from autopkg.storage.base import Storage


@dataclass(frozen=True)
class PackageArchive:
    """A zip being streamed: its chunks (iterate once) and its total length in bytes."""

    chunks: Iterable[bytes]
    size: int


def package_archive(storage: Storage, boundary_name: str) -> PackageArchive:
    """Prepare the zip of a boundary's published package, members under ``<boundary>/``.

    The manifest is read once, here, so a publish running meanwhile cannot mix two
    versions of the file list into one archive; a member whose size on storage no
    longer matches stops the stream with an error rather than yield a corrupt zip.

    Raises:
        NotFoundError: no package is published for this boundary.
        AutopkgError: the stored manifest is not a manifest.
    """
    raw = (
        storage.get_bytes(package_key(boundary_name, MANIFEST)) if is_slug(boundary_name) else None
    )
    if raw is None:
        raise NotFoundError(f"no package for boundary {boundary_name[:80]!r}")
    manifest = load_manifest(raw, f"{boundary_name}/{MANIFEST}")
    resources = data_resources(manifest)
    archive = ZipStream(compress_type=ZIP_STORED, sized=True)
    prefix = f"{boundary_name}/"
    archive.add(raw, prefix + MANIFEST)
    for relative in [*document_paths(resources), *summary_documents(manifest)]:
        size = storage.size(package_key(boundary_name, relative))
        if size is not None:
            _add(archive, storage, prefix + relative, size)
    for resource in resources:
        _add(archive, storage, prefix + resource.path, resource.bytes)
        preview = placed_preview(resource)
        if preview is not None:
            _add(archive, storage, prefix + preview.path, preview.bytes)
    return PackageArchive(chunks=archive, size=len(archive))


def _add(archive: ZipStream, storage: Storage, key: str, size: int) -> None:
    archive.add(_read_exactly(storage, key, size), key, size=size)


def _read_exactly(storage: Storage, key: str, size: int) -> Iterator[bytes]:
    """Stream ``key`` (opened only when the zip reaches it), checking its length."""
    read = 0
    for chunk in storage.iter_chunks(key):
        read += len(chunk)
        yield chunk
    if read != size:
        raise AutopkgError(f"{key} changed while the package was being zipped")
