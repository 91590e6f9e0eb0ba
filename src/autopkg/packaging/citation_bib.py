"""``citation.bib``: the package and each dataset as BibTeX ``@misc`` entries.

The package's entry is keyed by its boundary name (``gha``), each dataset's by its
processor id (``gridfinder.version_1``); the two never collide, since a boundary name
has no dot. Persons are written ``Family, Given`` joined by ``and``, so styles format
and abbreviate them; an organisation is braced as one name, so no style splits
``World Resources Institute`` into a person. Text fields are LaTeX-escaped; ``url``
and ``doi`` are verbatim fields, so only braces and backslashes are percent-encoded
there.
"""

from __future__ import annotations

import re

from autopkg.domain.reference import Author, Person
from autopkg.packaging.citation import PackageCitation

# Characters LaTeX treats specially, escaped in BibTeX text fields.
_LATEX_SPECIAL = re.compile(r"([&%$#_{}~^\\])")
_LATEX_ESCAPES = {"~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}"}


def citation_bib(citation: PackageCitation) -> str:
    """Render ``citation.bib``: the package at its version first, then every dataset."""
    package = [
        ("title", _braced(citation.title)),
        ("author", _names(citation.authors)),
        ("year", str(citation.year or "")),
        ("version", _latex(citation.version)),
        ("url", _verbatim(citation.url)),
        ("note", _latex(citation.abstract)),
    ]
    entries = [_entry(citation.key, package)]
    for d in citation.references:
        fields = [
            ("title", _braced(d.title)),
            ("author", _names(d.authors)),
            ("year", str(d.year or "")),
            ("version", _latex(d.version)),
            ("publisher", _latex(d.publisher)),
            ("url", _verbatim(d.url)),
            ("doi", _verbatim(d.doi)),
            ("note", _latex(d.citation)),
        ]
        entries.append(_entry(d.processor_id, fields))
    return "\n".join(entries)


def _entry(key: str, fields: list[tuple[str, str]]) -> str:
    """Return one ``@misc`` entry with the fields that have a value."""
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{key},\n{body}\n}}\n"


def _names(authors: tuple[Author, ...]) -> str:
    """Return BibTeX's ``and``-separated names: ``Family, Given`` or ``{Organisation}``."""
    names = []
    for author in authors:
        if isinstance(author, Person):
            given = f", {_latex(author.given)}" if author.given else ""
            names.append(f"{_latex(author.family)}{given}")
        else:
            names.append("{" + _latex(author.name) + "}")
    return " and ".join(names)


def _braced(title: str) -> str:
    """Return a title braced once more, so styles keep its capitals (``""`` stays empty)."""
    return "{" + _latex(title) + "}" if title else ""


def _latex(text: str) -> str:
    """Escape the characters LaTeX treats specially."""
    return _LATEX_SPECIAL.sub(lambda m: _LATEX_ESCAPES.get(m.group(1), "\\" + m.group(1)), text)


def _verbatim(text: str) -> str:
    """Percent-encode what would unbalance a verbatim BibTeX field."""
    return text.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")
