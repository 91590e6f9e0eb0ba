"""Planning a job before anything is created: validation, options, estimates, dry runs.

:func:`plan` is shared by a submission (``jobs.service.submit``, which then checks the
output limit and creates the job) and a dry run, so both validate alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from autopkg.boundaries.custom import custom_boundary
from autopkg.boundaries.geojson import Area
from autopkg.db import boundaries as boundary_repo
from autopkg.domain.boundary import Boundary
from autopkg.errors import (
    InvalidInputError,
    LimitExceededError,
    NotFoundError,
    UnprocessableError,
)
from autopkg.jobs.buffers import buffered_area
from autopkg.jobs.estimates import (
    ProcessorEstimate,
    estimate_processor,
    total_bytes,
    within_limit,
)
from autopkg.packaging.manifest import Manifest, is_current
from autopkg.packaging.publish import read_manifest
from autopkg.packaging.summary import SummaryRequest
from autopkg.processors.options import canonical_options
from autopkg.runtime import Runtime
from autopkg.services import boundaries as boundary_service
from autopkg.slugs import canonical_name, is_slug
from autopkg.summary.roles import ROLES, Hazard, role_of

Options = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True)
class Plan:
    """What a job would do before anything is created: boundary, options and estimates."""

    boundary: Boundary
    options: dict[str, dict[str, Any]]
    estimates: tuple[ProcessorEstimate, ...]
    summary: SummaryRequest = None


@dataclass(frozen=True)
class DryRunProcessor:
    """One processor of a dry run: its estimate and what the package holds already."""

    estimate: ProcessorEstimate
    published: bool
    current: bool


@dataclass(frozen=True)
class DryRun:
    """What a job would produce, checked against the output limit; nothing is created."""

    boundary_name: str
    max_output_bytes: int
    total_bytes: int
    within_limit: bool
    processors: tuple[DryRunProcessor, ...]


def plan(
    rt: Runtime,
    *,
    processor_ids: Sequence[str],
    boundary_name: str | None = None,
    area: Area | None = None,
    area_name: str | None = None,
    options: Options | None = None,
    buffer_m: int | None = None,
    store_area: bool = True,
    summary: SummaryRequest = None,
) -> Plan:
    """Validate a job request and estimate its output, creating no job and no run.

    A custom ``area`` becomes a boundary (``custom-<hash>``), stored when
    ``store_area`` (a job needs it; a dry run stores nothing); ``area_name``
    (validated by the caller) becomes its long name, and an area stored before keeps
    its name when none is given. With ``buffer_m`` the job's boundary is the named
    boundary or area grown by that many metres (``<name>-buffer-<m>m``), made once and
    stored like a custom area (only the buffered area is stored). ``summary`` is what
    the job asks of the package's summary (thresholds by hazard processor, or
    ``False`` for none).

    Raises:
        UnprocessableError: no processors, the same processor twice, options for a
            processor the job does not ask for or that the processor refuses (naming
            processor and field), summary thresholds for a processor that is unknown
            or not a hazard, or an area with nothing left after repair.
        LimitExceededError: more processors, an area (buffered or not) larger, or a
            buffer wider than the limits allow.
        InvalidInputError: unknown boundary or processor (named in the message).
    """
    _check_processors(rt, processor_ids)
    canonical = _canonical_options(rt, processor_ids, options or {})
    _check_summary(rt, summary)
    if area is not None:
        boundary = custom_boundary(area, rt.area_limits, name_long=area_name)
        if store_area and buffer_m is None:
            _store_area(rt, boundary, area_name)
    else:
        boundary = _named_boundary(rt, boundary_name)
    if buffer_m is not None:
        boundary = buffered_area(
            rt, boundary, buffer_m, store=store_area, rename=area_name is not None
        )
    estimates = tuple(
        estimate_processor(rt, pid, boundary, canonical[pid]) for pid in processor_ids
    )
    return Plan(boundary=boundary, options=canonical, estimates=estimates, summary=summary)


def dry_run(
    rt: Runtime,
    *,
    processor_ids: Sequence[str],
    boundary_name: str | None = None,
    area: Area | None = None,
    options: Options | None = None,
    buffer_m: int | None = None,
    summary: SummaryRequest = None,
) -> DryRun:
    """Estimate a job and say what is already published and current; create nothing.

    Raises:
        The errors of :func:`plan`; never the output limit (``within_limit`` says it).
    """
    planned = plan(
        rt,
        processor_ids=processor_ids,
        boundary_name=boundary_name,
        area=area,
        options=options,
        buffer_m=buffer_m,
        store_area=False,
        summary=summary,
    )
    manifest = read_manifest(rt.storage, planned.boundary.name)
    published = {r.processor for r in manifest.resources} if manifest is not None else set()
    processors = tuple(
        DryRunProcessor(
            estimate=estimate,
            published=estimate.processor_id in published,
            current=current_for(rt, manifest, planned, estimate.processor_id),
        )
        for estimate in planned.estimates
    )
    return DryRun(
        boundary_name=planned.boundary.name,
        max_output_bytes=rt.settings.max_output_bytes,
        total_bytes=total_bytes(planned.estimates),
        within_limit=within_limit(rt, planned.estimates),
        processors=processors,
    )


def current_for(rt: Runtime, manifest: Manifest | None, planned: Plan, processor_id: str) -> bool:
    """Whether ``manifest`` holds ``processor_id``'s files made from the planned inputs."""
    return manifest is not None and is_current(
        manifest,
        processor_id,
        geometry=planned.boundary.geometry,
        options=planned.options[processor_id],
        pinned=rt.registry.get(processor_id).sources,
    )


def _canonical_options(
    rt: Runtime, processor_ids: Sequence[str], options: Options
) -> dict[str, dict[str, Any]]:
    """Every requested processor's options in canonical form (``{}`` when none given)."""
    strays = sorted(set(options) - set(processor_ids))
    if strays:
        shown = ", ".join(repr(pid[:80]) for pid in strays[:5])
        raise UnprocessableError(f"options given for {shown}, not among the job's processors")
    return {
        pid: canonical_options(pid, rt.registry.get(pid).options_model, options.get(pid, {}))
        for pid in processor_ids
    }


def _check_summary(rt: Runtime, summary: SummaryRequest) -> None:
    """Refuse thresholds for a processor that is unknown or not a hazard dataset."""
    if not summary:
        return
    for processor_id in sorted(summary):
        if processor_id not in rt.registry:
            raise UnprocessableError(
                f"summary thresholds are given for {processor_id[:80]!r}, which is not a "
                "known processor id"
            )
        if not isinstance(role_of(processor_id), Hazard):
            hazards = ", ".join(n for n, role in ROLES.items() if isinstance(role, Hazard))
            raise UnprocessableError(
                f"summary thresholds are given for {processor_id!r}, which is not a hazard "
                f"dataset: thresholds apply to hazards only ({hazards})"
            )


def _named_boundary(rt: Runtime, boundary_name: str | None) -> Boundary:
    if boundary_name is None:
        raise UnprocessableError("a boundary_name or a boundary area is required")
    boundary_name = canonical_name(boundary_name)
    if not is_slug(boundary_name):
        raise InvalidInputError(f"unknown boundary: {boundary_name[:80]!r}")
    try:
        # Loads the admin units of the country a unit id names, when never loaded.
        return boundary_service.get_boundary(rt, boundary_name)
    except NotFoundError:
        raise InvalidInputError(f"unknown boundary: {boundary_name!r}") from None


def _store_area(rt: Runtime, boundary: Boundary, area_name: str | None) -> None:
    with rt.database.session() as session:
        # The name is derived from the geometry, so a known area only changes its name.
        boundary_repo.store_custom_area(session, boundary, rename=area_name is not None)


def _check_processors(rt: Runtime, processor_ids: Sequence[str]) -> None:
    if not processor_ids:
        raise UnprocessableError("processors must list at least one processor id")
    limit = rt.settings.max_processors_per_job
    if len(processor_ids) > limit:
        raise LimitExceededError(
            f"{len(processor_ids)} processors is over the limit of {limit} per job "
            "(AUTOPKG_MAX_PROCESSORS_PER_JOB)"
        )
    duplicates = sorted({pid for pid in processor_ids if processor_ids.count(pid) > 1})
    if duplicates:
        raise UnprocessableError(f"duplicate processors in request: {', '.join(duplicates)}")
    for processor_id in processor_ids:
        rt.registry.get(processor_id)
