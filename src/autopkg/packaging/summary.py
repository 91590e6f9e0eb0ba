"""The package's summary table: computed from the files its manifest lists, then stored.

``summary/summary.csv`` (a tabular resource with a Table Schema) and
``summary/summary.parquet`` (the same rows) are rewritten by every commit that changes
the data files, from the files the new manifest lists, so no row ever describes a file
that is gone. Both resources carry ``autopkg:summary``: the areas the rows are for and
the thresholds each hazard was summarised at, which the next publication keeps unless
a job sets others.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from autopkg.domain.boundary import Boundary
from autopkg.packaging.charts import exposure_charts
from autopkg.packaging.inputs import geometry_digest
from autopkg.packaging.layout import (
    SUMMARY_CSV,
    SUMMARY_PARQUET,
    package_key,
    parse_data_path,
)
from autopkg.packaging.manifest import (
    PNG_MEDIATYPE,
    Chart,
    ChartLine,
    Licence,
    Manifest,
    Resource,
    SummaryRecord,
    union_licences,
)
from autopkg.packaging.store import hash_chunks
from autopkg.storage.base import Storage
from autopkg.storage.localfs import LocalFSStorage
from autopkg.summary.compute import Known, summarise
from autopkg.summary.files import Area, DataFile
from autopkg.summary.roles import Hazard, role_of
from autopkg.summary.table import Row, from_csv, table_schema, to_csv, to_parquet

SUMMARY_FILES = (SUMMARY_CSV, SUMMARY_PARQUET)
CHARTS = "summary/charts/"
CSV_TYPE = "text/csv; charset=utf-8"
PARQUET_TYPE = "application/vnd.apache.parquet"
Thresholds = Mapping[str, Sequence[float]]
#: What a publication asks of the summary: thresholds by hazard processor (over those
#: recorded), ``None`` for those recorded, ``False`` for no summary.
SummaryRequest = Thresholds | Literal[False] | None


def request_record(request: SummaryRequest) -> dict[str, Any] | Literal[False] | None:
    """A request as a job stores it (JSON): ``{"thresholds": …}``, ``false`` or ``null``."""
    if request is None or request is False:
        return request
    return {"thresholds": {k: [float(t) for t in v] for k, v in sorted(request.items())}}


def request_of(record: object) -> SummaryRequest:
    """The request a job stored (see :func:`request_record`)."""
    if record is False:
        return False
    if isinstance(record, dict):
        found = record.get("thresholds") or {}
        return {str(k): [float(t) for t in v] for k, v in found.items()}
    return None


def asks_other_summary(manifest: Manifest | None, request: SummaryRequest) -> bool:
    """Whether publishing with ``request`` would change the package's summary.

    ``False`` changes a package that has a summary; thresholds change one that has
    none, or that records other thresholds for a hazard it holds (thresholds for a
    hazard the package does not hold change nothing until it does). ``None`` keeps
    what the package records.
    """
    if manifest is None or request is None:
        return False
    has_summary = any(is_summary(r) for r in manifest.resources)
    if request is False:
        return has_summary
    recorded = recorded_thresholds(manifest)
    return not has_summary or any(
        processor in recorded and recorded[processor] != [float(t) for t in thresholds]
        for processor, thresholds in request.items()
    )


def is_summary(resource: Resource) -> bool:
    """Whether a manifest resource is one of the summary's files."""
    return resource.summary is not None


def recorded_thresholds(manifest: Manifest | None) -> dict[str, list[float]]:
    """The thresholds the package's summary was last computed with, by hazard processor."""
    for resource in manifest.resources if manifest is not None else ():
        if resource.summary is not None:
            return {k: list(v) for k, v in resource.summary.thresholds.items()}
    return {}


def compute_rows(
    storage: Storage,
    boundary: Boundary,
    manifest: Manifest,
    thresholds: Thresholds,
    *,
    local: Mapping[str, Path] | None = None,
    areas: Sequence[Area] | None = None,
    previous: Manifest | None = None,
) -> tuple[list[Row], dict[str, list[float]]]:
    """The summary's rows for the manifest's data files, and the thresholds used.

    ``local`` gives local copies of files not yet on storage (or already on this
    disk); other files are read in place from a local folder, or copied from another
    storage into a temporary folder for the computation. ``areas`` default to the
    boundary alone (its files were clipped to it). The rows of ``previous`` (the
    manifest being replaced) that still hold are kept rather than computed again
    (see :func:`_known`).
    """
    chosen = areas or [
        Area(
            boundary.name,
            boundary.name_long,
            boundary.admin_level,
            boundary.geometry,
            clipped=True,
        )
    ]
    with tempfile.TemporaryDirectory(prefix="autopkg-summary-") as folder:
        files = _data_files(storage, boundary.name, manifest, local or {}, Path(folder))
        used = {
            f.processor: [float(t) for t in thresholds.get(f.processor, hazard.thresholds)]
            for f in files
            if isinstance(hazard := role_of(f.processor), Hazard)
        }
        known = _known(storage, boundary, previous, manifest, used) if not areas else Known()
        return summarise(files, chosen, used, known=known), used


def _known(
    storage: Storage,
    boundary: Boundary,
    previous: Manifest | None,
    manifest: Manifest,
    used: Mapping[str, list[float]],
) -> Known:
    """The stored rows of ``previous`` and the paths whose rows still hold.

    Nothing holds when the stored CSV is not the one ``previous`` records (its hash),
    or the boundary is another. A path holds when its file's hash is the same in both
    manifests, its processor has the same set of files, and (for a hazard) the same
    thresholds.
    """
    table = next(
        (r for r in (previous.resources if previous else ()) if r.path == SUMMARY_CSV), None
    )
    if previous is None or table is None:
        return Known()
    record = table.summary or SummaryRecord()
    if record.boundary != geometry_digest(boundary.geometry):
        return Known()
    stored = storage.get_bytes(package_key(boundary.name, SUMMARY_CSV))
    if stored is None or table.hash != f"sha256:{hash_chunks([stored])[1]}":
        return Known()
    before, after = _hashes(previous), _hashes(manifest)
    recorded = {k: list(v) for k, v in record.thresholds.items()}
    unchanged = frozenset(
        path
        for (processor, path), digest in after.items()
        if before.get((processor, path)) == digest
        and _paths(before, processor) == _paths(after, processor)
        and recorded.get(processor) == used.get(processor)
    )
    try:
        return Known(rows=from_csv(stored), unchanged=unchanged)
    except (ValueError, TypeError):
        return Known()


def _hashes(manifest: Manifest) -> dict[tuple[str, str], str]:
    """Each data file's hash by (processor, path)."""
    return {
        (r.processor, r.path): r.hash for r in data_resources(manifest) if r.processor is not None
    }


def _paths(hashes: Mapping[tuple[str, str], str], processor: str) -> set[str]:
    return {path for owner, path in hashes if owner == processor}


def with_summary(
    storage: Storage,
    boundary: Boundary,
    manifest: Manifest,
    thresholds: Thresholds | None = None,
    *,
    local: Mapping[str, Path] | None = None,
    previous: Manifest | None = None,
) -> Manifest:
    """Compute and store the summary of ``manifest``; return the manifest listing it.

    ``thresholds`` override the defaults per hazard processor. Rows of ``previous``
    (the manifest being replaced) whose files are unchanged are kept.
    """
    rows, used = compute_rows(
        storage, boundary, manifest, thresholds or {}, local=local, previous=previous
    )
    data = data_resources(manifest)
    licenses = union_licences(r for r in data if r.processor is not None)
    thresholds = {k: used[k] for k in sorted(used)}
    table = SummaryRecord(
        thresholds=thresholds,
        charts=_store_charts(storage, boundary.name, rows),
        boundary=geometry_digest(boundary.geometry),
    )
    resources = []
    for path, body, kind, record in (
        (SUMMARY_CSV, to_csv(rows), CSV_TYPE, table),
        (SUMMARY_PARQUET, to_parquet(rows), PARQUET_TYPE, SummaryRecord(thresholds=thresholds)),
    ):
        storage.put_bytes(body, package_key(boundary.name, path), kind)
        resources.append(_resource(path, body, licenses, record))
    return manifest.model_copy(update={"resources": (*data, *resources)})


def _store_charts(storage: Storage, boundary_name: str, rows: Sequence[Row]) -> list[Chart]:
    """Write the charts of population exposed; delete charts no longer drawn.

    Returns:
        Each chart's record: ``path``, ``mediatype``, ``bytes``, ``hash``, the hazard
        ``processor``, ``threshold``, ``threshold_unit`` and ``lines`` (each line's
        ``series``, ``colour`` and ``points`` as ``[return period, persons]``).
    """
    records = []
    for chart in exposure_charts(rows, boundary_name):
        name, _, version = chart.processor.partition(".")
        path = f"{CHARTS}{name}-{version}-{chart.threshold:g}.png".replace("+", "")
        storage.put_bytes(chart.png, package_key(boundary_name, path), PNG_MEDIATYPE)
        size, digest = hash_chunks([chart.png])
        records.append(
            Chart(
                path=path,
                mediatype=PNG_MEDIATYPE,
                bytes=size,
                hash=f"sha256:{digest}",
                processor=chart.processor,
                threshold=chart.threshold,
                threshold_unit=chart.unit,
                lines=tuple(map(ChartLine.model_validate, chart.lines)),
            )
        )
    drawn = {package_key(boundary_name, r.path) for r in records}
    for key in storage.list_keys(package_key(boundary_name, CHARTS)):
        if key not in drawn:
            storage.delete(key)
    return records


def summary_charts(manifest: Manifest) -> list[Chart]:
    """The chart records of the manifest's summary (those at their own place only)."""
    for resource in manifest.resources:
        if resource.path == SUMMARY_CSV:
            found = resource.summary.charts if resource.summary is not None else ()
            return [c for c in found if _is_chart_path(c.path)]
    return []


def summary_documents(manifest: Manifest) -> list[str]:
    """Every file of the summary: the tables, then the charts the manifest records."""
    return [*SUMMARY_FILES, *(c.path for c in summary_charts(manifest))]


def _is_chart_path(path: str) -> bool:
    """Whether a recorded path is a PNG directly in ``summary/charts/`` (stored JSON)."""
    return (
        path.startswith(CHARTS)
        and path.endswith(".png")
        and "/" not in path.removeprefix(CHARTS)
        and ".." not in path
    )


def summarised(
    storage: Storage,
    boundary: Boundary,
    manifest: Manifest,
    request: SummaryRequest,
    *,
    previous: Manifest | None,
    local: Mapping[str, Path] | None = None,
) -> Manifest:
    """``manifest`` with its summary computed and stored, or without one if ``request`` is False.

    The thresholds are those ``previous`` (the manifest being replaced) records, with
    the request's over them.
    """
    if request is False:
        delete_summary(storage, boundary.name)
        return without_summary(manifest)
    thresholds = {**recorded_thresholds(previous), **(request or {})}
    return with_summary(storage, boundary, manifest, thresholds, local=local, previous=previous)


def without_summary(manifest: Manifest) -> Manifest:
    """``manifest`` without the summary's resources."""
    return manifest.model_copy(update={"resources": tuple(data_resources(manifest))})


def data_resources(manifest: Manifest) -> list[Resource]:
    """The manifest's resources that are data files of processors."""
    return [r for r in manifest.resources if not is_summary(r)]


def delete_summary(storage: Storage, boundary_name: str) -> None:
    """Remove the summary's files (a package published with the summary turned off)."""
    for path in SUMMARY_FILES:
        storage.delete(package_key(boundary_name, path))
    for key in storage.list_keys(package_key(boundary_name, CHARTS)):
        storage.delete(key)


def _resource(
    path: str, body: bytes, licenses: Sequence[Licence], record: SummaryRecord
) -> Resource:
    size, digest = hash_chunks([body])
    csv = path.endswith(".csv")
    return Resource(
        name="summary" if csv else "summary-parquet",
        path=path,
        type="table" if csv else "file",
        title="Summary: population, built-up area, plants, lengths and their exposure",
        format="csv" if csv else "parquet",
        mediatype=CSV_TYPE.split(";")[0] if csv else PARQUET_TYPE,
        bytes=size,
        hash=f"sha256:{digest}",
        licenses=tuple(licenses),
        summary=record,
        **(
            {"encoding": "utf-8", "dialect": {"header": True}, "schema": table_schema()}
            if csv
            else {}
        ),
    )


def _data_files(
    storage: Storage,
    boundary_name: str,
    manifest: Manifest,
    local: Mapping[str, Path],
    folder: Path,
) -> list[DataFile]:
    """The manifest's data files the summary reads, each with a path on this disk."""
    files = []
    for resource in data_resources(manifest):
        path = resource.path
        parsed = parse_data_path(path)
        processor = resource.processor or ""
        if parsed is None or role_of(processor) is None:
            continue
        name, version, file_name = parsed
        stem = file_name.rsplit(".", 1)[0]
        sub = stem.removeprefix(f"{name}-{version}").removesuffix(f"-{boundary_name}")
        files.append(
            DataFile(
                path=path,
                processor=processor,
                sub=sub.removeprefix("-"),
                local=_local(storage, package_key(boundary_name, path), local.get(path), folder),
            )
        )
    return files


def _local(storage: Storage, key: str, given: Path | None, folder: Path) -> Path:
    """A path on this disk holding the bytes of ``key``."""
    if given is not None:
        return given
    if isinstance(storage, LocalFSStorage):
        return storage.path_of(key)
    copy = folder / key.replace("/", "_")
    with copy.open("wb") as handle:
        for chunk in storage.iter_chunks(key):
            handle.write(chunk)
    return copy
