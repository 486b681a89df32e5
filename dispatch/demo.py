"""Deterministic demo data: the units of a territory and a year of historical disputes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from dispatch.demo_units import SIZES, UNIT_COLUMNS, build_units
from geo.territory import Territory

__all__ = ["SIZES", "UNIT_COLUMNS", "generate_units"]


def generate_units(territory: Territory, *, seed: int, size: str = "demo") -> gpd.GeoDataFrame:
    """The people a territory's command centre dispatches, as rows of the ``units`` table.

    One grid worker (网格员) per grid, one community police officer (社区民警) per police grid
    and an auxiliary (辅警) for about every second one, people's mediators (人民调解员) in every
    community room and street centre, experts, lawyers, judges, procurators and psychologists
    at the centres and workstations on the map. ``size`` is ``"demo"`` or ``"city"`` (more
    volunteer mediators, as in Karamay's 1,157). Ids run from 1; the active geometry is
    ``last_geom`` (EPSG:4326); every unit starts with ``active_load`` 0.
    """
    if size not in SIZES:
        raise ValueError(f"未知的规模 {size!r}，应为 {'、'.join(SIZES)}")
    for table in ("streets", "communities", "grids"):
        if table not in territory or not len(territory[table]):
            raise ValueError(f"辖区缺少 {table} 图层，无法生成演示人员")
    rng = np.random.default_rng([seed, 1])
    return build_units(territory, rng, SIZES[size])
