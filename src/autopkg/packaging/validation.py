"""Checking a published package: the manifest's shape and every file's bytes and hash.

The manifest is checked as the JSON object it is stored as (the Data Package profile
and autopkg's rules are about that document, and a broken one must still be described
problem by problem), then read as a :class:`~autopkg.packaging.manifest.Manifest` for
what is derived from it (the catalogue, the summary, the files that should be there).
"""

from __future__ import annotations

import re
from typing import Any

from frictionless import Package
from pyproj import CRS
from pyproj.exceptions import CRSError

from autopkg.errors import AutopkgError
from autopkg.packaging.layout import (
    DATA,
    MANIFEST,
    PACKAGE_DOCUMENTS,
    PACKAGE_PAGES,
    PREVIEWS,
    SUMMARY_CSV,
    package_key,
    parse_data_path,
    preview_path,
)
from autopkg.packaging.manifest import (
    CRS_KEY,
    GRID_KEY,
    PREVIEW_KEY,
    PROCESSOR_KEY,
    RESOURCE_NAME_PATTERN,
    SCHEMA_URL,
    SUMMARY_KEY,
    Chart,
    Manifest,
    parse_manifest,
    stored_records,
)
from autopkg.packaging.stac_check import stac_problems
from autopkg.packaging.store import hash_chunks, listed_paths, read_json, read_manifest
from autopkg.packaging.summary import SUMMARY_FILES, summary_charts
from autopkg.packaging.summary_check import summary_problems
from autopkg.packaging.versions import VERSIONS, kept_versions, read_version, version_manifest
from autopkg.slugs import require_slug
from autopkg.storage.base import Storage

_NAME = re.compile(RESOURCE_NAME_PATTERN)
_HASH = re.compile(r"^sha256:[0-9a-f]{64}$")
#: What GDAL (and QGIS through it) writes beside a file it opened: auxiliary metadata
#: (statistics, histograms), external overviews and masks.
SIDECAR_SUFFIXES = (".aux.xml", ".ovr", ".msk")


def validate_package(storage: Storage, boundary_name: str) -> list[str]:
    """Return readable problems of a boundary's published package (``[]`` = valid).

    The manifest is checked against the Frictionless Data Package v2 profile (without
    opening files, so it works on any storage) and against autopkg's own rules
    (non-empty, unique well-formed names, ``sha256:`` hashes, paths under
    ``datasets/<name>/<version>/data/`` matching ``autopkg:processor``, previews at
    ``previews/<file>.png`` beside them, an ``autopkg:crs`` PROJ reads and a
    well-formed ``autopkg:grid``). Every file and preview is then streamed from
    storage and its size and sha256 compared with the manifest; every file in a
    ``data/`` or ``previews/`` folder that the manifest does not list is reported, as
    is a missing package page or document (provenance, citations, boundary). The
    STAC catalogue must be exactly what the manifest derives (see
    :func:`~autopkg.packaging.stac_check.stac_problems`), and the summary what its
    files give when computed again (see
    :func:`~autopkg.packaging.summary_check.summary_problems`). Every version kept under
    ``versions/`` must still name files with its bytes and hashes, and hold nothing else.

    A file's CRS and grid are not read again: they were read from the bytes whose
    sha256 is recorded beside them, so matching bytes carry the recorded CRS.

    Raises:
        InvalidInputError: if ``boundary_name`` is not a slug.
    """
    b = require_slug(boundary_name, "boundary name")
    try:
        document = read_json(storage, package_key(b, MANIFEST))
    except AutopkgError as exc:
        return [exc.message]
    if document is None:
        return [f"package {b!r} has no datapackage.json"]
    problems = _manifest_problems(document)
    try:
        manifest: Manifest | None = parse_manifest(document, MANIFEST)
    except AutopkgError as exc:
        problems.append(exc.message)
        manifest = None
    charts = summary_charts(manifest) if manifest is not None else []
    resources = document.get("resources")
    for resource in resources if isinstance(resources, list) else []:
        if isinstance(resource, dict) and SUMMARY_KEY in resource:
            problems.extend(_summary_problems(storage, b, resource, charts))
        else:
            problems.extend(_file_problems(storage, b, resource))
    if manifest is not None:
        problems.extend(_stray_files(storage, b, manifest))
    problems.extend(_version_problems(storage, b))
    if manifest is not None:
        problems.extend(stac_problems(storage, b, manifest))
        problems.extend(summary_problems(storage, b, manifest))
    problems.extend(
        f"{relative}: file is missing; run 'autopkg packages rebuild'"
        for relative in (*PACKAGE_PAGES, *PACKAGE_DOCUMENTS)
        if storage.size(package_key(b, relative)) is None
    )
    return problems


def _summary_problems(
    storage: Storage, boundary_name: str, resource: dict[str, Any], charts: list[Chart]
) -> list[str]:
    """Return problems of a summary resource: its place, bytes and hash (and its charts')."""
    path = resource.get("path")
    where = f"resource {resource.get('name')!r} ({path})"
    if path not in SUMMARY_FILES or not isinstance(path, str):
        return [f"{where}: a summary resource's path is not one of {', '.join(SUMMARY_FILES)}"]
    problems = _stored_problems(
        storage, boundary_name, where, path, resource.get("bytes"), resource.get("hash")
    )
    if path == SUMMARY_CSV:
        for chart in charts:
            where = f"chart {chart.path}"
            problems.extend(
                _stored_problems(storage, boundary_name, where, chart.path, chart.bytes, chart.hash)
            )
    return problems


def _stray_files(storage: Storage, boundary_name: str, manifest: Manifest) -> list[str]:
    """Return a problem for each file in a ``data/`` or ``previews/`` folder not listed."""
    strays, _ = _unlisted(storage, boundary_name, manifest)
    return [f"{relative}: file is not in the manifest" for relative in strays]


def package_notes(storage: Storage, boundary_name: str) -> list[str]:
    """Return notes on a package that are not problems: the GDAL sidecars beside its files.

    QGIS and GDAL write ``<file>.aux.xml`` (and ``.ovr``, ``.msk`` when asked for
    overviews or masks) beside a file opened in place. They are not part of the
    package, so :func:`validate_package` does not count them as strays; they are named
    here so their owner knows they are there (the zip and the catalogue never include
    them).

    Raises:
        InvalidInputError: if ``boundary_name`` is not a slug.
    """
    b = require_slug(boundary_name, "boundary name")
    try:
        manifest = read_manifest(storage, b)
    except AutopkgError:
        return []
    if manifest is None:
        return []
    _, sidecars = _unlisted(storage, b, manifest)
    return [
        f"{relative}: a GDAL sidecar (QGIS and GDAL write one beside a file they open), "
        "not part of the package; ignored"
        for relative in sidecars
    ]


def _unlisted(
    storage: Storage, boundary_name: str, manifest: Manifest
) -> tuple[list[str], list[str]]:
    """Return the unlisted files of ``data/`` and ``previews/`` folders: strays, sidecars."""
    listed = set(listed_paths(manifest.resources))
    prefix = package_key(boundary_name, "")
    strays, sidecars = [], []
    for key in storage.list_keys(package_key(boundary_name, "datasets/")):
        relative = key.removeprefix(prefix)
        segments = relative.split("/")
        if len(segments) <= 4 or segments[3] not in (DATA, PREVIEWS) or relative in listed:
            continue
        if any(relative.endswith(s) and relative[: -len(s)] in listed for s in SIDECAR_SUFFIXES):
            sidecars.append(relative)
        else:
            strays.append(relative)
    return strays, sidecars


def _version_problems(storage: Storage, boundary_name: str) -> list[str]:
    """Return problems of the versions kept under ``versions/`` (see ``packaging.versions``).

    Each kept manifest's files (at the paths it names, relative to the package root) must
    have its sizes and hashes; a file under ``versions/`` that no kept manifest names is
    reported. A file shared by several versions is hashed once.
    """
    problems: list[str] = []
    named: set[str] = set()
    checked: dict[tuple[str, str], list[str]] = {}
    for version in kept_versions(storage, boundary_name):
        where = version_manifest(version)
        named.add(where)
        try:
            kept = read_version(storage, boundary_name, version)
        except AutopkgError as exc:
            problems.append(exc.message)
            continue
        for record in stored_records(kept.resources if kept is not None else ()):
            path = record.path
            named.add(path)
            seen = (path, record.hash)
            if seen not in checked:
                checked[seen] = _stored_problems(
                    storage, boundary_name, path, path, record.bytes, record.hash
                )
            problems.extend(f"{where}: {problem}" for problem in checked[seen])
    prefix = package_key(boundary_name, "")
    for key in storage.list_keys(package_key(boundary_name, f"{VERSIONS}/")):
        relative = key.removeprefix(prefix)
        if relative not in named:
            problems.append(f"{relative}: file is not in any kept version's manifest")
    return problems


def _manifest_problems(manifest: dict[str, Any]) -> list[str]:
    """Return problems of the manifest itself (profile and autopkg rules)."""
    if manifest.get("$schema") != SCHEMA_URL:
        # Another profile URL would make frictionless fetch it: refuse instead.
        return [f"datapackage.json: $schema is not {SCHEMA_URL}"]
    report = Package.validate_descriptor(manifest)
    problems = [f"datapackage.json: {error.message}" for error in report.errors]
    resources = manifest.get("resources")
    if not isinstance(resources, list) or not resources:
        return [*problems, "datapackage.json: no resources"]
    names = [r.get("name") for r in resources if isinstance(r, dict)]
    problems.extend(
        f"datapackage.json: resource name {name!r} is repeated"
        for name in sorted({str(n) for n in names if names.count(n) > 1})
    )
    return problems


def _file_problems(storage: Storage, boundary_name: str, resource: Any) -> list[str]:
    """Return problems of one resource entry and of the stored file it names."""
    if not isinstance(resource, dict):
        return ["datapackage.json: a resource is not an object"]
    path = resource.get("path")
    where = f"resource {resource.get('name')!r} ({path})"
    parsed = parse_data_path(path) if isinstance(path, str) else None
    if parsed is None or not isinstance(path, str):
        return [f"{where}: path is not datasets/<name>/<version>/data/<file>"]
    problems = []
    if resource.get(PROCESSOR_KEY) != f"{parsed[0]}.{parsed[1]}":
        problems.append(f"{where}: {PROCESSOR_KEY} does not match its path")
    if not _NAME.fullmatch(str(resource.get("name"))):
        problems.append(f"{where}: name does not match {RESOURCE_NAME_PATTERN}")
    problems.extend(_georef_problems(where, resource))
    problems.extend(
        _stored_problems(
            storage, boundary_name, where, path, resource.get("bytes"), resource.get("hash")
        )
    )
    if PREVIEW_KEY in resource:
        preview = resource[PREVIEW_KEY]
        expected = preview_path(*parsed)
        if not isinstance(preview, dict) or preview.get("path") != expected:
            problems.append(f"{where}: {PREVIEW_KEY} is not an object with path {expected}")
        else:
            where = f"preview of {where}"
            problems.extend(
                _stored_problems(
                    storage,
                    boundary_name,
                    where,
                    expected,
                    preview.get("bytes"),
                    preview.get("hash"),
                )
            )
    return problems


def _georef_problems(where: str, resource: dict[str, Any]) -> list[str]:
    """Return problems of the CRS and grid records of a resource, when it has them."""
    problems = []
    if CRS_KEY in resource:
        try:
            if not isinstance(resource[CRS_KEY], str):
                raise CRSError("not a string")
            CRS.from_user_input(resource[CRS_KEY])
        except CRSError:
            problems.append(f"{where}: {CRS_KEY} is not a CRS that PROJ reads")
    if GRID_KEY in resource and not _is_grid(resource[GRID_KEY]):
        problems.append(
            f"{where}: {GRID_KEY} is not {{shape: [rows, columns], transform: [6 numbers], "
            "bands: [{data_type, nodata?}]}"
        )
    return problems


def _is_grid(grid: Any) -> bool:
    """Whether ``grid`` has the shape of an ``autopkg:grid`` record."""
    if not isinstance(grid, dict):
        return False
    shape, transform, bands = grid.get("shape"), grid.get("transform"), grid.get("bands")
    return (
        isinstance(shape, list)
        and len(shape) == 2
        and all(isinstance(n, int) and n > 0 for n in shape)
        and isinstance(transform, list)
        and len(transform) == 6
        and all(isinstance(v, int | float) for v in transform)
        and isinstance(bands, list)
        and bool(bands)
        and all(isinstance(b, dict) and isinstance(b.get("data_type"), str) for b in bands)
    )


def _stored_problems(
    storage: Storage,
    boundary_name: str,
    where: str,
    path: str,
    expected_bytes: object,
    expected_hash: object,
) -> list[str]:
    """Return problems of a stored file against the ``bytes`` and ``hash`` its record gives."""
    problems = []
    if not isinstance(expected_hash, str) or not _HASH.fullmatch(expected_hash):
        problems.append(f"{where}: hash is not 'sha256:<64 hex digits>'")
    try:
        size = storage.size(package_key(boundary_name, path))
    except AutopkgError as exc:
        return [*problems, f"{where}: {exc.message}"]
    if size is None:
        return [*problems, f"{where}: file is missing"]
    if size != expected_bytes:
        return [*problems, f"{where}: file has {size} bytes, manifest says {expected_bytes}"]
    _, digest = hash_chunks(storage.iter_chunks(package_key(boundary_name, path)))
    if expected_hash != f"sha256:{digest}":
        problems.append(f"{where}: file sha256 is {digest}, manifest says {expected_hash}")
    return problems
