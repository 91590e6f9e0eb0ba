"""What the citation files say, read from the manifest alone.

``CITATION.cff`` (:mod:`~autopkg.packaging.citation_cff`), ``citation.bib``
(:mod:`~autopkg.packaging.citation_bib`) and ``citation.json``
(:mod:`~autopkg.packaging.citation_csl`) list the package itself, at its version, and
one reference per processor version. A dataset's reference comes from the ``sources``
entry of its first resource: the structured fields under ``autopkg:reference``
(authors, year, version, DOI, URL, publisher) and the publisher's citation text. A
package published before those fields were recorded credits its ``author`` string as
one organisation, with no year; it gains them when the processor is published or
rebuilt again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import ValidationError

from autopkg.domain.reference import DOI_PATTERN, Author, Organisation, Reference
from autopkg.packaging.area_credit import AREA_ROLE
from autopkg.packaging.manifest import Manifest, SourceEntry, group_by_processor

_DOI_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/(10\.\d{4,9}/\S+)$")
_DOI = re.compile(DOI_PATTERN)


@dataclass(frozen=True)
class DatasetCitation:
    """How to cite one processor version's dataset."""

    processor_id: str
    title: str
    author: str
    authors: tuple[Author, ...]
    year: int | None
    version: str
    url: str
    doi: str
    publisher: str
    license: str
    citation: str


@dataclass(frozen=True)
class PackageCitation:
    """How to cite the package at one version, and the datasets it holds."""

    key: str
    title: str
    abstract: str
    version: str
    released: str
    url: str
    datasets: tuple[DatasetCitation, ...]
    #: The area's publisher (an admin unit's geometry), cited after the datasets.
    areas: tuple[DatasetCitation, ...] = ()

    @property
    def references(self) -> tuple[DatasetCitation, ...]:
        """Everything the package's citation files cite: the datasets, then the area."""
        return self.datasets + self.areas

    @property
    def authors(self) -> tuple[Author, ...]:
        """The datasets' and the area's authors, each once, in order of first appearance."""
        return tuple(dict.fromkeys(a for d in self.references for a in d.authors))

    @property
    def year(self) -> int | None:
        """The year of ``released``, when it is known."""
        return int(self.released[:4]) if self.released[:4].isdigit() else None


def package_citation(manifest: Manifest, package_url: str = "") -> PackageCitation:
    """Return the citation of ``manifest``'s package and of each of its datasets.

    ``package_url`` is where the package is served, when the deployment says so.
    """
    datasets = []
    for processor_id, files in group_by_processor(manifest.resources).items():
        first = files[0]
        source = first.sources[0] if first.sources else SourceEntry()
        licence = (first.licenses[0].name if first.licenses else None) or ""
        datasets.append(_dataset(processor_id, source, licence))
    # The area's publisher, when the package's own sources credit one.
    areas = tuple(
        _dataset("area.geoboundaries", source, "")
        for source in manifest.sources
        if source.role == AREA_ROLE
    )
    return PackageCitation(
        key=manifest.name or "package",
        title=manifest.title or "",
        abstract=manifest.description or "",
        version=manifest.version or "",
        released=(manifest.created or "")[:10],
        url=package_url,
        datasets=tuple(datasets),
        areas=areas,
    )


def _dataset(processor_id: str, source: SourceEntry, license: str) -> DatasetCitation:
    """Read one dataset's citation from its ``sources`` entry."""
    title = source.title or processor_id
    url = source.path or ""
    try:
        reference: Reference | None = Reference.model_validate(source.reference)
    except ValidationError:
        reference = None
    if reference is None:
        match = _DOI_URL.match(url)
        reference_doi = match.group(1) if match and _DOI.match(match.group(1)) else ""
        authors: tuple[Author, ...] = (Organisation(name=source.author or title),)
        year, version, publisher = None, source.version or "", ""
    else:
        authors, year, version = reference.authors, reference.year, reference.version
        url, reference_doi, publisher = reference.url, reference.doi, reference.publisher
    return DatasetCitation(
        processor_id=processor_id,
        title=title,
        author=source.author or "",
        authors=authors,
        year=year,
        version=version,
        url=url,
        doi=reference_doi,
        publisher=publisher,
        license=license,
        citation=source.citation or "",
    )
