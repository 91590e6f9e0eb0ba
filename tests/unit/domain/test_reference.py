"""A dataset's reference stated once: authors read from a citation's spelling, derived text."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from autopkg.domain.licences import CC0_1_0
from autopkg.domain.metadata import Metadata
from autopkg.domain.publishers import (
    AUTOPKG,
    JRC,
    ZenodoRecord,
    ghsl_citation,
    ghsl_r2022a,
    natural_earth,
    natural_earth_citation,
)
from autopkg.domain.reference import Organisation, Person, Reference, authors
from autopkg.domain.sources import Source


def test_authors_tells_people_by_their_initials_from_organisations() -> None:
    assert authors("Ward P.J.; de Moel H.; Díaz Loaiza A.; Bierkens M.F.P.") == (
        Person(family="Ward", given="P.J."),
        Person(family="de Moel", given="H."),
        Person(family="Díaz Loaiza", given="A."),
        Person(family="Bierkens", given="M.F.P."),
    )
    assert authors(" OpenStreetMap contributors ;Natural Earth; Google; Acme Inc.; autopkg") == (
        Organisation(name="OpenStreetMap contributors"),
        Organisation(name="Natural Earth"),
        Organisation(name="Google"),
        Organisation(name="Acme Inc."),
        Organisation(name="autopkg"),
    )


def test_a_reference_with_a_doi_is_found_at_its_resolver() -> None:
    reference = Reference(authors=authors("Russell T."), year=2022, doi="10.5281/zenodo.7438145")
    assert reference.url == "https://doi.org/10.5281/zenodo.7438145"
    stated = Reference(
        authors=authors("Russell T."), year=2022, doi="10.5281/zenodo.1", url="https://x.org/"
    )
    assert stated.url == "https://x.org/"
    with pytest.raises(ValidationError, match="url"):
        Reference(authors=authors("Russell T."), year=2022)


def test_credit_and_citation_name_the_authors_as_the_text_does() -> None:
    reference = Reference(
        authors=authors("Lange S.; Volkholz J.; OpenStreetMap contributors"),
        year=2020,
        url="https://example.org/",
    )
    assert reference.credit == "Lange S., Volkholz J., OpenStreetMap contributors"
    truncated = reference.model_copy(update={"et_al": True})
    assert truncated.credit == "Lange S., Volkholz J., OpenStreetMap contributors, et al."
    assert truncated.cite("A work. doi:x") == (
        "Lange S., Volkholz J., OpenStreetMap contributors, et al. (2020): A work. doi:x"
    )
    # "et al." is for people: the stored reference is the one published before it.
    assert "et_al" not in truncated.model_dump(mode="json")
    assert Reference.model_validate(truncated.model_dump(mode="json")) == reference


def _metadata(**fields: object) -> Metadata:
    return Metadata.model_validate(
        {
            "name": "x",
            "version": "version_1",
            "description": "d",
            "data_title": "t",
            "data_title_long": "tl",
            "data_summary": "s",
            "data_citation": "c",
            "data_license": CC0_1_0,
            **fields,
        }
    )


def test_metadata_takes_author_and_origin_from_its_reference_unless_stated() -> None:
    reference = Reference(authors=authors("Arderne C.; Koks E.E."), year=2020, doi="10.1234/x")
    derived = _metadata(data_reference=reference)
    assert (derived.data_author, derived.data_origin_url) == (
        "Arderne C., Koks E.E.",
        "https://doi.org/10.1234/x",
    )
    assert derived.data_formats == ("GeoTIFF",)
    stated = _metadata(
        data_reference=reference.model_dump(mode="json"),
        data_author=JRC,
        data_origin_url="https://example.org/landing",
        data_formats=("GeoPackage",),
    )
    assert (stated.data_author, stated.data_origin_url, stated.data_formats) == (
        JRC,
        "https://example.org/landing",
        ("GeoPackage",),
    )
    assert stated.data_reference == reference


def test_metadata_without_a_reference_must_state_author_and_origin() -> None:
    with pytest.raises(ValidationError) as caught:
        _metadata()
    assert {error["loc"][0] for error in caught.value.errors()} == {
        "data_author",
        "data_origin_url",
    }


def test_a_zenodo_record_serves_its_files_and_is_cited_by_its_doi() -> None:
    record = ZenodoRecord(3628142)
    assert record.file("lv.tif") == Source(
        url="https://zenodo.org/records/3628142/files/lv.tif", filename="lv.tif"
    )
    assert record.reference("Arderne C.", 2020, version="1.1.1") == Reference(
        authors=(Person(family="Arderne", given="C."),),
        year=2020,
        version="1.1.1",
        url="https://doi.org/10.5281/zenodo.3628142",
        doi="10.5281/zenodo.3628142",
        publisher="Zenodo",
    )


def test_a_ghsl_citation_names_the_catalogue_entry_and_the_reuse_notice() -> None:
    reference = ghsl_r2022a("Doe J.", url="https://ghsl.example/p", pid="ab12-cd")
    assert (reference.doi, reference.version, reference.year, reference.publisher) == (
        "10.2905/AB12-CD",
        "R2022A",
        2022,
        JRC,
    )
    assert ghsl_citation(reference, title="A grid", method="Doe J. (2021): A paper.") == (
        "Doe J. (2022): A grid. European Commission, Joint Research Centre (JRC). PID: "
        "http://data.europa.eu/89h/ab12-cd, doi:10.2905/AB12-CD. Method: Doe J. (2021): A "
        "paper. © European Union 2022; reuse authorised under Commission Decision 2011/833/EU."
    )


def test_natural_earth_and_autopkg_are_organisations() -> None:
    reference = natural_earth("https://www.naturalearthdata.com/x/", year=2009)
    assert reference.authors == (Organisation(name="Natural Earth"),)
    assert natural_earth_citation(reference, "Roads") == (
        "Made with Natural Earth. Free vector and raster map data @ naturalearthdata.com. "
        "Roads, https://www.naturalearthdata.com/x/"
    )
    assert AUTOPKG.credit == "autopkg"
