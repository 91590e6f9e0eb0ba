"""Opening a publisher's vector file: its layer, or one sentence saying why it cannot be."""

from __future__ import annotations

from typing import Any

import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError

from autopkg.errors import SourceError


def read_layer_info(path: str, *, filename: str, member: str, **options: Any) -> dict[str, Any]:
    """Describe the layer ``member`` of the publisher's file ``filename`` (GDAL ``path``).

    ``options`` go to :func:`pyogrio.read_info` (``layer``, GDAL open options).

    Raises:
        SourceError: the layer cannot be read; the message says so in a sentence a
            person can act on, then GDAL's detail.
    """
    try:
        info: dict[str, Any] = pyogrio.read_info(path, **options)
    except (DataSourceError, DataLayerError) as exc:
        raise SourceError(
            f"the publisher's file {filename} could not be read: it holds no readable "
            f"{member}; the publisher may have changed its layout, or the download is "
            f"damaged (remove it from the source cache to fetch it again). Detail: {exc}"
        ) from None
    return info


def require_lines(info: dict[str, Any], *, filename: str, member: str) -> None:
    """Refuse a layer that does not hold lines, naming what it holds."""
    geometry_type = info["geometry_type"]
    if geometry_type not in ("LineString", "MultiLineString"):
        raise SourceError(
            f"the publisher's file {filename} could not be used: {member} holds "
            f"{geometry_type} geometries, expected lines"
        )
