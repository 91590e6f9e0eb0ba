"""The local run context: progress clamping and monotonicity, fetch through the cache."""

from __future__ import annotations

import hashlib
from pathlib import Path

from shapely.geometry import MultiPolygon, box

from autopkg.domain.boundary import Boundary
from autopkg.domain.sources import FetchedSource, Source
from autopkg.processors.base import stage
from autopkg.processors.context import LocalRunContext

BOUNDARY = Boundary("sq", "Square", 0, MultiPolygon([box(0, 0, 1, 1)]))


def _context(tmp_path: Path, reports: list[tuple[float, str]], **kw: object) -> LocalRunContext:
    options: dict[str, object] = {"mirror": None, "verify": True} | kw
    return LocalRunContext(
        BOUNDARY,
        tmp_path / "scratch",
        tmp_path / "cache",
        on_progress=lambda percent, task: reports.append((percent, task)),
        **options,  # type: ignore[arg-type]
    )


def test_progress_is_clamped_and_never_goes_backwards(tmp_path: Path) -> None:
    reports: list[tuple[float, str]] = []
    ctx = _context(tmp_path, reports)
    for percent, task in [
        (-5, "a"),
        (20, "b"),
        (10, "c"),
        (float("nan"), "d"),
        (150, "e"),
        (90, "f"),
    ]:
        ctx.progress(percent, task)
    assert reports == [(0, "a"), (20, "b"), (20, "c"), (20, "d"), (100, "e"), (100, "f")]
    assert ctx.scratch.is_dir() and ctx.boundary is BOUNDARY


def test_stage_maps_a_fraction_into_a_slice(tmp_path: Path) -> None:
    reports: list[tuple[float, str]] = []
    ctx = _context(tmp_path, reports)
    report = stage(ctx, 40, 90, "clipping")
    for fraction in (0.0, 0.5, 1.0, 2.0):
        report(fraction)
    assert reports == [(40, "clipping"), (65, "clipping"), (90, "clipping"), (90, "clipping")]


def test_fetch_goes_through_the_cache_with_the_mirror(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    (mirror / "example.org" / "d").mkdir(parents=True)
    (mirror / "example.org" / "d" / "f.bin").write_bytes(b"abc" * 1000)
    reports: list[tuple[float, str]] = []
    ctx = _context(tmp_path, reports, mirror=mirror.as_uri())
    fractions: list[float] = []

    path = ctx.fetch(
        Source(url="https://example.org/d/f.bin", filename="f.bin", size=3000), fractions.append
    )

    assert path == tmp_path / "cache" / "example.org" / "d" / "f.bin"
    assert path.read_bytes() == b"abc" * 1000
    assert fractions[-1] == 1.0
    assert reports == []
    assert ctx.fetched == (
        FetchedSource(
            url="https://example.org/d/f.bin",
            filename="f.bin",
            size=3000,
            sha256=hashlib.sha256(b"abc" * 1000).hexdigest(),
        ),
    )
