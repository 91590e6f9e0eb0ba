"""geoBoundaries gbOpen: a country's admin-1 or admin-2 units, as the publisher serves them.

The API document of one country and level (``…/gbOpen/KEN/ADM1/``, a static file also
served as ``…/ADM1/index.json``, which is what is fetched so that any mirror, a plain
folder too, can hold it) names the GeoJSON in ``gjDownloadURL``. That URL is always
taken from the document, never built: its host has changed before. The file may come
back as a Git LFS pointer (``version https://git-lfs.github.com/spec/v1``); it is then
fetched from GitHub's media host and checked against the pointer's sha256 and size.
Every file goes through the source machinery (cache, mirror, retries, digests).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from autopkg.domain.sources import Source
from autopkg.errors import SourceError
from autopkg.processors.fetch import SourceNotFoundError, cached_digest

API_ROOT = "https://www.geoboundaries.org/api/current/gbOpen"
SOURCE_NAME = "geoBoundaries gbOpen"
#: The publisher's own "nan" where a record has no value (``licenseDetail``).
_NO_VALUE = frozenset({"", "nan", "none", "null"})
_LFS_SPEC = b"version https://git-lfs.github.com/spec/v1"
_LFS_FIELD = re.compile(rb"^(oid sha256:(?P<oid>[0-9a-f]{64})|size (?P<size>\d+))\s*$", re.M)
# GitHub paths of a release file: /OWNER/REPO/raw/COMMIT/PATH (github.com) or
# /OWNER/REPO/COMMIT/PATH (raw.githubusercontent.com).
_GITHUB_RAW = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/raw/(?P<rest>.+)$")
_MEDIA_HOST = "https://media.githubusercontent.com/media"

#: Fetches a source into the cache and returns the local path (fetch_source, bound).
Fetch = Callable[[Source], Path]


@dataclass(frozen=True)
class Unit:
    """One feature of a release file: its name, codes and geometry as published."""

    name: str
    shape_iso: str
    shape_id: str
    geometry: BaseGeometry | None


@dataclass(frozen=True)
class Release:
    """One country's units at one level, with the edition they come from."""

    level: int
    units: list[Unit]
    edition: dict[str, str]


def api_source(iso3: str, level: int) -> Source:
    """The API document of ``iso3`` (upper-case) at ``level`` (1 or 2)."""
    return Source(url=f"{API_ROOT}/{iso3}/ADM{level}/index.json", filename="index.json")


def fetch_release(fetch: Fetch, iso3: str, level: int) -> Release | None:
    """Fetch and read the units of ``iso3`` at ``level``; ``None`` when it has none.

    A country without units at a level (the API answers 404) is a normal answer.

    Raises:
        SourceError: naming the URL when a document or file cannot be fetched, is
            not what the publisher serves, or fails its LFS pointer's digest.
    """
    source = api_source(iso3, level)
    try:
        document = _read_document(fetch(source), source.url)
    except SourceNotFoundError:
        return None
    record = _record(document, iso3, level, source.url)
    url = record.get("gjDownloadURL", "")
    if urlsplit(url).scheme not in ("http", "https"):
        raise SourceError(f"{source.url} names no GeoJSON download (gjDownloadURL {url!r})")
    path = _content(fetch, url)
    edition = {
        "source": SOURCE_NAME,
        "boundary_id": record.get("boundaryID", ""),
        "build_date": record.get("buildDate", ""),
        "boundary_source": record.get("boundarySource", ""),
        "license": record.get("boundaryLicense", ""),
        "license_detail": record.get("licenseDetail", ""),
        "url": url,
        "sha256": cached_digest(path).sha256,
    }
    kept = {key: value for key, value in edition.items() if value.strip().lower() not in _NO_VALUE}
    return Release(level=level, units=_read_units(path, url), edition=kept)


def _read_document(path: Path, url: str) -> Any:
    try:
        return json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError):
        raise SourceError(f"{url} is not a JSON document") from None


def _record(document: Any, iso3: str, level: int, url: str) -> dict[str, str]:
    """The document's record of ``iso3`` at ``level``: one object, or one of a list."""
    records = document if isinstance(document, list) else [document]
    for record in records:
        if not isinstance(record, dict):
            continue
        iso = str(record.get("boundaryISO", iso3)).upper()
        kind = str(record.get("boundaryType", f"ADM{level}")).upper()
        if iso == iso3 and kind == f"ADM{level}":
            return {str(key): str(value) for key, value in record.items()}
    raise SourceError(f"{url} holds no record of {iso3} ADM{level}")


def _content(fetch: Fetch, url: str) -> Path:
    """The release file at ``url``, following a Git LFS pointer to its content."""
    filename = urlsplit(url).path.rsplit("/", 1)[-1] or "boundaries.geojson"
    path = fetch(Source(url=url, filename=filename))
    with path.open("rb") as handle:
        head = handle.read(1024)
    if not head.startswith(_LFS_SPEC):
        return path
    fields = {
        key: value.decode()
        for match in _LFS_FIELD.finditer(head)
        for key, value in match.groupdict().items()
        if value
    }
    if "oid" not in fields or "size" not in fields:
        raise SourceError(f"{url} is a Git LFS pointer without an oid and a size")
    media = _media_url(url)
    content = fetch(
        Source(url=media, filename=filename, size=int(fields["size"]), sha256=fields["oid"])
    )
    digest = cached_digest(content)
    if digest.sha256 != fields["oid"] or digest.size != int(fields["size"]):
        raise SourceError(
            f"{media} does not match the Git LFS pointer {url} (sha256 {digest.sha256}, "
            f"{digest.size:,} bytes; the pointer says {fields['oid']}, {fields['size']} bytes)"
        )
    return content


def _media_url(url: str) -> str:
    """Where GitHub serves the content of the LFS file whose pointer is at ``url``."""
    parts = urlsplit(url)
    if parts.netloc == "github.com" and (found := _GITHUB_RAW.match(parts.path)):
        return f"{_MEDIA_HOST}/{found['repo']}/{found['rest']}"
    if parts.netloc == "raw.githubusercontent.com":
        return f"{_MEDIA_HOST}{parts.path}"
    raise SourceError(f"{url} is a Git LFS pointer on a host whose content host is unknown")


def _read_units(path: Path, url: str) -> list[Unit]:
    # Large admin-2 files hold features beyond GDAL's default GeoJSON object limit.
    pyogrio.set_gdal_config_options({"OGR_GEOJSON_MAX_OBJ_SIZE": "0"})
    try:
        fields = [str(field) for field in pyogrio.read_info(path)["fields"]]
        columns = [c for c in ("shapeName", "shapeISO", "shapeID") if c in fields]
        if "shapeName" not in columns or "shapeID" not in columns:
            raise SourceError(f"{url} has no shapeName or shapeID property (found {fields})")
        meta, _, wkb, values = pyogrio.raw.read(path, columns=columns, force_2d=True)
    except pyogrio.errors.DataSourceError as exc:
        raise SourceError(f"{url} is not a readable GeoJSON file: {exc}") from None
    table = dict(zip(meta["fields"], values, strict=True))
    isos = table.get("shapeISO", [None] * len(wkb))
    geometries = shapely.from_wkb(wkb, on_invalid="ignore")
    return [
        Unit(name=_text(name), shape_iso=_text(iso), shape_id=_text(shape_id), geometry=geometry)
        for name, iso, shape_id, geometry in zip(
            table["shapeName"], isos, table["shapeID"], geometries, strict=True
        )
    ]


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()
