"""The package as a STAC catalogue: one Collection, one Item per dataset, built with pystac.

```
<boundary>/stac/collection.json            the Collection (id = the boundary's name)
<boundary>/stac/<processor>-<version>.json  one Item per processor version
```
Like the citations, the catalogue is derived from the manifest, the boundary and
``provenance.json`` alone and rewritten with every commit, so ``packages rebuild``
reproduces it and ``packages validate`` can derive it again and compare. Every href is
relative (no ``self`` links), so the same files work in a local folder, on S3 and
inside the zip.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pystac import (
    Asset,
    CatalogType,
    Collection,
    Extent,
    Link,
    MediaType,
    SpatialExtent,
    TemporalExtent,
)
from shapely import affinity
from shapely.geometry import MultiPolygon

from autopkg.clip.geometry import antimeridian_parts
from autopkg.domain.boundary import Boundary
from autopkg.packaging.citation import package_citation
from autopkg.packaging.layout import MANIFEST, STAC_COLLECTION, stac_item_path
from autopkg.packaging.licensing import stac_license, web_license_links
from autopkg.packaging.manifest import Manifest, group_by_processor
from autopkg.packaging.stac_item import UP, dataset_item

#: Where the objects are placed while pystac makes their links relative; no JSON
#: written says so, and nothing is ever read or written there.
_VIRTUAL_ROOT = "/package"


def stac_documents(
    boundary: Boundary, manifest: Manifest, provenance: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Return the catalogue's JSON documents by path relative to the boundary folder.

    Resources that belong to no processor (the summary's CSV and Parquet) are assets
    of the Collection. Each Item's ``datetime`` is when provenance says its processor's files were
    published (the manifest's ``created`` if provenance has no record of it); the
    Collection's temporal extent runs from the earliest to the latest of them. Its
    spatial extent, like each Item's bbox, is the boundary's: west > east when the
    boundary crosses the antimeridian, as STAC asks.
    """
    bbox = boundary_bbox(boundary.geometry)
    published = provenance.get("processors", {})
    groups = group_by_processor(manifest.resources)
    items = [
        dataset_item(
            boundary,
            citation,
            groups[citation.processor_id],
            published=datetime.fromisoformat(
                (published.get(citation.processor_id) or {}).get("published_at")
                or str(manifest.created)
            ),
            bbox=bbox,
        )
        for citation in package_citation(manifest).datasets
    ]
    times = sorted(item.datetime for item in items if item.datetime is not None)
    interval: list[datetime | None] = [times[0], times[-1]] if times else [None, None]
    licenses = [lic for r in manifest.resources for lic in r.licenses]
    collection = Collection(
        id=boundary.name,
        title=str(manifest.title),
        description=str(manifest.description),
        extent=Extent(
            SpatialExtent([bbox]),
            TemporalExtent([interval]),
        ),
        license=stac_license(licenses),
        catalog_type=CatalogType.SELF_CONTAINED,
    )
    collection.add_links(
        [
            *web_license_links(licenses),
            Link("license", f"{UP}license.html", MediaType.HTML, title="Licences"),
            Link("describedby", f"{UP}{MANIFEST}", MediaType.JSON, title="Data Package"),
            Link("alternate", f"{UP}index.html", MediaType.HTML),
        ]
    )
    # Resources of no processor (the summary) describe the package as a whole.
    for resource in manifest.resources:
        if resource.processor is None:
            collection.add_asset(
                resource.name,
                Asset(
                    f"{UP}{resource.path}",
                    media_type=str(resource.mediatype),
                    title=resource.title or None,
                    roles=["data"],
                ),
            )
    # Items join before anything has a self href: placing an Item that has one (pystac
    # gives it one when its Collection has) rewrites its relative asset hrefs.
    collection.add_items(items)
    collection.set_self_href(f"{_VIRTUAL_ROOT}/{STAC_COLLECTION}")
    documents = {}
    for item in items:
        relative = stac_item_path(item.id)
        item.set_self_href(f"{_VIRTUAL_ROOT}/{relative}")
        documents[relative] = item
    return {
        STAC_COLLECTION: collection.to_dict(include_self_link=False, transform_hrefs=True),
        **{
            path: item.to_dict(include_self_link=False, transform_hrefs=True)
            for path, item in documents.items()
        },
    }


def boundary_bbox(geometry: MultiPolygon) -> list[float]:
    """Return ``[west, south, east, north]``; west > east across the antimeridian.

    The parts are placed side by side as the clip places them (Fiji 177..180.2, not
    -180..180), and an east edge beyond 180° is written as its longitude west of it.
    """
    placed = [affinity.translate(part, xoff=shift) for part, shift in antimeridian_parts(geometry)]
    west, south, east, north = MultiPolygon(placed).bounds
    return [west, south, east - 360.0 if east > 180.0 else east, north]
