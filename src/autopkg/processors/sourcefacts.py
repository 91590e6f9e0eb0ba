"""A source raster's facts read from the file, compared with the prior and remembered.

A processor states what it believes about a publisher's raster as a prior, a
:class:`~autopkg.domain.facts.SourceFacts` constant, which sizes a job before anything
is fetched. At run time the fetched file is the truth: :func:`read_facts` reads it
once, the clip works on the grid read, and :func:`differences` names what the prior
got wrong. The facts read are kept beside the cached source (:func:`remember`), so that
the next estimate sizes the output on the grid last seen (:func:`last_seen`) instead of
the prior.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import rasterio
from pyproj import CRS
from pyproj.exceptions import CRSError
from rasterio.errors import NotGeoreferencedWarning, RasterioError

from autopkg.domain.facts import SourceFacts
from autopkg.errors import SourceError

log = logging.getLogger(__name__)

#: Beside a cached source ``NAME``: the facts of the rasters read from it, by member.
FACTS_SUFFIX = ".facts.json"


def read_facts(src: str | Path, *, name: str) -> SourceFacts:
    """Read a source raster's facts, opening it once.

    Raises:
        SourceError: the file cannot be read as a raster, or declares no CRS (its
            pixels could be anywhere), in words a person can act on.
    """
    try:
        with warnings.catch_warnings():
            # A file without georeferencing is reported by its missing CRS below.
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(str(src)) as source:
                wkt = source.crs.to_wkt() if source.crs else None
                facts = (source.transform, source.width, source.height)
                dtype, count, nodata = source.dtypes[0], source.count, source.nodata
    except RasterioError as exc:
        # GDAL names the file by its path in the source cache: the name says enough.
        detail = str(exc).replace(f"'{src}'", name).replace(str(src), name)
        raise SourceError(
            f"the publisher's file {name} could not be read as a raster; it may be damaged "
            f"or not a GeoTIFF ({detail})"
        ) from None
    if wkt is None:
        raise SourceError(
            f"the publisher's file {name} cannot be placed on the map: it declares no "
            "coordinate reference system"
        )
    return SourceFacts(_crs_text(wkt), *facts, dtype=dtype, count=count, nodata=nodata)


def _crs_text(wkt: str) -> str:
    """A CRS as its authority code when the WKT matches one closely, else the WKT."""
    authority = CRS.from_wkt(wkt).to_authority(min_confidence=90)
    return ":".join(authority) if authority else wkt


def differences(prior: SourceFacts, facts: SourceFacts) -> list[str]:
    """What ``facts`` (read) say unlike ``prior`` (believed), one phrase each."""
    found = []
    if not same_crs(prior.crs, facts.crs):
        found.append(f"CRS {_crs_name(facts.crs)}, not {_crs_name(prior.crs)}")
    if (facts.width, facts.height) != (prior.width, prior.height):
        found.append(f"{facts.width}x{facts.height} pixels, not {prior.width}x{prior.height}")
    read, believed = facts.transform, prior.transform
    if not _close(
        (read.a, read.e, read.b, read.d), (believed.a, believed.e, believed.b, believed.d)
    ):
        found.append(
            f"pixels of {read.a:.12g} x {-read.e:.12g}, not {believed.a:.12g} x {-believed.e:.12g}"
        )
    if not _close((read.c, read.f), (believed.c, believed.f)):
        found.append(
            f"origin ({read.c:.12g}, {read.f:.12g}), not ({believed.c:.12g}, {believed.f:.12g})"
        )
    if facts.dtype != prior.dtype:
        found.append(f"pixel type {facts.dtype}, not {prior.dtype}")
    if facts.count != prior.count:
        found.append(f"{facts.count} band(s), not {prior.count}")
    if not same_nodata(facts.nodata, prior.nodata):
        found.append(f"NoData {_shown(facts.nodata)}, not {_shown(prior.nodata)}")
    return found


def same_nodata(read: float | None, believed: float | None) -> bool:
    """Whether two NoData values are the same (NaN is NaN; 255 is 255.0; none is none)."""
    if read is None or believed is None:
        return read is believed
    return read == believed or (math.isnan(read) and math.isnan(believed))


def _shown(nodata: float | None) -> str:
    return "none" if nodata is None else f"{nodata:.12g}"


def _close(read: tuple[float, ...], believed: tuple[float, ...]) -> bool:
    return all(
        math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) for a, b in zip(read, believed, strict=True)
    )


def same_crs(read: str, believed: str) -> bool:
    """Whether two CRSs are the same, however the file's WKT spells it."""
    if read == believed:
        return True
    try:
        actual, expected = CRS.from_user_input(read), CRS.from_user_input(believed)
    except CRSError:
        return False
    if actual.equals(expected, ignore_axis_order=True):
        return True
    authority = actual.to_authority(min_confidence=70)
    return authority is not None and authority == expected.to_authority()


def _crs_name(crs: str) -> str:
    return crs if len(crs) < 40 else CRS.from_user_input(crs).name


def remember(cached: Path, member: str, facts: SourceFacts) -> None:
    """Keep ``facts`` of the raster ``member`` of the cached source ``cached``.

    They go to ``<cached>.facts.json`` beside the source's digest record, keyed by
    member (``""`` for the file itself), replaced atomically so a reader never sees half
    a record. Two runs reading members of one source at the same moment may keep only
    one's facts: the other member's next estimate then uses its prior, which is all a
    lost record costs, so no lock is taken; for the same reason a record that cannot be
    written (a read-only cache) is logged, not raised.
    """
    record = cached.with_name(cached.name + FACTS_SUFFIX)
    held = _read(record)
    if held.get(member) == facts.record():
        return
    held[member] = facts.record()
    scratch = record.with_name(f"{record.name}.{os.getpid()}.{threading.get_ident()}.part")
    try:
        scratch.write_text(json.dumps(held, sort_keys=True))
        os.replace(scratch, record)
    except OSError as exc:
        scratch.unlink(missing_ok=True)
        log.warning(
            "cannot keep the facts of %s beside the cached source: %s", member or cached.name, exc
        )


def last_seen(cached: Path, member: str = "") -> SourceFacts | None:
    """The facts last read from ``member`` of the cached source ``cached``, if any."""
    value = _read(cached.with_name(cached.name + FACTS_SUFFIX)).get(member)
    if not isinstance(value, dict):
        return None
    try:
        return SourceFacts.from_record(value)
    except (KeyError, TypeError, ValueError):
        return None


def _read(record: Path) -> dict[str, Any]:
    try:
        value = json.loads(record.read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}
