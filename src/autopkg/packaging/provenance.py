"""``provenance.json``: what produced each processor's files, when, and from which sources.

The document keeps one entry per processor version present in the manifest::

    {"boundary": "gha", "autopkg_version": "…", "updated": "…",
     "processors": {"<name>.<version>": {"processor", "published_at", "autopkg_version",
                                        "sources": [{url, filename, size, sha256[, missing]}],
                                        "files": [{path, bytes, hash, format,
                                                   mediatype, title, empty, …}],
                                        "attributes": {"<file name>": {…}},
                                        "source_rasters": [{file, crs, transform, width,
                                                            height, dtype, count, nodata,
                                                            differs_from_prior}],
                                        "failed_files": [{file, reason}]}}}

``attributes`` is present when a vector source's attributes differed from what its
processor expected (see :class:`~autopkg.clip.attributes.AttributeReport`);
``source_rasters`` (the facts read from each source raster) and ``failed_files`` (the
source files that could not be made into outputs) are present when the run had any.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from autopkg import __version__
from autopkg.domain.attributes import AttributeReport
from autopkg.domain.sources import FetchedSource
from autopkg.packaging.inputs import INPUTS_KEY
from autopkg.packaging.manifest import CRS_KEY, GRID_KEY, PREVIEW_KEY, Resource, to_json

Provenance = dict[str, Any]


def processor_entry(
    processor_id: str,
    resources: Sequence[Resource],
    fetched: Sequence[FetchedSource],
    *,
    published_at: str,
    attributes: Mapping[str, AttributeReport] | None = None,
    notes: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the provenance record of one publication of ``processor_id``.

    ``fetched`` are the sources the run actually fetched, with the size and sha256 of
    their bytes; ``attributes``, by output file name, what differed in the attributes
    of vector sources (only reports with something in them are kept); ``notes`` are
    what the run said of its sources (``source_rasters``, ``failed_files``), recorded
    as given.
    """
    reported = {name: r.record() for name, r in (attributes or {}).items() if r}
    return {
        "processor": processor_id,
        "published_at": published_at,
        "autopkg_version": __version__,
        "sources": [
            {
                "url": s.url,
                "filename": s.filename,
                "size": s.size,
                "sha256": s.sha256,
                **({"missing": s.missing} if s.missing else {}),
            }
            for s in fetched
        ],
        "files": file_records(resources),
        **({"attributes": reported} if reported else {}),
        **(notes or {}),
    }


def file_records(resources: Sequence[Resource]) -> list[dict[str, Any]]:
    """Return what provenance keeps of each published file.

    Beside the size and hash it keeps how the manifest described the file (format,
    media type, title, empty, the inputs that made it, its CRS and grid, its preview), so
    that ``packages rebuild`` can describe the file exactly as it was published even
    when ``datapackage.json`` is lost.
    """
    return [
        {
            "path": r.path,
            "bytes": r.bytes,
            "hash": r.hash,
            "format": r.format,
            "mediatype": r.mediatype,
            "title": r.title,
            "empty": bool(r.empty),
            INPUTS_KEY: r.inputs,
            **({CRS_KEY: r.crs} if r.crs is not None else {}),
            **({GRID_KEY: to_json(r.grid)} if r.grid is not None else {}),
            **({PREVIEW_KEY: to_json(r.preview)} if r.preview is not None else {}),
        }
        for r in resources
    ]


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
