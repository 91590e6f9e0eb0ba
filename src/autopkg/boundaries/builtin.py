"""The built-in admin-0 boundaries: Natural Earth 1:50m countries (v5.1.1, public domain).

Names are lowercase ISO 3166-1 alpha-3 codes; where Natural Earth has no ISO code
(``ISO_A3`` is ``-99``: France, Norway, Kosovo, Somaliland…) its own ``ADM0_A3``
code is used. Loading takes a few tens of milliseconds and is done once per process.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.resources import as_file, files

import pyogrio
import shapely

from autopkg.boundaries.loader import to_multipolygon
from autopkg.domain.boundary import Boundary
from autopkg.errors import AutopkgError, NotFoundError

_DATA = "data/ne_50m_admin_0_countries.zip"
_NO_ISO_CODE = "-99"
#: Where the built-in countries come from, as a boundary's ``edition`` records it
#: (the packaged file's sha256 is added when it is read).
EDITION = {
    "source": "Natural Earth",
    "title": "Admin 0 - Countries, 1:50m",
    "version": "5.1.1",
    "license": "Public Domain",
    "url": "https://www.naturalearthdata.com/",
}
# Other names Natural Earth records: "Ivory Coast" for Côte d'Ivoire, "Swaziland"…
_ALT_COLUMNS = ("NAME", "NAME_EN", "ADMIN", "FORMAL_EN", "NAME_ALT")


@lru_cache(maxsize=1)
def _load() -> tuple[Boundary, ...]:
    """Read and repair every country of the packaged Natural Earth file."""
    with as_file(files("autopkg.boundaries") / _DATA) as path:
        meta, _, wkb, values = pyogrio.raw.read(
            f"/vsizip/{path}", columns=["ISO_A3", "ISO_A2", "ADM0_A3", "NAME_LONG", *_ALT_COLUMNS]
        )
        edition = {**EDITION, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    # pyogrio returns columns in file order, not in the order asked for.
    table = dict(zip(meta["fields"], values, strict=True))
    alternatives = zip(*(table[column] for column in _ALT_COLUMNS), strict=True)
    rows = zip(
        table["ISO_A3"],
        table["ISO_A2"],
        table["ADM0_A3"],
        table["NAME_LONG"],
        alternatives,
        wkb,
        strict=True,
    )
    boundaries = []
    for iso, iso_2, adm0, name_long, alt_names, geometry_wkb in rows:
        name = (adm0 if iso == _NO_ISO_CODE else iso).lower()
        geometry = to_multipolygon(shapely.from_wkb(geometry_wkb))
        if geometry is None:
            raise AutopkgError(f"built-in boundary {name!r} has no polygonal geometry")
        others = tuple(dict.fromkeys(str(alt) for alt in alt_names if alt and alt != name_long))
        boundaries.append(
            Boundary(
                name,
                str(name_long),
                0,
                geometry,
                others,
                codes=_codes(iso, iso_2),
                edition=edition,
            )
        )
    return tuple(sorted(boundaries, key=lambda b: b.name))


def _codes(iso_3: str, iso_2: str) -> dict[str, str]:
    """The country's ISO 3166-1 codes, where Natural Earth has them."""
    codes = {"iso3166_1_alpha3": str(iso_3), "iso3166_1_alpha2": str(iso_2)}
    return {key: value for key, value in codes.items() if value and value != _NO_ISO_CODE}


@lru_cache(maxsize=1)
def _by_name() -> dict[str, Boundary]:
    """Index the built-in boundaries by name."""
    return {b.name: b for b in _load()}


def builtin_boundaries() -> list[Boundary]:
    """Return the built-in admin-0 boundaries (242 countries and territories) by name."""
    return list(_load())


def get_builtin(name: str) -> Boundary:
    """Return the built-in boundary called ``name`` (lowercase ISO3, e.g. ``gha``).

    Raises:
        NotFoundError: if there is no built-in boundary of that name.
    """
    try:
        return _by_name()[name]
    except KeyError:
        raise NotFoundError(f"no built-in boundary named {name!r}") from None
