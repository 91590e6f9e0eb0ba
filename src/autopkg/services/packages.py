"""Published packages as the API and CLI present them."""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from autopkg.boundaries.boundary import Boundary
from autopkg.errors import NotFoundError
from autopkg.packaging.manifest import client_view
from autopkg.packaging.publish import read_manifest, validate_package
from autopkg.processors.base import Metadata
from autopkg.runtime import Runtime
from autopkg.services.boundaries import get_boundary
from autopkg.slugs import canonical_name, is_slug

# Zip members need a timestamp; a fixed one keeps archives of one package identical.
_ZIP_EPOCH = (2000, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class PackageFile:
    """One data file of a package, from its stored manifest (``url`` is absolute)."""

    processor_id: str
    name: str
    url: str
    bytes: int
    hash: str
    format: str


@dataclass(frozen=True)
class PackageView:
    """A package: its boundary, the processors present and the client-view manifest."""

    boundary_name: str
    uri: str
    boundary: Boundary
    processors: list[Metadata]
    datapackage: dict[str, Any]
    files: list[PackageFile]


def list_packages(rt: Runtime) -> list[str]:
    """Boundary names with a published package."""
    return rt.storage.list_packages()


def get_package(rt: Runtime, boundary_name: str, *, host_url: str) -> PackageView:
    """Return a published package (the boundary name is case-insensitive).

    Raises:
        NotFoundError: no package is published for this boundary.
    """
    boundary_name = canonical_name(boundary_name)
    manifest = read_manifest(rt.storage, boundary_name) if is_slug(boundary_name) else None
    if manifest is None:
        raise NotFoundError(f"no package for boundary {boundary_name[:80]!r}")
    uri = rt.package_url(boundary_name, host_url)
    processor_ids = sorted(
        {resource["autopkg:processor"] for resource in manifest.get("resources", [])}
    )
    processors = [rt.registry.get(pid).metadata for pid in processor_ids if pid in rt.registry]
    return PackageView(
        boundary_name=boundary_name,
        uri=uri,
        boundary=get_boundary(rt, boundary_name),
        processors=processors,
        datapackage=client_view(manifest, uri),
        files=[
            PackageFile(
                processor_id=resource["autopkg:processor"],
                name=resource["path"].rsplit("/", 1)[-1],
                url=uri + resource["path"],
                bytes=int(resource.get("bytes", 0)),
                hash=str(resource.get("hash", "")),
                format=str(resource.get("format", "")),
            )
            for resource in manifest.get("resources", [])
        ],
    )


def check_package(rt: Runtime, boundary_name: str) -> list[str]:
    """Re-check every file's bytes and hash; return the problems found."""
    if not is_slug(boundary_name) or read_manifest(rt.storage, boundary_name) is None:
        raise NotFoundError(f"no package for boundary {boundary_name[:80]!r}")
    return validate_package(rt.storage, boundary_name)


def package_zip(rt: Runtime, boundary_name: str) -> Path:
    """Return a new temporary zip of the whole package; the caller deletes it.

    Raises:
        NotFoundError: no package is published for this boundary.
    """
    folder = rt.settings.processing_root / "downloads"
    folder.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f"{boundary_name[:63]}-", suffix=".zip", dir=folder)
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as target:
            write_package_zip(rt, boundary_name, target)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def write_package_zip(rt: Runtime, boundary_name: str, target: BinaryIO) -> None:
    """Write the whole package (manifest, pages, data files) as a zip into ``target``.

    Data files are taken from the manifest read at the start, so a publish running
    meanwhile cannot mix two versions of the package into one archive. Already
    compressed rasters and GeoPackages are stored, the rest deflated.

    Raises:
        NotFoundError: no package is published for this boundary.
    """
    manifest = read_manifest(rt.storage, boundary_name) if is_slug(boundary_name) else None
    if manifest is None:
        raise NotFoundError(f"no package for boundary {boundary_name[:80]!r}")
    prefix = f"{boundary_name}/"
    data_files = [resource["path"] for resource in manifest.get("resources", [])]
    pages = [
        key[len(prefix) :]
        for key in rt.storage.list_keys(prefix)
        if "/data/" not in key and not key.endswith("datapackage.json")
    ]
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr(
            f"{prefix}datapackage.json", json.dumps(manifest, indent=2), zipfile.ZIP_DEFLATED
        )
        for relative in [*pages, *data_files]:
            stored = relative.endswith((".tif", ".tiff", ".gpkg", ".zip", ".parquet"))
            info = zipfile.ZipInfo(prefix + relative, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                for chunk in rt.storage.iter_chunks(prefix + relative):
                    member.write(chunk)
