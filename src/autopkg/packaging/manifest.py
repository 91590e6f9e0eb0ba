"""The stored ``datapackage.json``: build, merge and the ancestor client's view of it.

The stored manifest is a standard Frictionless Data Package v2 with one resource per
file (relative ``path``, ``sha256:`` hash) and an ``autopkg:processor`` key naming
the processor version that produced each file. All functions here are pure: they
take and return plain dicts and never touch storage.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from shapely.geometry.base import BaseGeometry

from autopkg.domain.boundary import Boundary
from autopkg.domain.metadata import Metadata
from autopkg.domain.reference import REFERENCE_KEY
from autopkg.domain.sources import Source
from autopkg.packaging.area_credit import area_licenses, area_sources
from autopkg.packaging.inputs import INPUTS_KEY, Inputs, inputs_match
from autopkg.packaging.layout import data_path, preview_path

SCHEMA_URL = "https://datapackage.org/profiles/2.0/datapackage.json"
PROCESSOR_KEY = "autopkg:processor"
#: Marks a file that is valid but holds no data (nothing of the source in the boundary).
EMPTY_KEY = "autopkg:empty"
#: The preview of a data file: ``{"path", "mediatype", "bytes", "hash", "legend"}``.
PREVIEW_KEY = "autopkg:preview"
PNG_MEDIATYPE = "image/png"
#: The file's CRS as read from it: ``AUTHORITY:CODE`` (``EPSG:4326``, ``ESRI:54009``), or
#: WKT2 (2019) when it has no code. Absent when the file has no readable CRS.
CRS_KEY = "autopkg:crs"
#: A raster's grid as read from it: ``{"shape": [rows, columns], "transform": [a, b, c,
#: d, e, f], "bands": [{"data_type", "nodata"?}]}``.
GRID_KEY = "autopkg:grid"
#: Marks the summary's resources: ``{"thresholds": {processor: [...]}, "charts": [...]}``.
SUMMARY_KEY = "autopkg:summary"
RESOURCE_NAME_PATTERN = r"^[-a-z0-9._/]+$"
_NOT_NAME_CHAR = re.compile(r"[^-a-z0-9._/]")

Manifest = dict[str, Any]
Resource = dict[str, Any]


def utc_now_iso(now: datetime | None = None) -> str:
    """Return ``now`` (default: the current time) as RFC 3339 UTC, seconds precision."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def license_dict(metadata: Metadata) -> dict[str, str]:
    """Return the processor's licence as a Frictionless licence object."""
    return metadata.data_license.model_dump()


def source_entry(metadata: Metadata) -> dict[str, Any]:
    """Return the ``sources`` entry of a processor's dataset: its origin and citation.

    ``version`` is the dataset's version as its publisher names it (absent when the
    publisher gives none), never the processor's; ``autopkg:reference`` holds the
    structured citation the citation files are rendered from.
    """
    entry: dict[str, Any] = {
        "title": metadata.data_title,
        "path": metadata.data_origin_url,
        "author": metadata.data_author,
        "citation": metadata.data_citation,
    }
    reference = metadata.data_reference
    if reference is not None:
        if reference.version:
            entry["version"] = reference.version
        entry[REFERENCE_KEY] = reference.model_dump(mode="json")
    return entry


def file_resource(
    metadata: Metadata,
    file_name: str,
    *,
    format: str,
    mediatype: str,
    size: int,
    sha256: str,
    title: str = "",
    empty: bool = False,
    inputs: Inputs | None = None,
) -> Resource:
    """Describe one published data file of a processor as a Data Package resource.

    ``file_name`` is the bare file name; the resource ``path`` places it under
    ``datasets/<name>/<version>/data/``. The resource ``name`` is the file name with
    every character outside ``[-a-z0-9._/]`` replaced by ``-`` (``merge`` makes names
    unique across the package). An ``empty`` file (nothing of the source inside the
    boundary) is marked ``"autopkg:empty": true``.
    """
    resource: Resource = {
        "name": _NOT_NAME_CHAR.sub("-", file_name.lower()),
        "path": data_path(metadata.name, metadata.version, file_name),
        "type": "file",
        "title": title or metadata.data_title,
        "description": metadata.description,
        "format": format,
        "mediatype": mediatype,
        "bytes": size,
        "hash": f"sha256:{sha256}",
        "licenses": [license_dict(metadata)],
        "sources": [source_entry(metadata)],
        PROCESSOR_KEY: metadata.id,
    }
    if empty:
        resource[EMPTY_KEY] = True
    if inputs is not None:
        resource[INPUTS_KEY] = inputs
    return resource


def with_preview(resource: Resource, *, size: int, sha256: str, legend: dict[str, Any]) -> Resource:
    """Return ``resource`` (a data file) with its preview PNG recorded under ``autopkg:preview``.

    The preview lives at ``datasets/<name>/<version>/previews/<file>.png``. It is part
    of its file's resource rather than a resource of its own, so a processor's
    resources stay exactly the files it made (job results, the ancestor's client view
    and the API's file listing are unchanged) while the manifest still names the
    preview's bytes and hash. ``legend`` says how its colours map to values.
    """
    name, _, version = str(resource[PROCESSOR_KEY]).partition(".")
    file_name = str(resource["path"]).rsplit("/", 1)[-1]
    preview = {
        "path": preview_path(name, version, file_name),
        "mediatype": PNG_MEDIATYPE,
        "bytes": size,
        "hash": f"sha256:{sha256}",
        "legend": legend,
    }
    return {**resource, PREVIEW_KEY: preview}


def preview_of(resource: Resource) -> dict[str, Any] | None:
    """Return the preview record of a resource, or ``None`` if it has none."""
    preview = resource.get(PREVIEW_KEY)
    return preview if isinstance(preview, dict) and isinstance(preview.get("path"), str) else None


def stored_records(resources: Iterable[Any]) -> list[dict[str, Any]]:
    """Return the records of the files ``resources`` name: each file, then its preview.

    Each record has the file's ``path``, ``bytes`` and ``hash``; entries that are not
    objects with a ``path`` are skipped.
    """
    records = []
    for resource in resources:
        if isinstance(resource, dict) and isinstance(resource.get("path"), str):
            records.append(resource)
            preview = preview_of(resource)
            if preview is not None:
                records.append(preview)
    return records


def merge(
    manifest: Manifest | None,
    boundary: Boundary,
    metadata: Metadata,
    resources: Sequence[Resource],
    *,
    now: datetime | None = None,
) -> Manifest:
    """Return a new manifest where ``metadata``'s processor has exactly ``resources``.

    Every earlier resource of that processor version is dropped (nothing stale
    survives); other processors' resources are kept unchanged. Incoming resources whose
    name is already taken get a ``-2``, ``-3``… suffix. ``created`` is kept from the
    existing manifest, or set to ``now`` for a new one, until publication stamps the
    new version and its time (see :mod:`~autopkg.packaging.versions`). ``manifest`` is
    not modified.

    Raises:
        ValueError: if a resource belongs to another processor.
    """
    strangers = [r["path"] for r in resources if r.get(PROCESSOR_KEY) != metadata.id]
    if strangers:
        raise ValueError(f"resources {strangers} do not belong to {metadata.id}")
    return replace_processor(manifest, boundary, metadata.id, resources, now=now)


def replace_processor(
    manifest: Manifest | None,
    boundary: Boundary,
    processor_id: str,
    resources: Sequence[Resource],
    *,
    now: datetime | None = None,
) -> Manifest:
    """Return a new manifest where ``processor_id`` has exactly ``resources``.

    The lower-level form of :func:`merge` for callers without the processor's
    :class:`Metadata` (a rebuild of a processor that is no longer registered).
    """
    previous = manifest or {}
    # Resources of no processor (the summary's) are derived again by whoever commits.
    kept = [
        r for r in previous.get("resources", []) if r.get(PROCESSOR_KEY) not in (processor_id, None)
    ]
    taken = {r["name"] for r in kept}
    fresh = []
    for resource in resources:
        name = _unique_name(resource["name"], taken)
        taken.add(name)
        fresh.append({**resource, "name": name})
    merged = sorted(kept + fresh, key=lambda r: (r[PROCESSOR_KEY], r["path"]))
    return {
        "$schema": SCHEMA_URL,
        "name": boundary.name,
        "title": f"{boundary.name_long} data package",
        "description": (
            f"Global datasets clipped to the boundary of {boundary.name_long} "
            f"({boundary.name}) by autopkg."
        ),
        "created": previous.get("created") or utc_now_iso(now),
        "licenses": _unique_dicts([*_union_licenses(merged), *area_licenses(boundary)]),
        **({"sources": sources} if (sources := area_sources(boundary)) else {}),
        "resources": merged,
    }


def is_current(
    manifest: Manifest | None,
    processor_id: str,
    *,
    geometry: BaseGeometry,
    options: Mapping[str, Any],
    pinned: Sequence[Source],
) -> bool:
    """Return whether the manifest holds files of ``processor_id`` made from these inputs.

    Every resource of the processor must record inputs that match (see
    :func:`~autopkg.packaging.inputs.inputs_match`); files published before inputs
    were recorded are never current.
    """
    files = [
        r for r in (manifest or {}).get("resources", []) if r.get(PROCESSOR_KEY) == processor_id
    ]
    return bool(files) and all(
        inputs_match(
            r.get(INPUTS_KEY),
            geometry=geometry,
            processor_id=processor_id,
            options=options,
            pinned=pinned,
        )
        for r in files
    )


def group_by_processor(resources: Iterable[Resource]) -> dict[str, list[Resource]]:
    """Group the processors' resources by processor id, keeping their order (first seen first).

    Resources of no processor (the summary's) are left out.
    """
    groups: dict[str, list[Resource]] = {}
    for resource in resources:
        if PROCESSOR_KEY in resource:
            groups.setdefault(str(resource[PROCESSOR_KEY]), []).append(resource)
    return groups


def client_view(manifest: Manifest, package_url: str) -> dict[str, Any]:
    """Return the ancestor client's view: one resource per processor version.

    Each entry has ``name`` (processor name), ``version``, ``path`` (absolute URLs,
    ``package_url`` joined with each file's relative path), ``bytes`` (total),
    ``hashes`` (same order as ``path``), ``format`` (distinct formats joined by
    ``", "``), ``description``, ``licenses`` and ``sources``. Every other top-level
    key of the manifest is copied.
    """
    base = package_url.rstrip("/") + "/"
    view: dict[str, Any] = {k: v for k, v in manifest.items() if k != "resources"}
    entries = []
    for processor_id, files in group_by_processor(manifest.get("resources", [])).items():
        name, _, version = processor_id.partition(".")
        entries.append(
            {
                "name": name,
                "version": version,
                "path": [base + r["path"] for r in files],
                "bytes": sum(int(r.get("bytes", 0)) for r in files),
                "hashes": [r.get("hash", "") for r in files],
                "format": ", ".join(dict.fromkeys(str(r.get("format", "")) for r in files)),
                "description": files[0].get("description", ""),
                "licenses": _union_licenses(files),
                "sources": _unique_dicts(s for r in files for s in r.get("sources", [])),
            }
        )
    view["resources"] = entries
    return view


def _unique_name(name: str, taken: set[str]) -> str:
    """Return ``name``, or ``name-N`` with the smallest N ≥ 2 that is not taken."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def _union_licenses(resources: Iterable[Resource]) -> list[dict[str, Any]]:
    """Return the distinct licences of ``resources`` in order of first appearance."""
    return _unique_dicts(lic for r in resources for lic in r.get("licenses", []))


def _unique_dicts(items: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return ``items`` without repeats (compared by content), first kept."""
    seen: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}
    for item in items:
        seen.setdefault(tuple(sorted((k, str(v)) for k, v in item.items())), item)
    return list(seen.values())
