"""The pattern every name that becomes a path segment, URL part or file name matches.

The rule that applies it to input, with its error, is :mod:`autopkg.slugs`.
"""

from __future__ import annotations

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"
