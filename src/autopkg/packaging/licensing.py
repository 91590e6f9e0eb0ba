"""Licences of a package as STAC states them: an SPDX identifier or ``other`` plus links."""

from __future__ import annotations

from collections.abc import Iterable

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression
from pystac import Link

from autopkg.packaging.manifest import Licence

#: What STAC 1.1 says when no single SPDX identifier fits (the links then name them).
OTHER = "other"


def stac_license(licenses: Iterable[Licence]) -> str:
    """Return the STAC ``license`` of data under ``licenses`` (Frictionless licence objects).

    One licence whose ``name`` is an SPDX identifier gives that identifier
    (``CC-BY-4.0``). Several licences, or one that SPDX does not list (Open Definition's
    ``other-pd``), give ``other``: the STAC schema allows no SPDX expression with spaces.
    """
    names = list(dict.fromkeys(lic.name or "" for lic in licenses))
    if len(names) != 1:
        return OTHER
    try:
        return str(canonicalize_license_expression(names[0]))
    except InvalidLicenseExpression:
        return OTHER


def web_license_links(licenses: Iterable[Licence]) -> list[Link]:
    """Return a ``license`` link to each licence text that is on the web, once each."""
    links = {}
    for lic in licenses:
        path = lic.path or ""
        if path.startswith(("https://", "http://")) and path not in links:
            links[path] = Link("license", path, title=str(lic.title or lic.name))
    return list(links.values())
