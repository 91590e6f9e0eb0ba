"""The one rule for every name that becomes a path segment, URL part or file name."""

from __future__ import annotations

import re

from autopkg.domain.slugs import SLUG_PATTERN
from autopkg.errors import InvalidInputError

_SLUG = re.compile(SLUG_PATTERN)


def is_slug(value: str) -> bool:
    """Return whether ``value`` is a valid slug (lowercase, digits, ``_``/``-``, ≤63)."""
    return bool(_SLUG.fullmatch(value))


def canonical_name(value: str) -> str:
    """Return a name as typed by a user in its stored form: boundary ids are lowercase."""
    return value.strip().lower()


def require_slug(value: str, what: str) -> str:
    """Return ``value`` if it is a slug, else raise naming ``what`` it was meant to be.

    Raises:
        InvalidInputError: if ``value`` breaks the slug rule.
    """
    if not is_slug(value):
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise InvalidInputError(
            f"invalid {what} {shown!r}: must match {SLUG_PATTERN} "
            "(lowercase letters, digits, '_' and '-', at most 63 characters)"
        )
    return value
