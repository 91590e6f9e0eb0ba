"""clip_raster: exact pixels, nodata outside, tight aligned grids, COG layout."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine
from numpy.typing import NDArray
from pyproj import Transformer
from shapely.geometry import MultiPolygon

from autopkg.clip import RasterClip, clip_raster, raster_sides
from autopkg.clip.cog import scratch_profile
from autopkg.clip.grid import OutputGrid
from autopkg.errors import ClipError
from tests.unit.clip.conftest import MOLLWEIDE, grid_at, pattern, write_raster

LonLat = Callable[[NDArray[np.float64], NDArray[np.float64]], tuple[NDArray[np.float64], ...]]


def _wrap(x: NDArray[np.float64], y: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    """Longitudes back into -180..180."""
    return (x + 180) % 360 - 180, y


def _same_bits(a: NDArray[np.generic], b: NDArray[np.generic]) -> bool:
    """Bitwise equality (NaN payloads included)."""
    as_uint = np.dtype(f"u{a.dtype.itemsize}")
    return a.shape == b.shape and bool(np.array_equal(a.view(as_uint), b.view(as_uint)))


def _is_nodata(values: NDArray[np.generic], nodata: float) -> bool:
    """Whether every value is the nodata value (NaN-aware)."""
    if np.isnan(nodata):
        return bool(np.isnan(values).all())
    return bool((values == nodata).all())


def check_clip(
    clip: RasterClip,
    src: Path | str,
    boundary: MultiPolygon,
    *,
    to_lonlat: LonLat = _wrap,
    tolerance: float = 1e-9,
) -> int:
    """Compare every output pixel with the source; return how many are inside.

    Pixels whose centre is inside the boundary (shrunk by ``tolerance``) must equal the
    source pixel at the same place bit for bit; pixels outside (grown by ``tolerance``)
    must be nodata. The output grid must be the source grid, shifted by whole pixels
    (and whole turns of 360° for geographic sources).
    """
    with rasterio.open(src) as source:
        src_data = source.read()
        st, src_crs, geographic = source.transform, source.crs, source.crs.is_geographic
    with rasterio.open(clip.path) as out:
        data = out.read()
        ot = out.transform
        assert out.crs == src_crs
        assert (out.width, out.height, out.count) == (clip.width, clip.height, clip.count)
        assert out.dtypes[0] == clip.dtype == src_data.dtype.name
        assert out.nodata == clip.nodata or (np.isnan(out.nodata) and np.isnan(clip.nodata))
    assert (ot.a, ot.b, ot.d, ot.e) == pytest.approx((st.a, st.b, st.d, st.e), rel=1e-12)
    col_shift, row_shift = (ot.c - st.c) / st.a, (ot.f - st.f) / st.e
    assert col_shift == pytest.approx(round(col_shift), abs=1e-6)
    assert row_shift == pytest.approx(round(row_shift), abs=1e-6)
    rows, cols = np.indices(data.shape[1:])
    src_rows, src_cols = rows + round(row_shift), cols + round(col_shift)
    if geographic:
        src_cols = src_cols % round(360 / st.a)
    covered = (src_rows >= 0) & (src_rows < src_data.shape[1]) & (src_cols < src_data.shape[2])
    lon, lat = to_lonlat(ot.c + (cols + 0.5) * ot.a, ot.f + (rows + 0.5) * ot.e)
    inner = shapely.contains_xy(boundary.buffer(-tolerance), lon, lat) & covered
    outer = shapely.contains_xy(boundary.buffer(tolerance), lon, lat)
    expected = src_data[:, src_rows[inner], src_cols[inner]]
    assert _same_bits(data[:, inner], expected)
    assert _is_nodata(data[:, ~outer], clip.nodata)
    assert clip.empty == (not inner.any())
    return int(inner.sum())


def check_cog(path: Path, *, predictor: str, overviews: bool, block: int = 512) -> None:
    """The file is a tiled, compressed COG (GDAL's LAYOUT=COG) with or without overviews."""
    with rasterio.open(path) as out:
        structure = out.tags(ns="IMAGE_STRUCTURE")
        assert structure["LAYOUT"] == "COG"
        assert structure["COMPRESSION"] == "DEFLATE"
        assert structure["PREDICTOR"] == predictor
        assert out.block_shapes == [(block, block)] * out.count
        assert bool(out.overviews(1)) is overviews


def test_ghana_uint8(uint8_world: Path, countries: dict[str, MultiPolygon], tmp_path: Path) -> None:
    ghana = countries["GHA"]
    fractions: list[float] = []
    clip = clip_raster(uint8_world, ghana, tmp_path / "gha.tif", progress=fractions.append)
    assert clip.path == tmp_path / "gha.tif"
    assert (clip.width, clip.height, clip.count, clip.dtype) == (43, 64, 1, "uint8")
    assert clip.nodata == 0
    assert not clip.empty
    # Ghana's 1:110m outline spans -3.24..1.06°E, 4.71..11.10°N; the crop keeps the
    # pixels whose centres fall in that box, on the source's 0.1° grid.
    with rasterio.open(clip.path) as out:
        assert out.bounds == pytest.approx((-3.2, 4.7, 1.1, 11.1), abs=1e-9)
    assert check_clip(clip, uint8_world, ghana) == 1996
    # A clip smaller than a 512 tile gets the smallest power-of-two tile holding it.
    check_cog(clip.path, predictor="2", overviews=False, block=64)
    assert fractions == sorted(fractions)
    assert fractions[-1] == 1.0


def test_fiji_is_compact_across_antimeridian(
    uint8_world: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    fiji = countries["FJI"]
    clip = clip_raster(uint8_world, fiji, tmp_path / "fji.tif")
    with rasterio.open(clip.path) as out:
        west, _, east, _ = out.bounds
    assert east - west < 10
    assert west == pytest.approx(177.3) and east == pytest.approx(180.2)
    inside = check_clip(clip, uint8_world, fiji)
    # The eastern islet (-180..-179.8°) lands in the columns past 180°.
    with rasterio.open(clip.path) as out:
        past_180 = out.read(1)[:, -2:]
    assert inside == 162 and past_180.any()


def test_russia_spans_19_to_190_with_overviews(
    uint8_world: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    russia = countries["RUS"]
    clip = clip_raster(uint8_world, russia, tmp_path / "rus.tif")
    with rasterio.open(clip.path) as out:
        assert out.bounds.left == pytest.approx(19.7)
        assert out.bounds.right == pytest.approx(190.1)
    assert clip.width == 1704
    assert check_clip(clip, uint8_world, russia) > 290_000
    check_cog(clip.path, predictor="2", overviews=True)


def test_window_of_many_tiles(uint8_world: Path, tmp_path: Path) -> None:
    # 3400x1650 pixels: 7x4 tiles, some wholly inside, some wholly outside the triangle.
    triangle = MultiPolygon([shapely.Polygon([(-170, -80), (170, -80), (0, 85)])])
    fractions: list[float] = []
    clip = clip_raster(uint8_world, triangle, tmp_path / "tri.tif", progress=fractions.append)
    assert (clip.width, clip.height) == (3400, 1650)
    assert check_clip(clip, uint8_world, triangle) > 2_700_000
    check_cog(clip.path, predictor="2", overviews=True)
    assert len(fractions) > 4 and fractions == sorted(fractions)


def test_float_source_keeps_nodata_and_nan_bits(
    float_world: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    brazil = countries["BRA"]
    clip = clip_raster(float_world, brazil, tmp_path / "bra.tif", nodata=0)
    assert clip.nodata == -9999  # the source's nodata wins over the argument
    assert clip.dtype == "float32"
    assert check_clip(clip, float_world, brazil) > 15_000
    with rasterio.open(clip.path) as out:
        data = out.read(1)
    assert np.isnan(data).any()  # source NaNs inside the boundary are data, kept as such
    check_cog(clip.path, predictor="3", overviews=False, block=256)


def test_float_source_without_nodata_gets_nan(
    countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    src = write_raster(
        tmp_path / "float64.tif",
        pattern((360, 720), "float64")[np.newaxis],
        crs="EPSG:4326",
        transform=grid_at(-180, 90, 0.5, 0.5),
    )
    clip = clip_raster(src, countries["GHA"], tmp_path / "gha.tif")
    assert np.isnan(clip.nodata)
    assert check_clip(clip, src, countries["GHA"]) > 50


def test_zstd_compression(
    uint8_world: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    clip = clip_raster(uint8_world, countries["GHA"], tmp_path / "gha.tif", compress="zstd")
    with rasterio.open(clip.path) as out:
        assert out.tags(ns="IMAGE_STRUCTURE")["COMPRESSION"] == "ZSTD"
    assert check_clip(clip, uint8_world, countries["GHA"]) == 1996


def test_source_in_0_to_360_wraps_for_ghana(
    rgb_east: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    ghana = countries["GHA"]
    clip = clip_raster(rgb_east, ghana, tmp_path / "gha.tif")
    assert clip.count == 3
    with rasterio.open(clip.path) as out:
        assert out.bounds.left == pytest.approx(-3.25)  # west of the source's 0° edge
        assert out.bounds.right == pytest.approx(1.0)
        assert out.colorinterp[:3] == (
            rasterio.enums.ColorInterp.red,
            rasterio.enums.ColorInterp.green,
            rasterio.enums.ColorInterp.blue,
        )
    assert check_clip(clip, rgb_east, ghana) > 100


def test_regional_source_signed_default_nodata(
    africa_int16: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    kenya = countries["KEN"]
    clip = clip_raster(africa_int16, kenya, tmp_path / "ken.tif")
    assert clip.nodata == -32768
    assert check_clip(clip, africa_int16, kenya) > 4000


def test_nodata_argument_used_when_source_has_none(
    africa_int16: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    clip = clip_raster(africa_int16, countries["KEN"], tmp_path / "ken.tif", nodata=-1)
    assert clip.nodata == -1
    check_clip(clip, africa_int16, countries["KEN"])


def test_boundary_partly_outside_regional_source(
    africa_int16: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    # Egypt runs to 36.9°E / 31.7°N: inside. Saudi Arabia runs past 55°E: cut at the edge.
    saudi = countries["SAU"]
    clip = clip_raster(africa_int16, saudi, tmp_path / "sau.tif")
    with rasterio.open(clip.path) as out:
        assert out.bounds.right == pytest.approx(55.0)
    assert check_clip(clip, africa_int16, saudi) > 1000


def test_boundary_outside_source_gives_valid_empty_file(
    africa_int16: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    clip = clip_raster(africa_int16, countries["FJI"], tmp_path / "fji.tif")
    assert clip.empty
    assert (clip.width, clip.height) == (1, 1)
    with rasterio.open(clip.path) as out:
        assert out.read(1).tolist() == [[-32768]]
        assert out.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"


def test_boundary_smaller_than_a_pixel_is_empty(uint8_world: Path, tmp_path: Path) -> None:
    speck = MultiPolygon([shapely.box(10.01, 10.01, 10.02, 10.02)])
    clip = clip_raster(uint8_world, speck, tmp_path / "speck.tif")
    assert clip.empty
    with rasterio.open(clip.path) as out:
        assert out.read(1).tolist() == [[0]]


def test_mollweide_source_gets_reprojected_boundary(
    mollweide_world: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    france_spain = countries["ESP"]
    clip = clip_raster(mollweide_world, france_spain, tmp_path / "esp.tif")
    back = Transformer.from_crs(MOLLWEIDE, "EPSG:4326", always_xy=True)

    def to_lonlat(
        x: NDArray[np.float64], y: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], ...]:
        return back.transform(x, y)

    # Densified edges follow true Mollweide curves: allow 0.01° at the border.
    assert (
        check_clip(clip, mollweide_world, france_spain, to_lonlat=to_lonlat, tolerance=0.01) > 1000
    )
    assert clip.nodata == 65535


@pytest.mark.parametrize(("code", "widths"), [("FJI", (19, 2)), ("RUS", (518, 91))])
def test_mollweide_antimeridian_gets_one_tight_clip_per_side(
    mollweide_world: Path,
    countries: dict[str, MultiPolygon],
    tmp_path: Path,
    code: str,
    widths: tuple[int, int],
) -> None:
    # In one piece either country would be a clip as wide as the world (1760 columns).
    sides = raster_sides(mollweide_world, countries[code])
    assert [name for name, _ in sides] == ["east", "west"]
    back = Transformer.from_crs(MOLLWEIDE, "EPSG:4326", always_xy=True)

    def to_lonlat(
        x: NDArray[np.float64], y: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], ...]:
        return back.transform(x, y)

    inside = 0
    for (name, side), width in zip(sides, widths, strict=True):
        clip = clip_raster(mollweide_world, side, tmp_path / f"{name}.tif")
        assert clip.width == width, name
        with rasterio.open(clip.path) as out:
            assert (out.bounds.left > 0) == (name == "east")
        inside += check_clip(clip, mollweide_world, side, to_lonlat=to_lonlat, tolerance=0.01)
    assert inside > (10 if code == "FJI" else 10_000)


@pytest.mark.parametrize("code", ["FJI", "GHA"])
def test_one_clip_when_the_grid_wraps_or_nothing_crosses(
    uint8_world: Path, mollweide_world: Path, countries: dict[str, MultiPolygon], code: str
) -> None:
    source = uint8_world if code == "FJI" else mollweide_world
    ((name, geometry),) = raster_sides(source, countries[code])
    assert name is None and geometry.equals(countries[code])


def test_vsizip_source(
    zipped_uint8_world: str, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    clip = clip_raster(zipped_uint8_world, countries["GHA"], tmp_path / "gha.tif")
    assert check_clip(clip, zipped_uint8_world, countries["GHA"]) == 1996


def test_invalid_boundary_is_repaired(uint8_world: Path, tmp_path: Path) -> None:
    bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])
    clip = clip_raster(uint8_world, bowtie, tmp_path / "bowtie.tif")
    repaired = MultiPolygon(shapely.get_parts(shapely.make_valid(bowtie)))
    # Pixel centres on the diagonals are ties, left out of the check: 180 strictly in.
    assert check_clip(clip, uint8_world, repaired) == 180


def test_overwrites_existing_output(
    uint8_world: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    dst = tmp_path / "nested" / "out.tif"
    clip_raster(uint8_world, countries["FJI"], dst)
    clip = clip_raster(uint8_world, countries["GHA"], dst)
    assert check_clip(clip, uint8_world, countries["GHA"]) == 1996
    assert sorted(p.name for p in dst.parent.iterdir()) == ["out.tif"]


def test_unreadable_source_names_the_file(
    tmp_path: Path, countries: dict[str, MultiPolygon]
) -> None:
    junk = tmp_path / "junk.tif"
    junk.write_text("not a raster")
    with pytest.raises(ClipError, match=r"junk\.tif"):
        clip_raster(junk, countries["GHA"], tmp_path / "out.tif")
    with pytest.raises(ClipError, match=r"missing\.tif"):
        clip_raster(tmp_path / "missing.tif", countries["GHA"], tmp_path / "out.tif")
    assert not (tmp_path / "out.tif").exists()


def test_bad_arguments(
    uint8_world: Path, countries: dict[str, MultiPolygon], tmp_path: Path
) -> None:
    with pytest.raises(ClipError, match="nodata 300"):
        clip_raster(uint8_world, countries["GHA"], tmp_path / "a.tif", nodata=300)
    with pytest.raises(ClipError, match="compression"):
        clip_raster(uint8_world, countries["GHA"], tmp_path / "a.tif", compress="JPEG")
    with pytest.raises(ClipError, match="no area"):
        clip_raster(uint8_world, shapely.LineString([(0, 0), (1, 1)]), tmp_path / "a.tif")


def test_a_window_past_the_scratch_limit_is_compressed_on_the_way(uint8_world: Path) -> None:
    grid = OutputGrid(0, 0, 1000, 500, Affine.identity(), None, MultiPolygon())
    with rasterio.open(uint8_world) as source:
        within = scratch_profile(source, grid, source.crs, 0, limit=500_000)
        past = scratch_profile(source, grid, source.crs, 0, limit=499_999)
    assert ("compress" in within, within["bigtiff"]) == (False, "IF_NEEDED")
    assert (past["compress"], past["zstd_level"], past["bigtiff"]) == ("ZSTD", 1, "YES")
