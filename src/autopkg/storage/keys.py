"""Storage keys: the one rule every backend applies before touching a path or object."""

from __future__ import annotations

import re

from autopkg.errors import InvalidInputError

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")


def validate_key(key: str) -> list[str]:
    """Return the segments of ``key`` after checking it is a safe relative key.

    Raises:
        InvalidInputError: if the key is empty or absolute, or has an empty, ``.``,
            ``..``, hidden or otherwise unsafe segment (backslashes included).
    """
    segments = key.split("/")
    if not all(_SEGMENT.fullmatch(s) for s in segments):
        shown = key if len(key) <= 80 else key[:77] + "..."
        raise InvalidInputError(
            f"invalid storage key {shown!r}: expected relative '/'-separated names of "
            "letters, digits, '.', '_' and '-' (no empty, hidden or '..' segments)"
        )
    return segments


def validate_prefix(prefix: str) -> list[str]:
    """Return the segments of a folder-like ``prefix`` ('' means the whole storage)."""
    if prefix == "":
        return []
    if not prefix.endswith("/"):
        raise InvalidInputError(f"invalid storage prefix {prefix!r}: must end with '/'")
    return validate_key(prefix[:-1])
