"""Processor options as values: the model every processor's options derive from, and a key.

Options are stored, compared and recorded in their canonical form (the validated model
without its defaults, see :func:`autopkg.processors.options.canonical_options`); the
key indexes that form.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict


class ProcessorOptions(BaseModel):
    """Base of every options model: unknown fields are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class NoOptions(ProcessorOptions):
    """The options of a processor that takes none."""


def options_key(options: Mapping[str, Any]) -> str:
    """A short fixed-length key of canonical options (``""`` for none), for indexes."""
    if not options:
        return ""
    text = json.dumps(options, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
