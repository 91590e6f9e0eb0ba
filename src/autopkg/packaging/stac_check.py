"""Checking a package's STAC catalogue against the manifest it must describe."""

from __future__ import annotations

import json
from typing import Any

from autopkg.errors import AutopkgError
from autopkg.packaging.extent import boundary_from_feature_collection
from autopkg.packaging.layout import BOUNDARY, PROVENANCE, STAC, package_key
from autopkg.packaging.manifest import Manifest
from autopkg.packaging.stac import stac_documents
from autopkg.packaging.store import read_json
from autopkg.storage.base import Storage

_REBUILD = "run 'autopkg packages rebuild'"


def stac_problems(storage: Storage, boundary_name: str, manifest: Manifest) -> list[str]:
    """Return problems of ``stac/``: each document must be what the package derives.

    The catalogue is derived again from the manifest, ``boundary.geojson`` and
    ``provenance.json`` (as every commit derives it) and each stored document compared
    with it, so a missing, stale or edited Collection or Item is found, as is an Item
    of a dataset the manifest no longer has. Without ``boundary.geojson`` (reported as
    missing on its own) the catalogue is not checked; an unreadable one, or an
    unreadable ``provenance.json``, is reported instead.
    """
    try:
        extent = read_json(storage, package_key(boundary_name, BOUNDARY))
        provenance = read_json(storage, package_key(boundary_name, PROVENANCE)) or {}
    except AutopkgError as exc:
        return [exc.message]
    if extent is None:
        return []
    try:
        boundary = boundary_from_feature_collection(extent)
        expected = stac_documents(boundary, manifest, provenance)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        return [f"{STAC}/: cannot be derived from the manifest ({exc})"]
    problems = []
    for relative, document in expected.items():
        problems.extend(_document_problems(storage, boundary_name, relative, document))
    prefix = package_key(boundary_name, "")
    problems.extend(
        f"{key.removeprefix(prefix)}: not a dataset of the manifest; {_REBUILD}"
        for key in storage.list_keys(package_key(boundary_name, f"{STAC}/"))
        if key.removeprefix(prefix) not in expected
    )
    return problems


def _document_problems(
    storage: Storage, boundary_name: str, relative: str, document: dict[str, Any]
) -> list[str]:
    """Return a problem if the stored document at ``relative`` is not ``document``."""
    try:
        stored = read_json(storage, package_key(boundary_name, relative))
    except AutopkgError as exc:
        return [exc.message]
    if stored is None:
        return [f"{relative}: file is missing; {_REBUILD}"]
    # Compared as JSON: the derived document still holds tuples and datetimes' text.
    if stored != json.loads(json.dumps(document)):
        return [f"{relative}: does not describe the manifest; {_REBUILD}"]
    return []
