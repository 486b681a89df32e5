import numpy as np
import pytest

from geo.coords import (
    bd09_to_gcj02,
    check_lon_lat,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_gcj02,
)
from geo.errors import CoordinateError


def _metres(lon1, lat1, lon2, lat2):
    return np.hypot((lon1 - lon2) * 111320 * np.cos(np.radians(lat1)), (lat1 - lat2) * 110540)


def test_gcj02_round_trip_is_exact_across_china():
    rng = np.random.default_rng(7)
    lon, lat = rng.uniform(73.7, 134.9, 20000), rng.uniform(18.2, 53.4, 20000)
    back = gcj02_to_wgs84(*wgs84_to_gcj02(lon, lat))
    assert _metres(lon, lat, *back).max() < 0.05


def test_bd09_round_trip_is_exact():
    rng = np.random.default_rng(8)
    lon, lat = rng.uniform(73.7, 134.9, 20000), rng.uniform(18.2, 53.4, 20000)
    back = bd09_to_gcj02(*gcj02_to_bd09(lon, lat))
    assert _metres(lon, lat, *back).max() < 0.05
    wgs = to_wgs84(*from_wgs84(lon, lat, "bd09"), "bd09")
    assert _metres(lon, lat, *wgs).max() < 0.05


def test_shift_is_hundreds_of_metres_in_karamay_and_none_abroad():
    glon, glat = wgs84_to_gcj02(84.87, 45.60)
    assert 100 < _metres(84.87, 45.60, glon, glat) < 700
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)


def test_cgcs2000_is_taken_as_wgs84():
    lon, lat = to_wgs84(84.87, 45.6, "CGCS2000")
    assert (float(lon), float(lat)) == (84.87, 45.6)


def test_unknown_crs_names_the_field():
    with pytest.raises(CoordinateError) as err:
        to_wgs84(84.87, 45.6, "web-mercator")
    assert err.value.field == "crs"


def test_out_of_range_and_swapped_coordinates_are_refused_with_a_hint():
    with pytest.raises(CoordinateError) as err:
        check_lon_lat(45.6, 184.87)
    assert err.value.field == "lat"
    with pytest.raises(CoordinateError, match="颠倒"):
        check_lon_lat(30.63, 104.07)  # lat, lon typed the wrong way round
    with pytest.raises(CoordinateError, match="颠倒"):
        check_lon_lat(45.60, 84.87)
    check_lon_lat(84.87, 45.60)


def test_agrees_with_an_independent_implementation():
    """prcoords (public domain, not ours) as the reference: forward and precise inverses."""
    prcoords = pytest.importorskip("prcoords")
    rng = np.random.default_rng(9)
    lon, lat = rng.uniform(73.7, 134.9, 2000), rng.uniform(18.2, 53.4, 2000)
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    b_lon, b_lat = gcj02_to_bd09(g_lon, g_lat)
    for i in range(len(lon)):
        ref = prcoords.wgs_gcj((lat[i], lon[i]), False)
        assert abs(ref.lon - g_lon[i]) < 1e-9 and abs(ref.lat - g_lat[i]) < 1e-9
        ref_bd = prcoords.gcj_bd((g_lat[i], g_lon[i]))
        assert abs(ref_bd.lon - b_lon[i]) < 1e-9 and abs(ref_bd.lat - b_lat[i]) < 1e-9
        back = prcoords.gcj_wgs_bored((g_lat[i], g_lon[i]), False)
        w_lon, w_lat = gcj02_to_wgs84(g_lon[i], g_lat[i])
        assert _metres(back.lon, back.lat, float(w_lon), float(w_lat)) < 0.05
