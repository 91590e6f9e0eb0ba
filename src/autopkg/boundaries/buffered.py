"""Buffered areas: a boundary grown by whole metres, as a boundary of its own.

Its name is ``<name>-buffer-<metres>m`` (the ``-buffer-`` infix is reserved, so no
upload can take it) and its long name ``<long name> + <km> km``. The distance is read
back from the name, so a package's files say which buffer they were clipped to without
a column of their own.
"""

from __future__ import annotations

import hashlib
import re

from autopkg.boundaries.custom import BUFFER_MARK
from autopkg.boundaries.geodesic import geodesic_buffer
from autopkg.domain.boundary import Boundary

_NAME_LENGTH = 63
_BUFFERED = re.compile(rf"{BUFFER_MARK}([0-9]+)m$")


def buffered_name(name: str, metres: int) -> str:
    """``<name>-buffer-<metres>m``, within the 63 characters a slug may have.

    A name too long for the suffix (an admin-2 unit's id can be) keeps its start and
    gains 8 hex digits of its whole, so that two long names never share a buffer.
    """
    suffix = f"{BUFFER_MARK}{metres}m"
    if len(name) + len(suffix) <= _NAME_LENGTH:
        return name + suffix
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    start = name[: _NAME_LENGTH - len(suffix) - len(digest) - 1].rstrip("-_")
    return f"{start}-{digest}{suffix}"


def buffer_of(name: str) -> int | None:
    """The buffer in metres a boundary's name says it was grown by, or ``None``."""
    found = _BUFFERED.search(name)
    return int(found.group(1)) if found else None


def kilometres(metres: int) -> str:
    """Metres as kilometres with no trailing zeros: ``5 km``, ``1.5 km``, ``0.001 km``."""
    return f"{metres / 1000:.3f}".rstrip("0").rstrip(".") + " km"


def buffered_boundary(boundary: Boundary, metres: int) -> Boundary:
    """``boundary`` grown by ``metres`` (geodesic, see :mod:`autopkg.boundaries.geodesic`).

    The result has no admin level: it is an area of its own, not an administrative unit.
    """
    return Boundary(
        name=buffered_name(boundary.name, metres),
        name_long=f"{boundary.name_long} + {kilometres(metres)}",
        admin_level=None,
        geometry=geodesic_buffer(boundary.geometry, metres),
    )
