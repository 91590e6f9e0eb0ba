"""How a dataset is cited, in fields a reference manager reads.

A publisher's citation text (``Metadata.data_citation``) is for people; these fields
are for programs: each author as a person (family and given names) or an
organisation, the year, the dataset's own version (not the processor's), its DOI and
URL. The package's ``CITATION.cff``, ``citation.bib`` and ``citation.json`` are
rendered from them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

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


class Reference(BaseModel):
    """The structured citation of one dataset."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    authors: tuple[Author, ...] = Field(min_length=1)
    year: int = Field(ge=1000, le=9999)
    #: The dataset's version as its publisher names it; ``""`` when it names none.
    version: str = ""
    url: str = Field(pattern=r"^https?://")
    doi: str = Field(default="", pattern=rf"{DOI_PATTERN}|^$")
    publisher: str = ""
