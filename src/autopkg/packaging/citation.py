"""How to cite a package: ``CITATION.cff`` and ``citation.bib``, built from the manifest.

Both list one reference per processor version in the manifest, taken from the
``sources`` entry of its first resource (``title``, ``path``, ``version``, ``author``,
``citation``), so they can be rebuilt from ``datapackage.json`` alone. Packages
published before citations were recorded give a reference without author or citation
text; it gains them when the processor is published or rebuilt again.

The CFF file (https://citation-file-format.github.io/, version 1.2.0) is written as
YAML by hand: every string is a JSON string, which is also a YAML double-quoted
scalar, so no YAML library is needed and no value can change the structure.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from autopkg.packaging.area_credit import AREA_ROLE, ROLE_KEY
from autopkg.packaging.manifest import Manifest, group_by_processor

CFF_VERSION = "1.2.0"
CFF_MESSAGE = (
    "This package holds the datasets listed under references, clipped to one boundary "
    "by autopkg. If you use it, cite each dataset you use as its reference says."
)
_DOI_URL = re.compile(r"^https?://(?:dx\.)?doi\.org/(10\.\d{4,9}/\S+)$")
# The DOI pattern of the CFF 1.2.0 schema: a DOI outside it would make the file invalid.
_CFF_DOI = re.compile(r"^10\.\d{4,9}(\.\d+)?/[A-Za-z0-9:/_;\-\.\(\)\[\]\\]+$")
# Characters LaTeX treats specially, escaped in BibTeX text fields.
_LATEX_SPECIAL = re.compile(r"([&%$#_{}~^\\])")
_LATEX_ESCAPES = {"~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


@dataclass(frozen=True)
class DatasetCitation:
    """What the manifest says about citing one processor version's dataset."""

    processor_id: str
    title: str
    url: str
    version: str
    author: str
    citation: str

    @property
    def doi(self) -> str:
        """The DOI of ``url`` when it is a ``doi.org`` link CFF accepts, else ``""``."""
        match = _DOI_URL.match(self.url)
        doi = match.group(1) if match else ""
        return doi if _CFF_DOI.match(doi) else ""


def dataset_citations(manifest: Manifest) -> list[DatasetCitation]:
    """Return one citation per processor version of ``manifest``, in manifest order."""
    citations = []
    for processor_id, files in group_by_processor(manifest.get("resources", [])).items():
        source = (files[0].get("sources") or [{}])[0]
        citations.append(
            DatasetCitation(
                processor_id=processor_id,
                title=str(source.get("title") or processor_id),
                url=str(source.get("path", "")),
                version=str(source.get("version", "")),
                author=str(source.get("author", "")),
                citation=str(source.get("citation", "")),
            )
        )
    return citations


def _references(manifest: Manifest) -> list[DatasetCitation]:
    """The datasets' citations, then the area's publisher's when the package's own
    ``sources`` credit one (an admin unit's geometry)."""
    area = [
        DatasetCitation(
            processor_id="area.geoboundaries",
            title=str(source.get("title", "")),
            url=str(source.get("path", "")),
            version=str(source.get("version", "")),
            author=str(source.get("author", "")),
            citation=str(source.get("citation", "")),
        )
        for source in manifest.get("sources", [])
        if source.get(ROLE_KEY) == AREA_ROLE
    ]
    return [*dataset_citations(manifest), *area]


def citation_cff(manifest: Manifest) -> str:
    """Render the package's ``CITATION.cff`` (CFF 1.2.0, ``type: dataset``).

    The package's ``authors`` are the datasets' authors (each one entity, named as its
    publisher writes it, since those strings are not split into persons reliably);
    each dataset is a ``references`` entry of type ``data`` with its title, authors,
    version, URL, DOI (when its URL is a DOI link) and its citation text as ``notes``.
    A dataset without a recorded author is credited under its title, because CFF
    requires at least one author.
    """
    citations = _references(manifest)
    authors = list(dict.fromkeys(c.author or c.title for c in citations))
    lines = [
        f"cff-version: {CFF_VERSION}",
        f"message: {_yaml(CFF_MESSAGE)}",
        "type: dataset",
        f"title: {_yaml(str(manifest.get('title', '')))}",
        f"abstract: {_yaml(str(manifest.get('description', '')))}",
        "authors:",
        *(f"  - name: {_yaml(author)}" for author in authors),
        "references:",
    ]
    for c in citations:
        lines += [
            "  - type: data",
            f"    title: {_yaml(c.title)}",
            "    authors:",
            f"      - name: {_yaml(c.author or c.title)}",
        ]
        if c.version:
            lines.append(f"    version: {_yaml(c.version)}")
        if c.url.startswith(("https://", "http://")):
            lines.append(f"    url: {_yaml(c.url)}")
        if c.doi:
            lines.append(f"    doi: {_yaml(c.doi)}")
        if c.citation:
            lines.append(f"    notes: {_yaml(c.citation)}")
    return "\n".join(lines) + "\n"


def citation_bib(manifest: Manifest) -> str:
    """Render the package's ``citation.bib``: one ``@misc`` entry per dataset.

    The key is the processor id (``gridfinder.version_1``). ``author`` is braced as one
    name, because publishers' author strings do not follow BibTeX's ``and`` rule;
    ``note`` holds the publisher's citation text. Text fields are LaTeX-escaped; ``url``
    and ``doi`` are verbatim fields, so only braces and backslashes are percent-encoded
    there.
    """
    entries = []
    for c in _references(manifest):
        fields = [("title", "{" + _latex(c.title) + "}")]
        if c.author:
            fields.append(("author", "{" + _latex(c.author) + "}"))
        if c.version:
            fields.append(("version", _latex(c.version)))
        if c.url:
            fields.append(("url", _verbatim(c.url)))
        if c.doi:
            fields.append(("doi", _verbatim(c.doi)))
        if c.citation:
            fields.append(("note", _latex(c.citation)))
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
        entries.append(f"@misc{{{c.processor_id},\n{body}\n}}\n")
    return "\n".join(entries)


def _yaml(text: str) -> str:
    """Quote ``text`` as a YAML double-quoted scalar (a JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)


def _latex(text: str) -> str:
    """Escape the characters LaTeX treats specially."""
    return _LATEX_SPECIAL.sub(lambda m: _LATEX_ESCAPES.get(m.group(1), "\\" + m.group(1)), text)


def _verbatim(text: str) -> str:
    """Percent-encode what would unbalance a verbatim BibTeX field."""
    return text.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")
