"""Package versions: every publication is one, and the earlier ones stay readable.

A package changes whenever a processor is published, re-run or rebuilt, so a citation
of "the Ghana package" could point at bytes that are gone. Each commit therefore gives
the manifest a ``version`` and the ``created`` time of that publication, and keeps the
manifest it replaces as ``versions/<version>/datapackage.json``.

Versions are ``MAJOR.MINOR.PATCH``, read from what changed between the two manifests'
files (data files and previews, by path and sha256):

- **major**: a file of the previous version was replaced or removed (a re-run, other
  options);
- **minor**: files were only added (a new processor), so every file a citation of the
  previous version names is still in the package, with the same bytes;
- **patch**: the files are the same (a rebuild, a re-run that wrote the same bytes);
  only the documents were rewritten.

A package published before versions existed counts as ``1.0.0``.

A file a publication replaces or removes is first copied to
``versions/<previous version>/<its path>`` (on storage itself: a hard link on a
folder, a server-side copy on S3), and every kept manifest naming those bytes is
rewritten to point there, so each ``versions/<v>/datapackage.json`` names, relative to
the package root like the current manifest, exactly where each of its files can be
read. Only replaced files are copied; unchanged files are shared with the current
version. Kept versions stay as long as the package: a custom area's retention deletes
them with it, and nothing else does, because a citation is meant to keep working.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from autopkg.errors import NotFoundError
from autopkg.packaging.layout import MANIFEST, package_key
from autopkg.packaging.manifest import (
    Manifest,
    load_manifest,
    manifest_bytes,
    stored_records,
)
from autopkg.storage.base import Storage

VERSIONS = "versions"
FIRST_VERSION = "1.0.0"
_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def version_of(manifest: Manifest) -> str:
    """Return the manifest's version; ``1.0.0`` for one published before versions."""
    version = manifest.version
    return version if version is not None and _SEMVER.match(version) else FIRST_VERSION


def next_version(previous: Manifest | None, manifest: Manifest) -> str:
    """Return the version ``manifest`` gets when it replaces ``previous`` (see above)."""
    if previous is None:
        return FIRST_VERSION
    major, minor, patch = (int(n) for n in version_of(previous).split("."))
    # The summary is derived from the data files, so only theirs count.
    old, new = _data_files(previous).items(), _data_files(manifest).items()
    if not old <= new:
        return f"{major + 1}.0.0"
    if old != new:
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def stamp(previous: Manifest | None, manifest: Manifest, now: str) -> Manifest:
    """Return ``manifest`` as the version that replaces ``previous``, published ``now``.

    ``version`` and ``created`` are written before ``licenses``, where a reader of the
    file looks for them.
    """
    return manifest.model_copy(update={"version": next_version(previous, manifest), "created": now})


def files_of(manifest: Manifest) -> dict[str, str]:
    """Return ``{path: hash}`` of every data file and preview the manifest names."""
    return {record.path: record.hash for record in stored_records(manifest.resources)}


def _data_files(manifest: Manifest) -> dict[str, str]:
    """``{path: hash}`` of the data files and previews, the summary's files left out."""
    resources = [r for r in manifest.resources if r.summary is None]
    return {record.path: record.hash for record in stored_records(resources)}


def archived_path(version: str, path: str) -> str:
    """Return where a file of ``version`` is kept once a later version replaced it."""
    return f"{VERSIONS}/{version}/{path}"


def version_manifest(version: str) -> str:
    """Return where the manifest of ``version`` is kept, relative to the package root."""
    return archived_path(version, MANIFEST)


def preserve(
    storage: Storage, boundary_name: str, previous: Manifest, files: Mapping[str, str]
) -> dict[str, str]:
    """Copy ``files`` (``{path: hash}`` of ``previous``) to ``versions/<its version>/``.

    Called before they are overwritten or deleted. A file already gone from storage
    (deleted by hand) cannot be kept and is skipped.

    Returns:
        ``{path: hash}`` of the files copied (see :func:`discard`, :func:`archive`).
    """
    version = version_of(previous)
    copied = {}
    for path, digest in files.items():
        target = package_key(boundary_name, archived_path(version, path))
        try:
            storage.copy(package_key(boundary_name, path), target)
        except NotFoundError:
            continue
        copied[path] = digest
    return copied


def discard(
    storage: Storage, boundary_name: str, previous: Manifest, copied: Iterable[str]
) -> None:
    """Delete the copies :func:`preserve` made, for a publication that failed."""
    version = version_of(previous)
    for path in copied:
        storage.delete(package_key(boundary_name, archived_path(version, path)))


def archive(
    storage: Storage, boundary_name: str, previous: Manifest, moved: Mapping[str, str]
) -> None:
    """Keep ``previous`` under ``versions/<version>/`` and repoint what names moved files.

    ``moved`` is ``{path: hash}`` of the files :func:`preserve` copied: in the kept
    manifest of ``previous`` (its data files: the summary is not kept), and in every
    older kept manifest naming those same bytes at that path, the path becomes
    ``versions/<previous version>/<path>``.
    """
    version = version_of(previous)
    # The summary is derived from the data files and written again at each publication,
    # so a kept version names its data files only.
    data = tuple(r for r in previous.resources if r.summary is None)
    kept = previous.model_copy(update={"version": version, "resources": data})
    _put(storage, boundary_name, version, _repointed(kept, version, moved))
    if not moved:
        return
    for other in kept_versions(storage, boundary_name):
        if other == version:
            continue
        older = read_version(storage, boundary_name, other)
        if older is not None:
            repointed = _repointed(older, version, moved)
            if repointed != older:
                _put(storage, boundary_name, other, repointed)


def kept_versions(storage: Storage, boundary_name: str) -> list[str]:
    """Return the versions kept under ``versions/``, oldest first."""
    prefix = package_key(boundary_name, f"{VERSIONS}/")
    found = []
    for key in storage.list_keys(prefix):
        version, _, rest = key.removeprefix(prefix).partition("/")
        if rest == MANIFEST and _SEMVER.match(version):
            found.append(version)
    return sorted(found, key=lambda v: tuple(int(n) for n in v.split(".")))


def read_version(storage: Storage, boundary_name: str, version: str) -> Manifest | None:
    """Return the kept manifest of ``version``, or ``None`` if it is missing.

    Raises:
        AutopkgError: if the stored bytes are not a JSON object, or not a manifest.
    """
    key = package_key(boundary_name, version_manifest(version))
    data = storage.get_bytes(key)
    return load_manifest(data, key) if data is not None else None


def is_version(value: str) -> bool:
    """Whether ``value`` is a package version as publications number them (``1.2.0``)."""
    return bool(_SEMVER.match(value))


def archived_paths(kept: Manifest, version: str) -> frozenset[str]:
    """The paths under ``versions/`` a kept manifest of ``version`` names, itself included.

    The files it names elsewhere are the current ones, served as the package's own.
    """
    archived = (path for path in files_of(kept) if path.startswith(f"{VERSIONS}/"))
    return frozenset([version_manifest(version), *archived])


def _repointed(manifest: Manifest, version: str, moved: Mapping[str, str]) -> Manifest:
    """Return ``manifest`` with each file in ``moved`` (same path and hash) repointed."""
    resources = []
    for resource in manifest.resources:
        if moved.get(resource.path) == resource.hash:
            resource = resource.model_copy(update={"path": archived_path(version, resource.path)})
        preview = resource.preview
        if preview is not None and moved.get(preview.path) == preview.hash:
            kept = preview.model_copy(update={"path": archived_path(version, preview.path)})
            resource = resource.model_copy(update={"preview": kept})
        resources.append(resource)
    return manifest.model_copy(update={"resources": tuple(resources)})


def _put(storage: Storage, boundary_name: str, version: str, manifest: Manifest) -> None:
    """Write the kept manifest of ``version``."""
    key = package_key(boundary_name, version_manifest(version))
    storage.put_bytes(manifest_bytes(manifest), key, "application/json")
