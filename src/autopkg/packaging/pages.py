"""Human-readable HTML pages of a package, rendered from jinja2 templates.

Pages link to each other and to the data files with relative links only, so they
work wherever the package is hosted (a local folder served over HTTP, or S3, where
there is no directory listing). Everything is autoescaped; a processor's Markdown
summary is rendered with raw HTML disabled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup
from pyproj import CRS
from pyproj.exceptions import CRSError

from autopkg import __version__
from autopkg.domain.boundary import Boundary
from autopkg.domain.metadata import Metadata
from autopkg.packaging.layout import (
    DATASET_PAGES,
    PACKAGE_PAGES,
    STAC_COLLECTION,
    SUMMARY_CSV,
    SUMMARY_PARQUET,
    dataset_dir,
    stac_item_path,
)
from autopkg.packaging.manifest import (
    CRS_KEY,
    Licence,
    Manifest,
    Resource,
    SourceEntry,
    group_by_processor,
    to_json,
)
from autopkg.packaging.versions import version_manifest
from autopkg.summary.table import Row

# "js-default" is CommonMark without raw HTML; unsafe link schemes are refused too.
_MARKDOWN = MarkdownIt("js-default")
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def human_size(size: int) -> str:
    """Return a byte count as a short human-readable string (``1.5 MiB``)."""
    value, index = float(size), 0
    while value >= 1024 and index < len(_UNITS) - 1:
        value /= 1024
        index += 1
    return f"{size} B" if index == 0 else f"{value:.1f} {_UNITS[index]}"


def web_url(url: str) -> str:
    """Return ``url`` if it is an http(s) URL, else ``""`` (so it is shown, not linked)."""
    return url if url.startswith(("https://", "http://")) else ""


@dataclass(frozen=True)
class PageFile:
    """A data file as a page lists it: its resource and links relative to the page."""

    resource: Resource
    href: str
    preview_href: str = ""


@dataclass(frozen=True)
class PageDataset:
    """One processor version as the package pages list it."""

    id: str
    title: str
    citation: str
    description: str
    dir: str
    licenses: tuple[Licence, ...]
    bytes: int
    files: list[PageFile]


def crs_label(resource: Resource) -> str:
    """Return how a page names a file's CRS: its code, or the name of a WKT definition."""
    crs = resource.crs
    if crs is None:
        return "not recorded"
    if "[" not in crs:
        return crs
    try:
        name = CRS.from_wkt(crs).name
    except CRSError:
        name = "a CRS without a code"
    return f"{name} (WKT2 in {CRS_KEY})"


def number(value: float) -> str:
    """A summary value as a page shows it: six significant digits, thousands separated."""
    return f"{value:,.6g}" if abs(value) < 1e15 else f"{value:.6g}"


def markdown(text: str) -> Markup:
    """Render Markdown to HTML with raw HTML escaped."""
    return Markup(_MARKDOWN.render(text))  # noqa: S704 - markdown-it escapes raw HTML


def _environment() -> Environment:
    """Build the jinja2 environment with autoescaping and the pages' filters."""
    env = Environment(
        loader=PackageLoader("autopkg.packaging", "templates"),
        autoescape=select_autoescape(default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        human_size=human_size,
        web_url=web_url,
        markdown=markdown,
        crs_label=crs_label,
        number=number,
    )
    return env


_ENV = _environment()


def _datasets(manifest: Manifest) -> list[PageDataset]:
    """Return one summary per processor version for the package-level pages."""
    datasets = []
    for processor_id, files in group_by_processor(manifest.resources).items():
        name, _, version = processor_id.partition(".")
        first = files[0]
        source = first.sources[0] if first.sources else SourceEntry()
        datasets.append(
            PageDataset(
                id=processor_id,
                title=source.title if source.title is not None else processor_id,
                citation=source.citation or "",
                description=first.description or "",
                dir=dataset_dir(name, version),
                licenses=first.licenses,
                bytes=sum(r.bytes for r in files),
                files=[PageFile(r, r.path) for r in files],
            )
        )
    return datasets


def _charts(manifest: Manifest) -> list[dict[str, Any]]:
    """The summary's charts as the index shows them, each with its data as a table."""
    charts = []
    for resource in manifest.resources:
        if resource.path != SUMMARY_CSV or resource.summary is None:
            continue
        for chart in resource.summary.charts:
            lines = chart.lines
            rps = sorted({float(rp) for line in lines for rp, _ in line.points})
            values = [float(v) for line in lines for _, v in line.points]
            charts.append(
                {
                    **to_json(chart),
                    "rps": rps,
                    "top": max(values, default=0.0),
                    "rows": [
                        {**to_json(line), "values": [dict(line.points).get(rp) for rp in rps]}
                        for line in lines
                    ],
                }
            )
    return charts


def render_package_pages(
    boundary: Boundary,
    manifest: Manifest,
    provenance: dict[str, Any],
    versions: Sequence[str] = (),
    summary: Sequence[Row] = (),
) -> dict[str, str]:
    """Render the boundary-level pages; ``version.html`` links the kept ``versions``.

    The index shows the ``summary`` rows of the boundary itself: each dataset's
    statistics, then what each hazard file reaches.

    Returns:
        ``{"index.html": …, "license.html": …, "version.html": …}``, paths relative to
        the boundary folder.
    """
    context = {
        "boundary": boundary,
        "manifest": manifest,
        "datasets": _datasets(manifest),
        "provenance": provenance.get("processors", {}),
        "autopkg_version": __version__,
        "root": "",
        "stac_collection": STAC_COLLECTION,
        "versions": [(v, version_manifest(v)) for v in reversed(versions)],
        "alone": [r for r in summary if r.area == boundary.name and not r.exposure_processor],
        "exposed": [r for r in summary if r.area == boundary.name and r.exposure_processor],
        "charts": _charts(manifest),
        "summary_csv": SUMMARY_CSV,
        "summary_parquet": SUMMARY_PARQUET,
    }
    return {page: _ENV.get_template(f"package_{page}").render(context) for page in PACKAGE_PAGES}


def render_dataset_pages(
    boundary: Boundary, manifest: Manifest, metadata: Metadata, summary: Sequence[Row] = ()
) -> dict[str, str]:
    """Render the pages of one processor version from its metadata and manifest files.

    The index shows the ``summary`` rows of the dataset alone (they depend on its own
    files only, so the page never needs rendering again for another dataset's sake).

    The index names each data file's CRS and shows its preview, when it has one, with
    its legend; it links the dataset's STAC Item.

    Returns:
        ``{"datasets/<name>/<version>/index.html": …, ".../license.html": …}``, paths
        relative to the boundary folder.
    """
    folder = dataset_dir(metadata.name, metadata.version)
    files = [
        PageFile(
            resource,
            resource.path.removeprefix(f"{folder}/"),
            resource.preview.path.removeprefix(f"{folder}/") if resource.preview else "",
        )
        for resource in manifest.resources
        if resource.processor == metadata.id
    ]
    context = {
        "boundary": boundary,
        "metadata": metadata,
        "files": files,
        "autopkg_version": __version__,
        "root": "../../../",
        "stac_item": stac_item_path(metadata.id),
        "alone": [
            r
            for r in summary
            if r.area == boundary.name and r.processor == metadata.id and not r.exposure_processor
        ],
    }
    return {
        f"{folder}/{page}": _ENV.get_template(f"dataset_{page}").render(context)
        for page in DATASET_PAGES
    }
