"""How a dataset is cited, in fields a reference manager reads.

A publisher's citation text (``Metadata.data_citation``) is for people; these fields
are for programs: each author as a person (family and given names) or an
organisation, the year, the dataset's own version (not the processor's), its DOI and
URL. The package's ``CITATION.cff``, ``citation.bib`` and ``citation.json`` are
rendered from them.

A processor states its authors once, as a citation names them (:func:`authors`), and
most citation texts are the reference's authors and year before the work
(:meth:`Reference.cite`), so the text and the fields cannot disagree.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

# The DOI form CFF 1.2.0 accepts (its schema's pattern): a DOI outside it would make
# CITATION.cff invalid, so it is refused when the processor is defined.
DOI_PATTERN = r"^10\.\d{4,9}(\.\d+)?/[A-Za-z0-9:/_;\-\.\(\)\[\]\\]+$"


#: The key of a Data Package ``sources`` entry holding a dataset's structured citation
#: (a :class:`Reference` as JSON).
REFERENCE_KEY = "autopkg:reference"


class Person(BaseModel):
    """An author who is a person: ``family`` name and ``given`` names or initials."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    family: str = Field(min_length=1)
    given: str = ""


class Organisation(BaseModel):
    """An author who is an organisation or a group, named as it names itself."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1)


Author = Person | Organisation

# Given names as a citation abbreviates them ("S.", "P.J.", "M.F.P."): what tells a
# person from an organisation in :func:`authors`.
_INITIALS = re.compile(r"(?:[^\W\d_]\.)+")


def authors(text: str) -> tuple[Author, ...]:
    """The authors of ``text``, written as a citation names them, ``;`` between them.

    An entry ending in initials is a person, the family name before them (``"de Moel
    H."``); any other is an organisation, named whole (``"OpenStreetMap contributors"``):
    ``"Ward P.J.; de Moel H.; World Resources Institute"``.
    """
    found: list[Author] = []
    for entry in (part.strip() for part in text.split(";")):
        family, _, given = entry.rpartition(" ")
        if family and _INITIALS.fullmatch(given) and given.isupper():
            found.append(Person(family=family, given=given))
        else:
            found.append(Organisation(name=entry))
    return tuple(found)


def _named(author: Author) -> str:
    if isinstance(author, Organisation):
        return author.name
    return f"{author.family} {author.given}".strip()


class Reference(BaseModel):
    """The structured citation of one dataset.

    ``url`` defaults to the DOI's resolver address when a ``doi`` is given.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    authors: tuple[Author, ...] = Field(min_length=1)
    year: int = Field(ge=1000, le=9999)
    #: The dataset's version as its publisher names it; ``""`` when it names none.
    version: str = ""
    url: str = Field("", pattern=r"^https?://", validate_default=True)
    doi: str = Field(default="", pattern=rf"{DOI_PATTERN}|^$")
    publisher: str = ""
    #: The publisher's citation lists more authors than ``authors`` ("et al."). Said in
    #: the citation text only: the citation files have no field for it, and leaving it
    #: out of the stored reference keeps every package's reference as it was.
    et_al: bool = Field(False, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _url_of_doi(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("url") and data.get("doi"):
            return {**data, "url": f"https://doi.org/{data['doi']}"}
        return data

    @property
    def credit(self) -> str:
        """The authors as a citation names them: ``"Lange S., Volkholz J., et al."``."""
        names = [_named(author) for author in self.authors]
        return ", ".join([*names, "et al."] if self.et_al else names)

    def cite(self, work: str) -> str:
        """The citation text of ``work``: ``"<credit> (<year>): <work>"``."""
        return f"{self.credit} ({self.year}): {work}"
