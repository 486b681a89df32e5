"""The routing's array geodesic agrees with pyproj's (Karney's) within 1e-6 m + 1e-11 of the
length on every line up to 1,000 km, at any latitude, across the antimeridian, along meridians
and the equator; long lines and nearly antipodal ones are pyproj's own answers."""

import numpy as np
import pytest

from geo.geodesic import SHORT_M, geodesic_many_m
from geo.routing_snap import geodesic_m

BOUND_M = 1e-6
SHARE = 1e-11


@pytest.mark.parametrize("lat0", [-89.5, -60.0, -0.01, 0.0, 30.6, 45.5, 80.0, 89.9])
@pytest.mark.parametrize("spread", [1e-5, 0.01, 0.3, 3.0, 9.0])
def test_agrees_with_pyproj_on_short_lines(lat0, spread):
    rng = np.random.default_rng(int(abs(lat0) * 10 + spread * 100))
    lon0 = float(rng.uniform(-180, 180))
    lon = lon0 + rng.uniform(-spread, spread, 2_000)
    lat = np.clip(lat0 + rng.uniform(-spread, spread, 2_000), -90.0, 90.0)
    got, want = geodesic_many_m(lon0, lat0, lon, lat), geodesic_m(lon0, lat0, lon, lat)
    assert (np.abs(got - want) <= BOUND_M + SHARE * want).all()


def test_special_lines():
    lon0, lat0 = 179.999, 10.0
    lon = np.array([179.999, -179.99, 179.999, 0.0, 179.999, -0.001, 180.0 - 360.0])
    lat = np.array([10.0, 10.05, 10.3, 0.0, -10.0, -10.0, 10.0])
    got, want = geodesic_many_m(lon0, lat0, lon, lat), geodesic_m(lon0, lat0, lon, lat)
    assert got[0] == 0.0  # the point itself
    # across the antimeridian, long, antipodal
    assert (np.abs(got - want) <= BOUND_M + SHARE * want).all()
    on_equator = geodesic_many_m(10.0, 0.0, np.array([10.2, 9.5]), np.array([0.0, 0.0]))
    assert np.abs(on_equator - geodesic_m(10.0, 0.0, [10.2, 9.5], [0.0, 0.0])).max() <= BOUND_M


def test_long_lines_are_pyprojs_and_missing_points_nan():
    lon = np.array([120.0, np.nan, 104.1, 104.0])
    lat = np.array([40.0, 30.0, np.nan, 30.0])
    got = geodesic_many_m(104.0, 30.0, lon, lat)
    assert got[0] > SHORT_M and got[0] == geodesic_m(104.0, 30.0, [120.0], [40.0])[0]
    assert np.isnan(got[1]) and np.isnan(got[2]) and got[3] == 0.0
    assert geodesic_many_m(104.0, 30.0, np.empty(0), np.empty(0)).shape == (0,)
    # a sphere would be off by metres: the test above is not loose
    sphere = 6_371_008.8 * np.radians(0.3)
    assert abs(geodesic_many_m(104.0, 30.0, [104.0], [30.3])[0] - sphere) > 10.0
