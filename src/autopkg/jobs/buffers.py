"""The buffered area a job asks for: found if it was made before, made and stored once if not."""

from __future__ import annotations

import dataclasses
import hashlib
import threading

import shapely
from cachetools import LRUCache

from autopkg.boundaries.buffered import buffer_of, buffered_boundary, buffered_name, kilometres
from autopkg.boundaries.limits import check_area, check_counts
from autopkg.db import boundaries as boundary_repo
from autopkg.domain.boundary import Boundary
from autopkg.errors import LimitExceededError, UnprocessableError
from autopkg.runtime import Runtime

# Growing Russia takes seconds: requests of one process wait for each other rather
# than each growing the same area. Across processes the database decides which
# stored row stays (insert-or-get); the losers' work is the same geometry.
_making = threading.Lock()
# Buffers made but not stored (dry runs), by name and the digest of the geometry they
# were grown from: the web page asks for a dry run at every pause in ticking, and
# Russia + 50 km would cost seconds each time.
_unstored: LRUCache[tuple[str, str], Boundary] = LRUCache(maxsize=8)


def buffered_area(
    rt: Runtime, boundary: Boundary, metres: int, *, store: bool, rename: bool = False
) -> Boundary:
    """Return ``boundary`` grown by ``metres``, as the boundary ``<name>-buffer-<m>m``.

    A buffer stored before is reused; otherwise it is made and, with ``store``, stored
    (a dry run makes it in memory only). With ``rename`` a stored buffer takes the long
    name made from ``boundary``'s (a custom area given a new name).

    Raises:
        UnprocessableError: ``boundary`` is a buffered area already (its package would
            say it was grown by the last distance only).
        LimitExceededError: ``metres`` is over ``AUTOPKG_MAX_BUFFER_M``, or the buffered
            area has more parts, rings or vertices, or a larger area, than a request
            may have.
    """
    if buffer_of(boundary.name) is not None:
        raise UnprocessableError(
            f"boundary {boundary.name!r} is a buffered area already: give buffer_m with "
            "the boundary it was grown from"
        )
    limit = rt.settings.max_buffer_m
    if metres > limit:
        raise LimitExceededError(
            f"a buffer of {metres:,} m ({kilometres(metres)}) is over the limit of "
            f"{limit:,} m (AUTOPKG_MAX_BUFFER_M)"
        )
    name = buffered_name(boundary.name, metres)
    wanted = f"{boundary.name_long} + {kilometres(metres)}"
    with _making:
        with rt.database.read_session() as session:
            stored = boundary_repo.get(session, name=name)
        if stored is None:
            stored = _grow(rt, boundary, metres)
        elif stored.name_long == wanted or not rename:
            return stored
        made = dataclasses.replace(stored, name_long=wanted) if rename else stored
        if store:
            with rt.database.session() as session:
                boundary_repo.store_custom_area(session, made, rename=rename)
        return made


def _grow(rt: Runtime, boundary: Boundary, metres: int) -> Boundary:
    source = hashlib.sha256(shapely.to_wkb(boundary.geometry)).hexdigest()
    key = (buffered_name(boundary.name, metres), source)
    made = _unstored.get(key)
    if made is None:
        # The buffer holds the boundary: one already over the area limit is refused
        # before seconds are spent growing it.
        check_area([boundary.geometry], rt.area_limits)
        made = buffered_boundary(boundary, metres)
        _check_limits(rt, made)
        _unstored[key] = made
    return dataclasses.replace(made, name_long=f"{boundary.name_long} + {kilometres(metres)}")


def _check_limits(rt: Runtime, boundary: Boundary) -> None:
    # The area clipped is the buffered one, so the request's limits hold on it.
    polygons = [
        [part.exterior.coords, *(hole.coords for hole in part.interiors)]
        for part in boundary.geometry.geoms
    ]
    check_counts(polygons, rt.area_limits)
    check_area([boundary.geometry], rt.area_limits)
