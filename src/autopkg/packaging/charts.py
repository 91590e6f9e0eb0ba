"""Charts of the summary: population exposed against return period, drawn as PNG.

One chart per hazard processor and threshold, one line per hazard series (the file
name without its return period), return periods on a logarithmic axis, persons from
zero. The picture holds no text (the pages give the axes' ranges and each line's
numbers in a table beside it), so it needs no font: lines are rasterised with rasterio
and encoded by GDAL's PNG driver, as the previews are.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from affine import Affine
from numpy.typing import NDArray
from rasterio.features import rasterize

from autopkg.packaging.preview import png_bytes
from autopkg.summary.roles import Hazard, role_of
from autopkg.summary.table import Row

WIDTH, HEIGHT, MARGIN = 480, 280, 12
#: Line colours by name, so the table beside a chart can say which line is which.
PALETTE = (
    ("blue", (31, 119, 180)),
    ("orange", (255, 127, 14)),
    ("green", (44, 160, 44)),
    ("red", (214, 39, 40)),
    ("purple", (148, 103, 189)),
    ("brown", (140, 86, 75)),
    ("pink", (227, 119, 194)),
    ("grey", (127, 127, 127)),
    ("olive", (188, 189, 34)),
    ("cyan", (23, 190, 207)),
)


@dataclass(frozen=True)
class Chart:
    """A chart's picture and what it shows: each line's series, colour and points."""

    processor: str
    threshold: float
    unit: str
    png: bytes
    lines: list[dict[str, object]]


def exposure_charts(rows: Sequence[Row], area: str) -> list[Chart]:
    """The charts of ``area``'s population exposed, per hazard processor and threshold.

    ``area`` is the package's boundary, whose name ends every data file's name.
    """
    groups: dict[tuple[str, float], dict[str, list[tuple[float, float]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    units = {}
    for row in rows:
        if (
            row.area == area
            and row.statistic == "population_exposed"
            and row.return_period
            and row.threshold is not None
        ):
            series = _series(row, area)
            groups[(row.processor, row.threshold)][series].append((row.return_period, row.value))
            units[row.processor] = row.threshold_unit
    charts = []
    for (processor, threshold), found in sorted(groups.items()):
        lines = {name: sorted(points) for name, points in sorted(found.items()) if len(points) > 1}
        if lines:
            described: list[dict[str, object]] = [
                {"series": name, "colour": PALETTE[i % len(PALETTE)][0], "points": points}
                for i, (name, points) in enumerate(lines.items())
            ]
            picture = _draw(list(lines.values()))
            charts.append(Chart(processor, threshold, units[processor], picture, described))
    return charts


def _series(row: Row, boundary_name: str) -> str:
    """The row's hazard series: its file's ``<sub>`` without the return period."""
    name, _, version = row.processor.partition(".")
    stem = row.source_file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    sub = stem.removeprefix(f"{name}-{version}-").removesuffix(f"-{boundary_name}")
    role = role_of(row.processor)
    return role.key(sub).series if isinstance(role, Hazard) else sub


def _draw(lines: list[list[tuple[float, float]]]) -> bytes:
    """Draw the lines on white with two axes; return PNG bytes."""
    rps = [rp for line in lines for rp, _ in line]
    low, high = math.log10(min(rps)), math.log10(max(rps))
    top = max((value for line in lines for _, value in line), default=0.0) or 1.0
    span = (high - low) or 1.0

    def place(rp: float, value: float) -> tuple[float, float]:
        x = MARGIN + (math.log10(rp) - low) / span * (WIDTH - 2 * MARGIN)
        y = HEIGHT - MARGIN - value / top * (HEIGHT - 2 * MARGIN)
        return x, y

    image: NDArray[np.uint8] = np.full((4, HEIGHT, WIDTH), 255, dtype=np.uint8)
    axes = shapely.LineString(
        [(MARGIN, MARGIN), (MARGIN, HEIGHT - MARGIN), (WIDTH - MARGIN, HEIGHT - MARGIN)]
    )
    _paint(image, axes.buffer(0.6), (0, 0, 0))
    for index, line in enumerate(lines):
        path = shapely.LineString([place(rp, value) for rp, value in line])
        _paint(image, path.buffer(1.2), PALETTE[index % len(PALETTE)][1])
    return png_bytes(image)


def _paint(image: NDArray[np.uint8], shape: shapely.Geometry, colour: tuple[int, int, int]) -> None:
    """Set the pixels ``shape`` covers (pixel coordinates, y down) to ``colour``."""
    mask = rasterize(
        [(shape, 1)], out_shape=image.shape[1:], transform=Affine.identity(), dtype="uint8"
    ).astype(bool)
    for band, value in enumerate(colour):
        image[band][mask] = value
