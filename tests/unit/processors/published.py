"""Publish a processor's outputs into a package folder and read back its provenance."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from autopkg.domain.boundary import Boundary
from autopkg.domain.outputs import OutputFile
from autopkg.packaging.publish import publish_processor
from autopkg.processors.base import Processor
from autopkg.storage.localfs import LocalFSStorage


def published_provenance(
    folder: Path, boundary: Boundary, processor: Processor, outputs: Sequence[OutputFile]
) -> dict[str, Any]:
    """Publish ``outputs`` under ``folder`` and return the processor's provenance record."""
    storage = LocalFSStorage(folder)
    publish_processor(storage, boundary, processor.metadata, outputs, lock=threading.Lock())
    document = json.loads((folder / boundary.name / "provenance.json").read_text())
    record: dict[str, Any] = document["processors"][processor.metadata.id]
    return record
