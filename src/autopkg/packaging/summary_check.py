"""Checking a package's summary: computed again from its files and compared with the stored one."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from autopkg.packaging.extent import boundary_from_feature_collection
from autopkg.packaging.layout import BOUNDARY, SUMMARY_CSV, package_key
from autopkg.packaging.manifest import Manifest
from autopkg.packaging.store import read_json
from autopkg.packaging.summary import compute_rows, is_summary, recorded_thresholds
from autopkg.storage.base import Storage
from autopkg.summary.table import Row, from_csv


def summary_problems(storage: Storage, boundary_name: str, manifest: Manifest) -> list[str]:
    """Compute the summary again from the package's files and compare it with the stored one.

    The boundary is the one the data were clipped to (``boundary.geojson``), the
    thresholds those the summary's resource records. A missing file is reported by the
    package's other checks, not here.
    """
    if not any(is_summary(r) for r in manifest.resources):
        return []
    stored = storage.get_bytes(package_key(boundary_name, SUMMARY_CSV))
    document = read_json(storage, package_key(boundary_name, BOUNDARY))
    if stored is None or document is None:
        return []
    try:
        kept = from_csv(stored)
        boundary = boundary_from_feature_collection(document)
    except (ValueError, TypeError) as exc:
        return [f"{SUMMARY_CSV}: cannot be read ({exc}); run 'autopkg packages rebuild'"]
    rows, _ = compute_rows(storage, boundary, manifest, recorded_thresholds(manifest))
    differ = _differences(kept, rows)
    if not differ:
        return []
    return [
        f"{SUMMARY_CSV}: {len(differ)} value(s) differ from the package's files, e.g. "
        f"{differ[0]}; run 'autopkg packages rebuild'"
    ]


def _differences(kept: Sequence[Row], computed: Sequence[Row]) -> list[str]:
    """Describe each row stored but not computed, computed but not stored, or changed."""

    def key(row: Row) -> tuple[Any, ...]:
        return tuple(v for k, v in asdict(row).items() if k != "value")

    stored = {key(r): r for r in kept}
    fresh = {key(r): r for r in computed}
    found = []
    for k in sorted(set(stored) | set(fresh), key=repr):
        old, new = stored.get(k), fresh.get(k)
        label = f"{(old or new).statistic} of {(old or new).source_file}"  # type: ignore[union-attr]
        if old is None:
            found.append(f"{label} is missing")
        elif new is None:
            found.append(f"{label} describes nothing the package holds")
        elif not math.isclose(old.value, new.value, rel_tol=1e-9, abs_tol=1e-9):
            found.append(f"{label} is {old.value}, computed {new.value}")
    return found
