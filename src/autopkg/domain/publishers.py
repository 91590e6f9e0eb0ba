"""How the publishers several processors share are cited and served, stated once.

A Zenodo record, a release of JRC's Global Human Settlement Layer, a Natural Earth
download page and autopkg's own test data each give their datasets' references and
citations one form; a processor names what is its own (the record, the authors, the
work) and takes the rest from here, as it takes its licence from
:mod:`~autopkg.domain.licences`.
"""

from __future__ import annotations

from dataclasses import dataclass

from autopkg.domain.reference import Organisation, Reference, authors
from autopkg.domain.sources import Source


@dataclass(frozen=True)
class ZenodoRecord:
    """A Zenodo record: its files' addresses and its DOI (``10.5281/zenodo.<number>``)."""

    number: int

    def file(self, name: str) -> Source:
        """The record's file ``name``, where Zenodo serves it."""
        return Source(url=f"https://zenodo.org/records/{self.number}/files/{name}", filename=name)

    def reference(
        self, credit: str, year: int, *, version: str = "", et_al: bool = False
    ) -> Reference:
        """The record cited: ``credit`` as :func:`~autopkg.domain.reference.authors` reads it."""
        return Reference(
            authors=authors(credit),
            year=year,
            version=version,
            doi=f"10.5281/zenodo.{self.number}",
            publisher="Zenodo",
            et_al=et_al,
        )


#: The publisher of the Global Human Settlement Layer, as its citations name it.
JRC = "European Commission, Joint Research Centre (JRC)"
_GHSL_R2022A = 2022


def ghsl_r2022a(credit: str, *, url: str, pid: str) -> Reference:
    """A dataset of GHSL release R2022A: its landing page ``url``, catalogue ``pid``.

    The JRC Data Catalogue's DOI is its PID (a UUID) in capitals under ``10.2905/``.
    """
    return Reference(
        authors=authors(credit),
        year=_GHSL_R2022A,
        version="R2022A",
        url=url,
        doi=f"10.2905/{pid.upper()}",
        publisher=JRC,
    )


def ghsl_citation(reference: Reference, *, title: str, method: str) -> str:
    """JRC's citation of a GHSL dataset: authors, year, ``title``, PID and DOI, ``method``.

    ``method`` cites the method's publication, ending with its full stop; the reuse
    notice of the Commission's decision follows it.
    """
    pid = reference.doi.removeprefix("10.2905/").lower()
    return reference.cite(
        f"{title}. {JRC}. PID: http://data.europa.eu/89h/{pid}, doi:{reference.doi}. "
        f"Method: {method} © European Union {reference.year}; reuse authorised under "
        "Commission Decision 2011/833/EU."
    )


def natural_earth(url: str, *, year: int, version: str = "") -> Reference:
    """A Natural Earth dataset, cited by its download page ``url``."""
    return Reference(
        authors=(Organisation(name="Natural Earth"),),
        year=year,
        version=version,
        url=url,
        publisher="Natural Earth",
    )


def natural_earth_citation(reference: Reference, work: str) -> str:
    """The credit Natural Earth asks for, then ``work`` and its download page."""
    return (
        "Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com. "
        f"{work}, {reference.url}"
    )


#: autopkg's own synthetic test data.
AUTOPKG = Reference(
    authors=(Organisation(name="autopkg"),),
    year=2025,
    version="1",
    url="https://github.com/nismod/irv-autopkg",
)
