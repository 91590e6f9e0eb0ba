"""What every processor publishes about its dataset stays as it was published.

A processor states its reference once and the author line, origin URL and many citation
texts are derived from it (``autopkg.domain.reference``, ``autopkg.domain.publishers``);
``tests/fixtures/published_sources.json`` holds, for every processor version, the
``sources`` entry its packages carry (title, origin, author, citation text, version,
structured reference: what ``CITATION.cff``, ``citation.bib`` and ``citation.json`` are
rendered from), its formats and its licence, as they were published before the
derivation. A change to one of them is a change to what packages say, made on purpose
by editing the fixture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from autopkg.packaging.manifest import source_entry, to_json
from autopkg.processors.registry import Registry

PUBLISHED: dict[str, dict[str, Any]] = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "published_sources.json").read_text()
)
REGISTRY = Registry.discover(include_test=True)


def test_every_processor_is_pinned() -> None:
    assert sorted(PUBLISHED) == list(REGISTRY.ids())


@pytest.mark.parametrize("processor_id", sorted(PUBLISHED))
def test_published_sources_entry_is_unchanged(processor_id: str) -> None:
    metadata = REGISTRY.get(processor_id).metadata
    published = PUBLISHED[processor_id]

    assert to_json(source_entry(metadata)) == published["source"]
    assert list(metadata.data_formats) == published["data_formats"]
    assert metadata.data_license.name == published["data_license"]
