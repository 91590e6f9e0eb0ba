"""``provenance.json``: what produced each processor's files, when, and from which sources.

The document keeps one entry per processor version present in the manifest::

    {"boundary": "gha", "autopkg_version": "…", "updated": "…",
     "processors": {"<name>.<version>": {"processor", "published_at", "autopkg_version",
                                        "sources": [{url, filename, size, sha256}],
                                        "files": [{path, bytes, hash, format, mediatype,
                                                   title, autopkg:…}]}}}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from autopkg import __version__
from autopkg.processors.base import Source

Provenance = dict[str, Any]
#: Resource keys that a rebuild derives again from the processor's metadata.
_FROM_METADATA = frozenset({"name", "type", "description", "licenses", "sources"})


def processor_entry(
    processor_id: str,
    resources: Sequence[dict[str, Any]],
    sources: Sequence[Source],
    *,
    published_at: str,
) -> dict[str, Any]:
    """Return the provenance record of one publication of ``processor_id``."""
    return {
        "processor": processor_id,
        "published_at": published_at,
        "autopkg_version": __version__,
        "sources": [
            {"url": s.url, "filename": s.filename, "size": s.size, "sha256": s.sha256}
            for s in sources
        ],
        "files": file_records(resources),
    }


def file_records(resources: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return what provenance keeps of each published file.

    Everything the manifest says about the file itself (path, size, hash, format,
    media type, title and the ``autopkg:`` keys such as the empty flag), not what is
    derived from the processor's metadata (name, description, licences, sources), so
    that ``packages rebuild`` can describe the file exactly as it was published even
    when ``datapackage.json`` is lost.
    """
    return [{k: v for k, v in r.items() if k not in _FROM_METADATA} for r in resources]


def update_provenance(
    existing: Provenance | None,
    boundary_name: str,
    entry: dict[str, Any],
    *,
    keep: Iterable[str],
    updated: str,
) -> Provenance:
    """Return provenance with ``entry`` recorded and only processors in ``keep`` kept.

    ``keep`` is the set of processor ids still in the manifest, so provenance never
    describes files the package no longer holds. ``existing`` is not modified.
    """
    wanted = set(keep) | {entry["processor"]}
    processors = {
        pid: record
        for pid, record in (existing or {}).get("processors", {}).items()
        if pid in wanted
    }
    processors[entry["processor"]] = entry
    return {
        "boundary": boundary_name,
        "autopkg_version": __version__,
        "updated": updated,
        "processors": dict(sorted(processors.items())),
    }
