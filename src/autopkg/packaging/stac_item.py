"""The STAC Item of one dataset (processor version) of a package, built with pystac.

An Item's geometry is the package's boundary and its assets are the dataset's files as
``datapackage.json`` lists them, with what the manifest records of each: size and
sha256 (file extension, the checksum as a multihash), CRS and grid (projection and
raster extensions) and the preview PNG as a ``thumbnail``/``overview`` asset. Hrefs are
relative to the Item, which lives in ``stac/`` beside ``datapackage.json``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from pystac import Asset, Item, Link, MediaType, Provider, ProviderRole
from pystac.extensions.file import FileExtension
from pystac.extensions.projection import ProjectionExtension
from pystac.extensions.raster import DataType, NoDataStrings, RasterBand, RasterExtension
from pystac.extensions.scientific import ScientificExtension
from shapely.geometry import mapping

from autopkg.domain.boundary import Boundary
from autopkg.packaging.citation import DatasetCitation
from autopkg.packaging.layout import dataset_dir
from autopkg.packaging.licensing import stac_license, web_license_links
from autopkg.packaging.manifest import Band, Preview, Resource, StoredFile

#: Hrefs in an Item are relative to ``stac/``; the package's files are one level up.
UP = "../"
#: The multihash prefix of a sha256 digest: function code 0x12, length 0x20 (32 bytes).
SHA256_MULTIHASH = "1220"
_AUTHORITY_CODE = re.compile(r"[A-Za-z][\w.-]*:[\w.-]+")
#: The nodata values JSON has no number for, as a grid's band records them.
_NODATA_WORDS = {str(word.value): word for word in NoDataStrings}


def dataset_item(
    boundary: Boundary,
    citation: DatasetCitation,
    files: Sequence[Resource],
    *,
    published: datetime,
    bbox: list[float],
) -> Item:
    """Build the Item of one processor version from its resources in the manifest.

    The dataset's author is its ``producer`` and ``licensor`` provider, linked to the
    dataset's origin when that is a web page. ``published`` (when its files were
    published) is the Item's ``datetime``: the datasets carry no common reference time,
    and it is what tells two versions of a package apart. ``bbox`` is the boundary's,
    west > east when it crosses ±180°.
    """
    first = files[0]
    licenses = first.licenses
    item = Item(
        id=citation.processor_id,
        geometry=mapping(boundary.geometry),
        bbox=bbox,
        datetime=published,
        properties={
            "title": citation.title,
            "description": first.description or "",
            "license": stac_license(licenses),
        },
    )
    if citation.author:
        origin = citation.url if citation.url.startswith(("https://", "http://")) else None
        item.common_metadata.providers = [
            Provider(
                citation.author, roles=[ProviderRole.PRODUCER, ProviderRole.LICENSOR], url=origin
            )
        ]
    science = ScientificExtension.ext(item, add_if_missing=True)
    science.apply(citation=citation.citation or None, doi=citation.doi or None)
    name, _, version = citation.processor_id.partition(".")
    item.add_links(
        [
            *web_license_links(licenses),
            Link("alternate", f"{UP}{dataset_dir(name, version)}/index.html", MediaType.HTML),
        ]
    )
    for resource in files:
        file_name = resource.path.rsplit("/", 1)[-1]
        _add_data_asset(item, file_name, resource)
        if resource.preview is not None:
            _add_preview_asset(item, file_name, resource.preview)
    return item


def _add_data_asset(item: Item, key: str, resource: Resource) -> None:
    """Add one data file: href, media type, size, checksum, CRS and grid."""
    asset = Asset(
        href=UP + resource.path,
        title=resource.title or None,
        media_type=str(resource.mediatype),
        roles=["data"],
    )
    # Extensions record their schema on the asset's owner, so the asset joins first.
    item.add_asset(key, asset)
    _file_fields(asset, resource)
    crs = resource.crs
    if crs is None:
        return
    code = crs if _AUTHORITY_CODE.fullmatch(crs) else None
    grid = resource.grid
    if grid is None:
        ProjectionExtension.ext(asset, add_if_missing=True).apply(
            code=code, wkt2=None if code else crs
        )
        return
    shape, transform = list(grid.shape), [float(v) for v in grid.transform]
    ProjectionExtension.ext(asset, add_if_missing=True).apply(
        code=code,
        wkt2=None if code else crs,
        shape=shape,
        transform=transform,
        bbox=grid_bbox(shape, transform),
    )
    RasterExtension.ext(asset, add_if_missing=True).apply(
        bands=[_band(band) for band in grid.bands]
    )


def _add_preview_asset(item: Item, file_name: str, preview: Preview) -> None:
    """Add the preview PNG of a data file."""
    asset = Asset(
        href=UP + preview.path,
        title=f"Preview of {file_name}",
        media_type=MediaType.PNG,
        roles=["thumbnail", "overview"],
    )
    item.add_asset(f"{file_name}.preview", asset)
    _file_fields(asset, preview)


def _file_fields(asset: Asset, record: StoredFile) -> None:
    """Add ``file:size`` and ``file:checksum`` from a manifest record's bytes and hash."""
    digest = record.hash.removeprefix("sha256:")
    FileExtension.ext(asset, add_if_missing=True).apply(
        size=record.bytes, checksum=SHA256_MULTIHASH + digest
    )


def _band(band: Band) -> RasterBand:
    """Return a raster band from a grid's band record; unknown data types are ``other``."""
    try:
        data_type = DataType(band.data_type)
    except ValueError:
        data_type = DataType.OTHER
    nodata = band.nodata
    return RasterBand.create(
        data_type=data_type,
        nodata=_NODATA_WORDS.get(nodata) if isinstance(nodata, str) else nodata,
    )


def grid_bbox(shape: list[int], transform: list[float]) -> list[float]:
    """Return the extent of a grid in its own CRS, from its four corners."""
    a, b, c, d, e, f = transform[:6]
    rows, columns = shape
    corners = [(col, row) for col in (0, columns) for row in (0, rows)]
    xs = [a * col + b * row + c for col, row in corners]
    ys = [d * col + e * row + f for col, row in corners]
    return [min(xs), min(ys), max(xs), max(ys)]
