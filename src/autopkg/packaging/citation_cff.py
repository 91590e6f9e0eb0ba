"""``CITATION.cff``: the package at its version, and each dataset as a reference.

Citation File Format 1.2.0 (https://citation-file-format.github.io/), written as YAML
by hand: every string is a JSON string, which is also a YAML double-quoted scalar, so
no YAML library is needed and no value can change the structure. Dates are quoted
too, so YAML readers keep them as the strings the CFF schema asks for.
"""

from __future__ import annotations

import json

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression

from autopkg.domain.reference import Author, Person
from autopkg.packaging.citation import DatasetCitation, PackageCitation

CFF_VERSION = "1.2.0"
CFF_MESSAGE = (
    "This package holds the datasets listed under references, clipped to one boundary "
    "by autopkg. If you use it, cite the package at this version and each dataset you "
    "use as its reference says."
)


def citation_cff(citation: PackageCitation) -> str:
    """Render ``CITATION.cff`` (``type: dataset``).

    The package's ``authors`` are its datasets' authors; ``version``,
    ``date-released`` and ``url`` are the package's own (its publication), so a
    citation names the bytes it used. Each dataset is a ``references`` entry of type
    ``data`` with its structured authors, year, version, URL, DOI, publisher, SPDX
    licence and the publisher's citation text as ``notes``.
    """
    lines = [
        f"cff-version: {CFF_VERSION}",
        f"message: {_yaml(CFF_MESSAGE)}",
        "type: dataset",
        f"title: {_yaml(citation.title)}",
        f"abstract: {_yaml(citation.abstract)}",
    ]
    if citation.version:
        lines.append(f"version: {_yaml(citation.version)}")
    if citation.released:
        lines.append(f"date-released: {_yaml(citation.released)}")
    if citation.url:
        lines.append(f"url: {_yaml(citation.url)}")
    licenses = list(dict.fromkeys(filter(None, (_spdx(d.license) for d in citation.datasets))))
    if licenses:
        lines.append("license:")
        lines += [f"  - {_yaml(spdx)}" for spdx in licenses]
    lines.append("authors:")
    lines += _authors(citation.authors, indent="  ")
    lines.append("references:")
    for dataset in citation.references:
        lines += _reference(dataset)
    return "\n".join(lines) + "\n"


def _reference(dataset: DatasetCitation) -> list[str]:
    """Return the lines of one ``references`` entry."""
    lines = ["  - type: data", f"    title: {_yaml(dataset.title)}", "    authors:"]
    lines += _authors(dataset.authors, indent="      ")
    if dataset.year is not None:
        lines.append(f"    year: {dataset.year}")
    if dataset.version:
        lines.append(f"    version: {_yaml(dataset.version)}")
    if dataset.url.startswith(("https://", "http://")):
        lines.append(f"    url: {_yaml(dataset.url)}")
    if dataset.doi:
        lines.append(f"    doi: {_yaml(dataset.doi)}")
    if dataset.publisher:
        lines += ["    publisher:", f"      name: {_yaml(dataset.publisher)}"]
    spdx = _spdx(dataset.license)
    if spdx:
        lines.append(f"    license: {_yaml(spdx)}")
    if dataset.citation:
        lines.append(f"    notes: {_yaml(dataset.citation)}")
    return lines


def _authors(authors: tuple[Author, ...], *, indent: str) -> list[str]:
    """Return CFF persons (``family-names``, ``given-names``) and entities (``name``)."""
    lines = []
    for author in authors:
        if isinstance(author, Person):
            lines.append(f"{indent}- family-names: {_yaml(author.family)}")
            if author.given:
                lines.append(f"{indent}  given-names: {_yaml(author.given)}")
        else:
            lines.append(f"{indent}- name: {_yaml(author.name)}")
    return lines


def _spdx(license: str) -> str:
    """Return ``license`` as a canonical SPDX identifier, or ``""`` when SPDX has none."""
    try:
        return str(canonicalize_license_expression(license)) if license else ""
    except InvalidLicenseExpression:
        return ""


def _yaml(text: str) -> str:
    """Quote ``text`` as a YAML double-quoted scalar (a JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)
