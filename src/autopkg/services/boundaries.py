"""Boundary look-ups and loading, in one transaction each."""

from __future__ import annotations

from pathlib import Path

from autopkg.boundaries.boundary import Boundary
from autopkg.boundaries.loader import LoadReport, read_boundaries
from autopkg.db import boundaries as boundary_repo
from autopkg.errors import InvalidInputError, NotFoundError
from autopkg.runtime import Runtime
from autopkg.slugs import is_slug


def list_boundaries(rt: Runtime) -> list[tuple[str, str]]:
    """``(name, name_long)`` of every boundary, ordered by long name."""
    with rt.database.read_session() as session:
        return boundary_repo.list_names(session)


def get_boundary(rt: Runtime, name: str) -> Boundary:
    """Return one boundary.

    Raises:
        NotFoundError: no boundary has this name.
    """
    found = None
    if is_slug(name):
        with rt.database.read_session() as session:
            found = boundary_repo.get(session, name=name)
    if found is None:
        raise NotFoundError(f"unknown boundary: {name[:80]!r}")
    return found


def search_boundaries(
    rt: Runtime,
    *,
    name: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> list[tuple[str, str]]:
    """Search by name substring, or by a point the boundary must contain.

    Raises:
        InvalidInputError: neither a name nor a complete coordinate pair was given.
    """
    with rt.database.read_session() as session:
        if name is not None and name.strip():
            return boundary_repo.search_by_name(session, text=name.strip())
        if latitude is not None and longitude is not None:
            return boundary_repo.search_by_point(session, longitude=longitude, latitude=latitude)
    raise InvalidInputError("search needs name=… or both latitude=… and longitude=…")


def load_boundary_file(
    rt: Runtime, path: Path, *, name_column: str, long_name_column: str
) -> LoadReport:
    """Read, validate and upsert boundaries from a file; return what was kept and rejected."""
    report = read_boundaries(path, name_column=name_column, long_name_column=long_name_column)
    with rt.database.session() as session:
        boundary_repo.upsert(session, report.boundaries)
    return report


def require_boundary_names(rt: Runtime, names: list[str]) -> None:
    """Raise ``InvalidInputError`` naming the first unknown boundary."""
    for name in names:
        try:
            get_boundary(rt, name)
        except NotFoundError as exc:
            raise InvalidInputError(exc.message) from None
