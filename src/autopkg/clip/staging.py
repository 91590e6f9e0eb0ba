"""Write-then-rename for clip outputs, so a failed clip never leaves a partial file."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from autopkg.errors import ClipError


@contextmanager
def staging_dir(dst: Path) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``dst``, removed on exit.

    The folder sits in ``dst``'s own folder (created if missing) so that :func:`move_into_place`
    is an atomic rename on the same file system, and so that large intermediate files
    land where the output's space is rather than in a small ``/tmp``.

    Raises:
        ClipError: the output folder cannot be created or written.
    """
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f".{dst.name}.", dir=dst.parent))
    except OSError as exc:
        raise ClipError(f"cannot write to {dst.parent}: {exc.strerror}") from exc
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def move_into_place(staged: Path, dst: Path) -> None:
    """Move a finished file from the staging folder to ``dst``, replacing it atomically."""
    try:
        os.replace(staged, dst)
    except OSError as exc:
        raise ClipError(f"cannot write {dst}: {exc.strerror}") from exc
