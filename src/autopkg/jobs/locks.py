"""The per-boundary publish lock, shared by everything that uses the same database."""

from __future__ import annotations

from contextlib import AbstractContextManager

from autopkg.db.locks import named_lock
from autopkg.runtime import Runtime
from autopkg.slugs import require_slug


def publish_lock(rt: Runtime, boundary_name: str) -> AbstractContextManager[None]:
    """The lock held while ``boundary_name``'s package is rewritten.

    It is a database lock (see :mod:`autopkg.db.locks`), not a file on local disk, so
    two workers on different machines publishing processors for one boundary to S3
    take turns instead of overwriting each other's manifest.
    """
    return named_lock(rt.database, f"publish-{require_slug(boundary_name, 'boundary name')}")
