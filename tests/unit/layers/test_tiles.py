"""GCJ-02 tiles under WGS-84 data: a known point lands on its own pixel after the tile shift."""

import math

import pytest

from geo.coords import wgs84_to_gcj02
from layers.tiles import TILE_PX, TileSettings, lonlat_to_px, px_to_lonlat, tile_shift_px

POINTS = [(84.87, 45.60), (84.93, 45.55), (104.06, 30.66), (116.397, 39.909)]


@pytest.mark.parametrize("z", [12, 15, 18])
@pytest.mark.parametrize(("lon", "lat"), POINTS)
def test_a_known_point_on_a_gcj_tile_is_drawn_where_its_wgs_position_is(lon, lat, z):
    glon, glat = (float(v) for v in wgs84_to_gcj02(lon, lat))
    gx, gy = lonlat_to_px(glon, glat, z)  # where the GCJ tile has the point
    tx, ty = math.floor(gx / TILE_PX), math.floor(gy / TILE_PX)
    dx, dy = tile_shift_px(z, tx, ty)
    wx, wy = lonlat_to_px(lon, lat, z)  # where our WGS-84 data has it
    assert abs(gx + dx - wx) < 0.5 and abs(gy + dy - wy) < 0.5
    if z == 18:  # unshifted, the tile would be off by the whole GCJ offset (~200 m in Karamay)
        assert math.hypot(gx - wx, gy - wy) > 100


def test_pixels_and_degrees_round_trip():
    x, y = lonlat_to_px(84.87, 45.6, 16)
    lon, lat = px_to_lonlat(x, y, 16)
    assert lon == pytest.approx(84.87, abs=1e-12) and lat == pytest.approx(45.6, abs=1e-12)


def test_settings_from_the_environment():
    assert TileSettings.from_env({}) == TileSettings(None, "wgs84")
    s = TileSettings.from_env({"FQ_TILE_URL": "http://t.intra/{z}/{x}/{y}.png",
                               "FQ_TILE_CRS": "GCJ02"})
    assert s.crs == "gcj02" and s.url.endswith(".png")
    with pytest.raises(ValueError, match="FQ_TILE_CRS"):
        TileSettings.from_env({"FQ_TILE_CRS": "bd09"})
    with pytest.raises(ValueError, match="FQ_TILE_URL"):
        TileSettings.from_env({"FQ_TILE_URL": "http://t.intra/tile.png"})
