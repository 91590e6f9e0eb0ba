"""``autopkg:inputs``: what made a processor's files, and whether a request still matches.

Every resource of a processor carries the same record::

    "autopkg:inputs": {"boundary": "sha256:…", "processor": "<name>.<version>",
                       "options": {…},
                       "sources": [{"url", "filename", "size", "sha256"}, …]}

``boundary`` is the digest of the boundary geometry the files were clipped to and
``sources`` lists the bytes actually fetched. A published processor is *current* for
a new request only when the boundary digest, the processor id and the options are the
same and every source whose checksum the processor pins was fetched with that
checksum. Replacing a boundary therefore makes its packages stale.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from autopkg.domain.sources import FetchedSource, Source

INPUTS_KEY = "autopkg:inputs"

Inputs = dict[str, Any]


def geometry_digest(geometry: BaseGeometry) -> str:
    """Return ``sha256:<hex>`` of the normalised 2-D WKB of ``geometry``.

    Normalising first makes the digest independent of ring start points and part
    order, so the same area always has the same digest.
    """
    wkb = shapely.to_wkb(shapely.normalize(geometry), output_dimension=2)
    return f"sha256:{hashlib.sha256(wkb).hexdigest()}"


def run_inputs(
    geometry: BaseGeometry,
    processor_id: str,
    options: Mapping[str, Any],
    fetched: Iterable[FetchedSource],
) -> Inputs:
    """Return the inputs record of one publication."""
    return {
        "boundary": geometry_digest(geometry),
        "processor": processor_id,
        "options": dict(options),
        "sources": [
            {"url": f.url, "filename": f.filename, "size": f.size, "sha256": f.sha256}
            for f in fetched
        ],
    }


def inputs_match(
    recorded: Any,
    *,
    geometry: BaseGeometry,
    processor_id: str,
    options: Mapping[str, Any],
    pinned: Sequence[Source],
) -> bool:
    """Return whether files made from ``recorded`` inputs answer this request.

    Sources decided at run time cannot be compared before fetching; sources with a
    pinned sha256 must have been fetched with exactly that checksum.
    """
    if not isinstance(recorded, dict):
        return False
    if (
        recorded.get("boundary") != geometry_digest(geometry)
        or recorded.get("processor") != processor_id
        or recorded.get("options") != dict(options)
    ):
        return False
    fetched = {
        s.get("url"): s.get("sha256") for s in recorded.get("sources", []) if isinstance(s, dict)
    }
    return all(
        fetched.get(source.url) == source.sha256.lower()
        for source in pinned
        if source.sha256 is not None
    )
