"""Credit for the area a package is cut to, when a publisher's boundary file made it.

A package of an admin-1 or admin-2 unit holds geoBoundaries' geometry, so its
manifest names geoBoundaries among its ``sources`` (with the paper to cite) and the
unit's own licence (it varies per country and level) among its ``licenses``; the
citation files and pages take it from there. Countries (Natural Earth, public domain)
and drawn or uploaded areas need no credit.
"""

from __future__ import annotations

import re
from typing import Any

from autopkg.boundaries.geoboundaries import SOURCE_NAME
from autopkg.boundaries.search import fold
from autopkg.domain.boundary import Boundary
from autopkg.domain.reference import REFERENCE_KEY, Person, Reference

#: Marks a package-level source as the area's, not a dataset's.
ROLE_KEY = "autopkg:role"
AREA_ROLE = "boundary"
HOME = "https://www.geoboundaries.org"
AUTHOR = "Runfola D, Anderson A, Baier H, Crittenden M, Dowker E, Fuhrig S, et al."
CITATION = (
    f"{AUTHOR} (2020) geoBoundaries: A global database of political administrative "
    "boundaries. PLoS ONE 15(4): e0231866. https://doi.org/10.1371/journal.pone.0231866"
)
#: The paper's first authors, as its citation above names them.
REFERENCE_AUTHORS = (
    Person(family="Runfola", given="D."),
    Person(family="Anderson", given="A."),
    Person(family="Baier", given="H."),
    Person(family="Crittenden", given="M."),
    Person(family="Dowker", given="E."),
    Person(family="Fuhrig", given="S."),
)
_OSM = "Boundaries under ODbL also credit OpenStreetMap contributors (openstreetmap.org/copyright)."
# The publisher's licence wording (folded) to an Open Definition id and its text.
_LICENSES = (
    ("odbl", "ODbL-1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
    ("open database", "ODbL-1.0", "https://opendatacommons.org/licenses/odbl/1-0/"),
    ("by-sa 2.0", "CC-BY-SA-2.0", "https://creativecommons.org/licenses/by-sa/2.0/"),
    ("igo", "CC-BY-3.0-IGO", "https://creativecommons.org/licenses/by/3.0/igo/"),
    ("by 4.0", "CC-BY-4.0", "https://creativecommons.org/licenses/by/4.0/"),
    ("public domain", "other-pd", ""),
)
_NOT_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def area_sources(boundary: Boundary) -> list[dict[str, Any]]:
    """The Data Package ``sources`` entry crediting the area's publisher, if any."""
    edition = boundary.edition
    if edition.get("source") != SOURCE_NAME:
        return []
    licence = edition.get("license", "")
    citation = CITATION + (f" {_OSM}" if "odbl" in fold(licence) else "")
    return [
        {
            "title": f"geoBoundaries gbOpen {edition.get('boundary_id', '')}".strip(),
            "path": HOME,
            "version": edition.get("build_date", ""),
            "author": AUTHOR,
            "citation": citation,
            REFERENCE_KEY: Reference(
                authors=REFERENCE_AUTHORS,
                year=2020,
                version=edition.get("build_date", ""),
                url=HOME,
                doi="10.1371/journal.pone.0231866",
            ).model_dump(mode="json"),
            ROLE_KEY: AREA_ROLE,
        }
    ]


def area_licenses(boundary: Boundary) -> list[dict[str, str]]:
    """The Data Package licence of the area's geometry, if a publisher's file made it."""
    if boundary.edition.get("source") != SOURCE_NAME:
        return []
    title = boundary.edition.get("license", "") or "see https://www.geoboundaries.org"
    folded = fold(title)
    for needle, name, path in _LICENSES:
        if needle in folded:
            return [{"name": name, "path": path or HOME, "title": title}]
    return [{"name": _NOT_NAME.sub("-", title).strip("-") or "other", "path": HOME, "title": title}]
