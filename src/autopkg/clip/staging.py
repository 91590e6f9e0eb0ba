"""Write-then-rename for clip outputs, so a failed clip never leaves a partial file."""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from autopkg.errors import ClipError

# A file system with less than this free after a write failed is taken to be full: a
# write fails once the space left is smaller than what it writes (a tile, a strip).
FULL_BYTES = 1 << 20


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
    except Exception as exc:
        if _full(folder, exc):
            raise ClipError(f"no space left on device in {dst.parent}") from exc
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _full(folder: Path, exc: BaseException) -> bool:
    """Whether a failed write failed because the file system of ``folder`` is full.

    GDAL reports a full disk as "Write failed. See previous exception for details."
    after "TIFFAppendToStrip:Write error" (libtiff prints the cause to stderr), so
    the cause is read from the file system itself, before the scratch is removed.
    """
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.errno == errno.ENOSPC:
            return True
        cause = cause.__cause__ or cause.__context__
    try:
        return shutil.disk_usage(folder).free < FULL_BYTES
    except OSError:
        return False


def move_into_place(staged: Path, dst: Path) -> None:
    """Move a finished file from the staging folder to ``dst``, replacing it atomically."""
    try:
        os.replace(staged, dst)
    except OSError as exc:
        raise ClipError(f"cannot write {dst}: {exc.strerror}") from exc
