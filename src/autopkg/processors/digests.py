"""Digests of source files: pinned checksums that name their algorithm, one-pass hashing."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from autopkg.domain.sources import Source
from autopkg.errors import SourceError

_CHUNK = 1 << 20
_HEX = re.compile(r"^[0-9a-f]+$")

#: Digest algorithms a pinned ``Source.checksum`` may name.
CHECKSUM_ALGORITHMS = ("md5", "sha1", "sha256", "sha512")


def parse_checksum(checksum: str) -> tuple[str, str]:
    """Split a pinned ``<algorithm>:<hex digest>`` into its lower-cased parts.

    Raises:
        SourceError: the algorithm is not one of :data:`CHECKSUM_ALGORITHMS` or the
            digest is not hexadecimal of that algorithm's length.
    """
    algorithm, separator, digest = checksum.partition(":")
    algorithm, digest = algorithm.strip().lower(), digest.strip().lower()
    if (
        not separator
        or algorithm not in CHECKSUM_ALGORITHMS
        or not _HEX.fullmatch(digest)
        or len(digest) != hashlib.new(algorithm).digest_size * 2
    ):
        raise SourceError(
            f"checksum {checksum!r} is not <algorithm>:<hex digest> with an algorithm "
            f"among {', '.join(CHECKSUM_ALGORITHMS)}"
        )
    return algorithm, digest


def pinned_digests(source: Source) -> dict[str, str]:
    """The digests ``source`` pins, by algorithm (``sha256`` and/or ``checksum``'s)."""
    pins = {"sha256": source.sha256.lower()} if source.sha256 else {}
    if source.checksum:
        algorithm, digest = parse_checksum(source.checksum)
        pins[algorithm] = digest
    return pins


def file_digests(path: Path, algorithms: list[str]) -> dict[str, str]:
    """Hex digests of a file by each algorithm, read in one pass."""
    hashers = {algorithm: hashlib.new(algorithm) for algorithm in algorithms}
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            for hasher in hashers.values():
                hasher.update(chunk)
    return {algorithm: hasher.hexdigest() for algorithm, hasher in hashers.items()}
