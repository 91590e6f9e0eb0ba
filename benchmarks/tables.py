"""Markdown tables for the benchmark reports, one format for every section."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

#: Table cell for a figure not measured.
NONE = "-"


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    """The lines of a Markdown table: ``header``, its rule, then one line per row."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]


def fmt(value: float | None, digits: int = 2) -> str:
    """``value`` with ``digits`` decimals, or :data:`NONE` when it was not measured."""
    return NONE if value is None else f"{value:.{digits}f}"


def ratio(ours: float | None, theirs: float | None) -> str:
    """``ours / theirs`` with two decimals, or :data:`NONE` when either is missing."""
    return NONE if ours is None or not theirs else f"{ours / theirs:.2f}"
