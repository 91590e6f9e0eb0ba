"""The stored ``datapackage.json`` as typed models: read, build, merge, write and viewed.

The stored manifest is a standard Frictionless Data Package v2 with one resource per
file (relative ``path``, ``sha256:`` hash) and an ``autopkg:processor`` key naming
the processor version that produced each file. :class:`Manifest` and :class:`Resource`
(with their parts: :class:`Licence`, :class:`SourceEntry`, :class:`Preview`,
:class:`Grid`, :class:`SummaryRecord`) are frozen pydantic models, and this module is
the only one that turns stored bytes into them (:func:`load_manifest`) and them back
into bytes (:func:`manifest_bytes`) or JSON objects (:func:`to_json`); everything else
reads attributes.

Keys a model does not declare (written by an earlier or later autopkg, or by hand) are
kept and written back after the declared ones. A declared key is written when it was
given (read from the file or passed when the model was built) and is not ``null``, in
the order the fields are declared here, which is the order autopkg has always written
them in. Every function here is pure: none touches storage.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    ValidationError,
    model_serializer,
    model_validator,
)
from shapely.geometry.base import BaseGeometry

from autopkg.domain.boundary import Boundary
from autopkg.domain.metadata import Metadata
from autopkg.domain.reference import REFERENCE_KEY
from autopkg.domain.sources import Source
from autopkg.errors import AutopkgError
from autopkg.packaging.area_credit import ROLE_KEY, area_licenses, area_sources
from autopkg.packaging.inputs import INPUTS_KEY, Inputs, inputs_match
from autopkg.packaging.layout import data_path, preview_path

SCHEMA_URL = "https://datapackage.org/profiles/2.0/datapackage.json"
PROCESSOR_KEY = "autopkg:processor"
#: Marks a file that is valid but holds no data (nothing of the source in the boundary).
EMPTY_KEY = "autopkg:empty"
#: The preview of a data file (:class:`Preview`).
PREVIEW_KEY = "autopkg:preview"
PNG_MEDIATYPE = "image/png"
#: The file's CRS as read from it: ``AUTHORITY:CODE`` (``EPSG:4326``, ``ESRI:54009``), or
#: WKT2 (2019) when it has no code. Absent when the file has no readable CRS.
CRS_KEY = "autopkg:crs"
#: A raster's grid as read from it (:class:`Grid`).
GRID_KEY = "autopkg:grid"
#: Marks the summary's resources (:class:`SummaryRecord`).
SUMMARY_KEY = "autopkg:summary"
RESOURCE_NAME_PATTERN = r"^[-a-z0-9._/]+$"
_NOT_NAME_CHAR = re.compile(r"[^-a-z0-9._/]")
_REBUILD = "run 'autopkg packages rebuild'"
_Model = TypeVar("_Model", bound=BaseModel)


class _Record(BaseModel):
    """A JSON object of the manifest: declared keys typed, any other key kept as it is.

    It remembers the order its keys were given in (read from the file, or passed when
    built) and is written in that order; a key added later (``model_copy``) goes after
    the given key declared nearest before it.
    """

    model_config = ConfigDict(frozen=True, extra="allow", populate_by_name=True)
    _order: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, value: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        record = handler(value)
        if isinstance(value, Mapping):
            aliases = {name: field.alias or name for name, field in cls.model_fields.items()}
            record._order = tuple(aliases.get(str(key), str(key)) for key in value)
        return record

    @model_serializer(mode="wrap")
    def _given_keys(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        # A default stands for "absent": only keys given (and not null) are written.
        data: dict[str, Any] = handler(self)
        declared, spelled = [], {}
        for name, field in type(self).model_fields.items():
            key = field.alias if info.by_alias and field.alias else name
            declared.append(key)
            spelled[field.alias or name] = key
            if name not in self.model_fields_set or getattr(self, name) is None:
                data.pop(key, None)
        given = (spelled.get(key, key) for key in self._order)
        keys = [key for key in given if key in data]
        for key in data:
            if key not in keys:
                keys.insert(_place(key, keys, declared), key)
        return {key: data[key] for key in keys}


def _place(key: str, keys: list[str], declared: list[str]) -> int:
    """Where ``key`` goes among ``keys``: after the last one declared before it."""
    if key not in declared:
        return len(keys)
    before = set(declared[: declared.index(key)])
    return max((i + 1 for i, placed in enumerate(keys) if placed in before), default=0)


class Licence(_Record):
    """A Frictionless licence: ``name`` (an SPDX id), ``path`` (its URL) and ``title``."""

    name: str | None = None
    path: str | None = None
    title: str | None = None


class SourceEntry(_Record):
    """A Frictionless source: a dataset's origin and how to cite it.

    ``version`` is the dataset's version as its publisher names it; ``reference`` the
    structured citation (:class:`~autopkg.domain.reference.Reference` as JSON);
    ``role`` marks the area's publisher among a package's own sources.
    """

    title: str | None = None
    path: str | None = None
    author: str | None = None
    citation: str | None = None
    version: str | None = None
    reference: dict[str, Any] | None = Field(None, alias=REFERENCE_KEY)
    role: str | None = Field(None, alias=ROLE_KEY)


class Preview(_Record):
    """The preview PNG of a data file; ``legend`` says how its colours map to values."""

    path: str
    mediatype: str = PNG_MEDIATYPE
    bytes: int
    hash: str
    legend: dict[str, Any] = Field(default_factory=dict)


class Band(_Record):
    """One band of a raster's grid; ``nodata`` absent when unset (``"nan"``, ``"inf"``)."""

    data_type: str
    nodata: int | float | str | None = None


class Grid(_Record):
    """A raster's pixel grid: ``[rows, columns]``, GDAL's affine ``a, b, c, d, e, f``, bands."""

    shape: tuple[int, int]
    transform: tuple[int | float, int | float, int | float, int | float, int | float, int | float]
    bands: tuple[Band, ...] = Field(min_length=1)


class ChartLine(_Record):
    """One line of a chart: its hazard ``series``, ``colour`` and ``[return period, persons]``."""

    series: str
    colour: str
    points: tuple[tuple[int | float, int | float], ...]


class Chart(_Record):
    """A chart of population exposed, stored beside the summary, with the lines it draws."""

    path: str
    mediatype: str = PNG_MEDIATYPE
    bytes: int
    hash: str
    processor: str
    threshold: float
    threshold_unit: str
    lines: tuple[ChartLine, ...] = ()


class SummaryRecord(_Record):
    """What the summary's resources record: thresholds by hazard, charts, boundary digest."""

    thresholds: dict[str, tuple[float, ...]] = Field(default_factory=dict)
    charts: tuple[Chart, ...] = ()
    boundary: str | None = None


class Resource(_Record):
    """One file of the package: a processor's data file or one of the summary's tables.

    A data file names its ``processor`` (``<name>.<version>``), may be ``empty``
    (nothing of the source inside the boundary) and records the ``inputs`` that made
    it (see :mod:`~autopkg.packaging.inputs`), its ``crs``, ``grid`` and ``preview``.
    The summary's tables have ``summary`` instead, and the CSV a Table Schema.
    """

    name: str
    path: str
    type: str | None = None
    title: str | None = None
    description: str | None = None
    format: str | None = None
    mediatype: str | None = None
    bytes: int
    hash: str
    licenses: tuple[Licence, ...] = ()
    sources: tuple[SourceEntry, ...] = ()
    processor: str | None = Field(None, alias=PROCESSOR_KEY)
    empty: bool | None = Field(None, alias=EMPTY_KEY)
    inputs: Inputs | None = Field(None, alias=INPUTS_KEY)
    crs: str | None = Field(None, alias=CRS_KEY)
    grid: Grid | None = Field(None, alias=GRID_KEY)
    preview: Preview | None = Field(None, alias=PREVIEW_KEY)
    summary: SummaryRecord | None = Field(None, alias=SUMMARY_KEY)
    encoding: str | None = None
    dialect: dict[str, Any] | None = None
    schema_: dict[str, Any] | None = Field(None, alias="schema")


class Manifest(_Record):
    """The package: ``datapackage.json``.

    ``version`` and ``created`` are stamped by each publication (see
    :mod:`~autopkg.packaging.versions`); ``sources`` credits the area's publisher,
    when a publisher's file made the area.
    """

    profile: str = Field(SCHEMA_URL, alias="$schema")
    name: str | None = None
    title: str | None = None
    description: str | None = None
    version: str | None = None
    created: str | None = None
    licenses: tuple[Licence, ...] = ()
    sources: tuple[SourceEntry, ...] = ()
    resources: tuple[Resource, ...] = ()


class StoredFile(Protocol):
    """A file the manifest names with its size and sha256: a resource, preview or chart."""

    @property
    def path(self) -> str:
        """Where the file is, relative to the package root."""

    @property
    def bytes(self) -> int:
        """Its size."""

    @property
    def hash(self) -> str:
        """``sha256:<hex digest>`` of its bytes."""


def load_manifest(data: bytes, where: str) -> Manifest:
    """Read a stored ``datapackage.json`` (``where`` names it in errors).

    Raises:
        AutopkgError: if the bytes are not a JSON object, or not a manifest (a key of
            the wrong type, a resource without ``name``, ``path``, ``bytes`` or ``hash``).
    """
    try:
        value = json.loads(data)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise AutopkgError(f"{where} is not a JSON object; {_REBUILD}")
    return parse_manifest(value, where)


def parse_manifest(value: Mapping[str, Any], where: str) -> Manifest:
    """Validate a JSON object as a manifest (see :func:`load_manifest`)."""
    try:
        return Manifest.model_validate(value)
    except ValidationError as exc:
        first = exc.errors()[0]
        at = ".".join(str(part) for part in first["loc"]) or "the top level"
        raise AutopkgError(
            f"{where} is not a valid manifest ({exc.error_count()} problems; at {at}: "
            f"{first['msg']}); {_REBUILD}"
        ) from exc


def parse_resource(value: Mapping[str, Any], where: str) -> Resource:
    """Validate a JSON object as one resource (``where`` names it in errors).

    Raises:
        AutopkgError: if it is not a resource.
    """
    try:
        return Resource.model_validate(value)
    except ValidationError as exc:
        raise AutopkgError(f"{where} is not a resource ({exc.error_count()} problems)") from exc


def to_json(record: BaseModel) -> dict[str, Any]:
    """Return a model as the JSON object it is stored as (``autopkg:`` keys and all)."""
    data: dict[str, Any] = record.model_dump(mode="json", by_alias=True)
    return data


def manifest_bytes(manifest: Manifest) -> bytes:
    """Serialise a manifest as stored: indented UTF-8 JSON with a final newline."""
    return (json.dumps(to_json(manifest), indent=2, ensure_ascii=False) + "\n").encode()


def utc_now_iso(now: datetime | None = None) -> str:
    """Return ``now`` (default: the current time) as RFC 3339 UTC, seconds precision."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def licence_of(metadata: Metadata) -> Licence:
    """Return the processor's licence as a Frictionless licence."""
    return Licence.model_validate(metadata.data_license.model_dump())


def source_entry(metadata: Metadata) -> SourceEntry:
    """Return the ``sources`` entry of a processor's dataset: its origin and citation.

    ``version`` is the dataset's version as its publisher names it (absent when the
    publisher gives none), never the processor's; ``autopkg:reference`` holds the
    structured citation the citation files are rendered from.
    """
    reference = metadata.data_reference
    return SourceEntry(
        title=metadata.data_title,
        path=metadata.data_origin_url,
        author=metadata.data_author,
        citation=metadata.data_citation,
        version=reference.version if reference is not None and reference.version else None,
        reference=reference.model_dump(mode="json") if reference is not None else None,
    )


def file_resource(
    metadata: Metadata,
    file_name: str,
    *,
    format: str,
    mediatype: str,
    size: int,
    sha256: str,
    title: str = "",
    empty: bool = False,
    inputs: Inputs | None = None,
) -> Resource:
    """Describe one published data file of a processor as a Data Package resource.

    ``file_name`` is the bare file name; the resource ``path`` places it under
    ``datasets/<name>/<version>/data/``. The resource ``name`` is the file name with
    every character outside ``[-a-z0-9._/]`` replaced by ``-`` (``merge`` makes names
    unique across the package). An ``empty`` file (nothing of the source inside the
    boundary) is marked ``"autopkg:empty": true``.
    """
    return Resource(
        name=_NOT_NAME_CHAR.sub("-", file_name.lower()),
        path=data_path(metadata.name, metadata.version, file_name),
        type="file",
        title=title or metadata.data_title,
        description=metadata.description,
        format=format,
        mediatype=mediatype,
        bytes=size,
        hash=f"sha256:{sha256}",
        licenses=(licence_of(metadata),),
        sources=(source_entry(metadata),),
        processor=metadata.id,
        empty=True if empty else None,
        inputs=inputs,
    )


def with_preview(resource: Resource, *, size: int, sha256: str, legend: dict[str, Any]) -> Resource:
    """Return ``resource`` (a data file) with its preview PNG recorded under ``autopkg:preview``.

    The preview lives at ``datasets/<name>/<version>/previews/<file>.png``. It is part
    of its file's resource rather than a resource of its own, so a processor's
    resources stay exactly the files it made (job results, the ancestor's client view
    and the API's file listing are unchanged) while the manifest still names the
    preview's bytes and hash. ``legend`` says how its colours map to values.
    """
    name, _, version = str(resource.processor).partition(".")
    file_name = resource.path.rsplit("/", 1)[-1]
    preview = Preview(
        path=preview_path(name, version, file_name),
        mediatype=PNG_MEDIATYPE,
        bytes=size,
        hash=f"sha256:{sha256}",
        legend=legend,
    )
    return resource.model_copy(update={"preview": preview})


def stored_records(resources: Iterable[Resource]) -> list[StoredFile]:
    """Return the records of the files ``resources`` name: each file, then its preview."""
    records: list[StoredFile] = []
    for resource in resources:
        records.append(resource)
        if resource.preview is not None:
            records.append(resource.preview)
    return records


def merge(
    manifest: Manifest | None,
    boundary: Boundary,
    metadata: Metadata,
    resources: Sequence[Resource],
    *,
    now: datetime | None = None,
) -> Manifest:
    """Return a new manifest where ``metadata``'s processor has exactly ``resources``.

    Every earlier resource of that processor version is dropped (nothing stale
    survives); other processors' resources are kept unchanged. Incoming resources whose
    name is already taken get a ``-2``, ``-3``… suffix. ``created`` is kept from the
    existing manifest, or set to ``now`` for a new one, until publication stamps the
    new version and its time (see :mod:`~autopkg.packaging.versions`). ``manifest`` is
    not modified.

    Raises:
        ValueError: if a resource belongs to another processor.
    """
    strangers = [r.path for r in resources if r.processor != metadata.id]
    if strangers:
        raise ValueError(f"resources {strangers} do not belong to {metadata.id}")
    return replace_processor(manifest, boundary, metadata.id, resources, now=now)


def replace_processor(
    manifest: Manifest | None,
    boundary: Boundary,
    processor_id: str,
    resources: Sequence[Resource],
    *,
    now: datetime | None = None,
) -> Manifest:
    """Return a new manifest where ``processor_id`` has exactly ``resources``.

    The lower-level form of :func:`merge` for callers without the processor's
    :class:`Metadata` (a rebuild of a processor that is no longer registered).
    """
    previous = manifest.resources if manifest is not None else ()
    # Resources of no processor (the summary's) are derived again by whoever commits.
    kept = [r for r in previous if r.processor not in (processor_id, None)]
    taken = {r.name for r in kept}
    fresh = []
    for resource in resources:
        name = _unique_name(resource.name, taken)
        taken.add(name)
        fresh.append(resource.model_copy(update={"name": name}))
    merged = sorted(kept + fresh, key=lambda r: (str(r.processor), r.path))
    sources = tuple(map(SourceEntry.model_validate, area_sources(boundary)))
    return Manifest(
        profile=SCHEMA_URL,
        name=boundary.name,
        title=f"{boundary.name_long} data package",
        description=(
            f"Global datasets clipped to the boundary of {boundary.name_long} "
            f"({boundary.name}) by autopkg."
        ),
        created=(manifest.created if manifest is not None else None) or utc_now_iso(now),
        licenses=_unique(
            [*union_licences(merged), *map(Licence.model_validate, area_licenses(boundary))]
        ),
        # Absent, not empty, when no publisher's file made the area.
        **({"sources": sources} if sources else {}),
        resources=tuple(merged),
    )


def is_current(
    manifest: Manifest | None,
    processor_id: str,
    *,
    geometry: BaseGeometry,
    options: Mapping[str, Any],
    pinned: Sequence[Source],
) -> bool:
    """Return whether the manifest holds files of ``processor_id`` made from these inputs.

    Every resource of the processor must record inputs that match (see
    :func:`~autopkg.packaging.inputs.inputs_match`); files published before inputs
    were recorded are never current.
    """
    files = [r for r in (manifest.resources if manifest else ()) if r.processor == processor_id]
    return bool(files) and all(
        inputs_match(
            r.inputs,
            geometry=geometry,
            processor_id=processor_id,
            options=options,
            pinned=pinned,
        )
        for r in files
    )


def group_by_processor(resources: Iterable[Resource]) -> dict[str, list[Resource]]:
    """Group the processors' resources by processor id, keeping their order (first seen first).

    Resources of no processor (the summary's) are left out.
    """
    groups: dict[str, list[Resource]] = {}
    for resource in resources:
        if resource.processor is not None:
            groups.setdefault(resource.processor, []).append(resource)
    return groups


def client_view(manifest: Manifest, package_url: str) -> dict[str, Any]:
    """Return the ancestor client's view: one resource per processor version.

    Each entry has ``name`` (processor name), ``version``, ``path`` (absolute URLs,
    ``package_url`` joined with each file's relative path), ``bytes`` (total),
    ``hashes`` (same order as ``path``), ``format`` (distinct formats joined by
    ``", "``), ``description``, ``licenses`` and ``sources``. Every other top-level
    key of the manifest is copied.
    """
    base = package_url.rstrip("/") + "/"
    view = {k: v for k, v in to_json(manifest).items() if k != "resources"}
    entries = []
    for processor_id, files in group_by_processor(manifest.resources).items():
        name, _, version = processor_id.partition(".")
        entries.append(
            {
                "name": name,
                "version": version,
                "path": [base + r.path for r in files],
                "bytes": sum(r.bytes for r in files),
                "hashes": [r.hash for r in files],
                "format": ", ".join(dict.fromkeys(r.format or "" for r in files)),
                "description": files[0].description or "",
                "licenses": [to_json(lic) for lic in union_licences(files)],
                "sources": [to_json(s) for s in _unique([s for r in files for s in r.sources])],
            }
        )
    view["resources"] = entries
    return view


def union_licences(resources: Iterable[Resource]) -> tuple[Licence, ...]:
    """Return the distinct licences of ``resources`` in order of first appearance."""
    return _unique([lic for r in resources for lic in r.licenses])


def _unique_name(name: str, taken: set[str]) -> str:
    """Return ``name``, or ``name-N`` with the smallest N ≥ 2 that is not taken."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def _unique(items: Iterable[_Model]) -> tuple[_Model, ...]:
    """Return ``items`` without repeats (compared by what they serialise to), first kept."""
    seen: dict[str, _Model] = {}
    for item in items:
        seen.setdefault(json.dumps(to_json(item), sort_keys=True), item)
    return tuple(seen.values())
