"""Finished clips of one run, kept across its attempts so a retry does not redo them.

A run's scratch folder belongs to one attempt; a worker killed mid-run loses it. The
clip store sits beside the attempts (``runs/<run>/clips``, see
:func:`autopkg.jobs.engine.execute`) and keeps each finished clip under a key naming
everything its bytes depend on: the run's scope (processor, boundary geometry digest,
options), the sha256 of the source bytes read and which part of the source was clipped.
A later attempt takes a stored clip instead of clipping again only when every one of
those is the same.

An entry is a folder made complete under a private name, then renamed into place in one
step, so a present entry is always whole: an old attempt still running (its lease lost)
may finish writing the same entry, but never leaves a half file another attempt trusts.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

from autopkg.domain.attributes import AttributeReport
from autopkg.domain.outputs import OutputFile

log = logging.getLogger(__name__)

_RECORD = "record.json"


class ClipStore:
    """Clips kept under ``folder`` by key; ``scope`` is what every key of the run shares."""

    def __init__(self, folder: Path, scope: Mapping[str, object]) -> None:
        """Create ``folder`` if missing; ``scope`` must be JSON (ids, digests, options)."""
        folder.mkdir(parents=True, exist_ok=True)
        self._folder = folder
        self._scope = json.dumps(scope, sort_keys=True)

    def key(self, *, source_sha256: str, part: Mapping[str, object]) -> str:
        """The key of a clip of the source bytes ``source_sha256``; ``part`` says which.

        ``part`` holds whatever else the clip depends on: the member or file name, the
        output's ``<sub>``, a NoData value given for the outside.
        """
        document = json.dumps(
            [self._scope, source_sha256, json.dumps(part, sort_keys=True)], sort_keys=True
        )
        return hashlib.sha256(document.encode()).hexdigest()

    def take(self, key: str, scratch: Path) -> list[OutputFile] | None:
        """The stored clip ``key``, linked into ``scratch`` under its names; ``None`` if absent.

        An entry whose record cannot be read, names a file outside the entry or lacks a
        file is not trusted (``None``).
        """
        entry = self._folder / key
        try:
            records = json.loads((entry / _RECORD).read_text())
            outputs = [
                OutputFile(
                    scratch / str(record["name"]),
                    format=str(record["format"]),
                    mediatype=str(record["mediatype"]),
                    title=str(record["title"]),
                    empty=bool(record["empty"]),
                    attributes=AttributeReport.from_record(record.get("attributes", {})),
                )
                for record in records
            ]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        names = [output.path.name for output in outputs]
        if not outputs or any(
            Path(name).name != name or name.startswith(".") or not (entry / name).is_file()
            for name in names
        ):
            return None
        for name in names:
            _place(entry / name, scratch / name)
        return outputs

    def keep(self, key: str, outputs: Sequence[OutputFile]) -> None:
        """Store a finished clip's ``outputs`` (files in one folder) under ``key``.

        Storing is an optimisation of a later attempt: a store that cannot be written
        (its folder removed because the run ended, a full disk) is logged and skipped.
        """
        staging = self._folder / f".{key}.{uuid.uuid4().hex}"
        try:
            # Not ``parents``: a store removed because the run ended stays removed.
            staging.mkdir()
            for output in outputs:
                _place(output.path, staging / output.path.name)
            records = [
                {
                    "name": output.path.name,
                    "format": output.format,
                    "mediatype": output.mediatype,
                    "title": output.title,
                    "empty": output.empty,
                    "attributes": output.attributes.record(),
                }
                for output in outputs
            ]
            (staging / _RECORD).write_text(json.dumps(records))
            staging.rename(self._folder / key)
        except OSError as exc:
            # An entry already in place (another attempt kept the same clip) is as good.
            if not (self._folder / key / _RECORD).is_file():
                log.warning("clip not kept for later attempts: %s", exc)
            shutil.rmtree(staging, ignore_errors=True)


def _place(src: Path, dst: Path) -> None:
    """Make ``dst`` hold ``src``'s bytes: a hard link (same file system), else a copy.

    Replaces ``dst`` in one step. Clip outputs are never written in place once made,
    so sharing their bytes between the store and an attempt's scratch is safe.
    """
    partial = dst.with_name(f".{dst.name}.{uuid.uuid4().hex}")
    try:
        os.link(src, partial)
    except OSError:
        shutil.copyfile(src, partial)
    os.replace(partial, dst)
