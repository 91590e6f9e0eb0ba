"""Reading a published package's summary, for the API and the CLI."""

from __future__ import annotations

from autopkg.errors import NotFoundError, UnprocessableError
from autopkg.packaging.layout import SUMMARY_CSV, package_key
from autopkg.packaging.store import read_manifest
from autopkg.runtime import Runtime
from autopkg.slugs import canonical_name, is_slug
from autopkg.summary.table import STATISTICS, Row, from_csv


def package_summary(
    rt: Runtime,
    boundary_name: str,
    *,
    statistic: str | None = None,
    area: str | None = None,
    processor: str | None = None,
) -> list[Row]:
    """The rows of a package's summary, those matching every filter given.

    Raises:
        UnprocessableError: ``statistic`` is not one of the vocabulary.
        NotFoundError: no package is published for the boundary, or it has no summary.
    """
    if statistic is not None and statistic not in STATISTICS:
        raise UnprocessableError(
            f"unknown statistic {statistic[:80]!r}; one of: {', '.join(STATISTICS)}"
        )
    name = canonical_name(boundary_name)
    if not is_slug(name) or read_manifest(rt.storage, name) is None:
        raise NotFoundError(f"no package for boundary {boundary_name[:80]!r}")
    data = rt.storage.get_bytes(package_key(name, SUMMARY_CSV))
    if data is None:
        raise NotFoundError(f"the package of {name!r} has no summary (it was turned off)")
    return [
        row
        for row in from_csv(data)
        if (statistic is None or row.statistic == statistic)
        and (area is None or row.area == canonical_name(area))
        and (processor is None or processor in (row.processor, row.exposure_processor))
    ]
