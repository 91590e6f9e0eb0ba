"""``citation.json``: the package and each dataset as CSL-JSON items.

CSL-JSON (https://citeproc-js.readthedocs.io/en/latest/csl-json/markup.html) is what
Zotero, Mendeley, pandoc and citeproc read, and what citation styles (APA, Chicago…)
format. Each item is of type ``dataset``; persons have ``family`` and ``given``, an
organisation is a ``literal`` name, so styles never split it into a person.
"""

from __future__ import annotations

from typing import Any

from autopkg.domain.reference import Author, Person
from autopkg.packaging.citation import PackageCitation


def citation_csl(citation: PackageCitation) -> list[dict[str, Any]]:
    """Return the CSL-JSON items: the package at its version first, then every dataset."""
    package = {
        "id": citation.key,
        "type": "dataset",
        "title": citation.title,
        "author": _names(citation.authors),
        "abstract": citation.abstract,
        "version": citation.version,
        "URL": citation.url,
        "issued": _issued(citation.year),
    }
    items = [package]
    for d in citation.references:
        items.append(
            {
                "id": d.processor_id,
                "type": "dataset",
                "title": d.title,
                "author": _names(d.authors),
                "issued": _issued(d.year),
                "version": d.version,
                "publisher": d.publisher,
                "URL": d.url,
                "DOI": d.doi,
                "note": d.citation,
            }
        )
    return [{key: value for key, value in item.items() if value} for item in items]


def _names(authors: tuple[Author, ...]) -> list[dict[str, str]]:
    """Return CSL name objects."""
    return [
        {"family": a.family, "given": a.given} if isinstance(a, Person) else {"literal": a.name}
        for a in authors
    ]


def _issued(year: int | None) -> dict[str, list[list[int]]] | None:
    """Return a CSL date of ``year``, or ``None`` when it is unknown."""
    return {"date-parts": [[year]]} if year else None
