"""Geodesic buffers of built-in boundaries: seconds and peak RSS, each in its own process.

``python -m benchmarks.buffers NAME METRES`` loads the built-in boundary (untimed),
grows it once and prints the seconds it took as JSON; ``METRES`` 0 only loads it, the
baseline of the peak RSS (interpreter, libraries and the boundaries). ``make bench``
runs the cases below as the ``buffers`` section.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator

import shapely

from benchmarks.measure import PYTHON, repeat
from benchmarks.tables import fmt

HEADER = (
    "boundary",
    "buffer",
    "vertices in",
    "vertices out",
    "parts out",
    "grow s (median)",
    "process peak RSS MB",
)
#: Russia is the largest boundary and crosses ±180°; Canada reaches 84°N; Indonesia has
#: 133 parts; Fiji crosses ±180°.
CASES = (
    ("rus", 0),
    ("rus", 50_000),
    ("rus", 200_000),
    ("can", 50_000),
    ("idn", 50_000),
    ("fji", 5_000),
)


def buffer_rows(times: int) -> Iterator[list[str]]:
    """One table row per case: the median time of ``times`` runs and their peak RSS."""
    for name, metres in CASES:
        series = repeat([PYTHON, "-m", "benchmarks.buffers", name, str(metres)], times)
        report = json.loads(series.samples[-1].stdout.strip().splitlines()[-1])
        yield [
            name,
            f"{metres / 1000:g} km" if metres else "none (load only)",
            str(report["vertices_in"]),
            str(report["vertices_out"]) if metres else "",
            str(report["parts_out"]) if metres else "",
            fmt(series.inner_median) if metres else "",
            f"{series.peak_mb:.0f}",
        ]


def main() -> None:
    from autopkg.boundaries.builtin import get_builtin
    from autopkg.boundaries.geodesic import geodesic_buffer

    name, metres = sys.argv[1], int(sys.argv[2])
    geometry = get_builtin(name).geometry
    report: dict[str, object] = {
        "seconds": [],
        "vertices_in": shapely.get_num_coordinates(geometry),
    }
    if metres:
        started = time.perf_counter()
        grown = geodesic_buffer(geometry, metres)
        report["seconds"] = [time.perf_counter() - started]
        report["vertices_out"] = shapely.get_num_coordinates(grown)
        report["parts_out"] = len(grown.geoms)
    print(json.dumps(report, default=int))


if __name__ == "__main__":
    main()
