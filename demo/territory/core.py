"""The generator's entry point: sizes, the order of the steps, and the seeded random stream."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demo.territory.addresses import estate_frames
from demo.territory.blocks import build_blocks
from demo.territory.estate import build_estate
from demo.territory.facilities import build_facilities
from demo.territory.frames import area_frames, gazetteer_frames, road_frames
from demo.territory.gazetteer import build_gazetteer
from demo.territory.geometry import to_metric
from demo.territory.hierarchy import build_hierarchy
from demo.territory.names import admin_names
from demo.territory.roads import build_roads
from geo.territory import TABLE_ORDER, Territory

CENTRE_LONLAT = (84.87, 45.60)  # 克拉玛依区, near the city's centre


@dataclass(frozen=True, kw_only=True)
class SizeSpec:
    """How big a territory to draw: the oval's half-axes, its streets and the grid count."""

    half_x_m: float
    half_y_m: float
    streets: tuple[str, ...]
    seeds: tuple[tuple[float, float], ...]  # each street's seed as fractions of the half-axes
    grids: int


SIZES: dict[str, SizeSpec] = {
    "demo": SizeSpec(
        half_x_m=3300, half_y_m=2600, grids=300,
        streets=("天山路街道", "昆仑路街道", "胜利路街道", "银河路街道"),
        seeds=((-0.5, 0.45), (0.5, 0.45), (-0.5, -0.45), (0.5, -0.45))),
    "city": SizeSpec(
        half_x_m=6200, half_y_m=4800, grids=1460,
        streets=("天山路街道", "胜利路街道", "昆仑路街道", "银河路街道", "迎宾街道",
                 "金龙镇街道", "古海街道", "小拐乡"),
        seeds=((-0.25, 0.25), (-0.25, -0.25), (0.25, 0.25), (0.25, -0.25), (0.0, -0.8),
               (0.8, 0.0), (-0.8, 0.0), (0.0, 0.8))),
}


def generate_territory(*, size: str = "demo", seed: int = 20261121) -> Territory:
    """Draw an illustrative (示意) territory around 克拉玛依区, the same for the same seed.

    Streets and communities carry their real names; every shape, road, address and facility
    is invented. ``size`` is ``"demo"`` (4 streets) or ``"city"`` (all non-XPCC streets).
    """
    if size not in SIZES:
        raise ValueError(f"未知的规模 {size!r}，可选：{', '.join(SIZES)}")
    spec = SIZES[size]
    rng = np.random.default_rng(seed)
    admin = admin_names()
    cx, cy = to_metric(*CENTRE_LONLAT)
    a, b = spec.half_x_m, spec.half_y_m
    radius = 0.55 * max(a, b)
    net = build_roads(cx=cx, cy=cy, a=a, b=b, rng=rng)
    blocks = build_blocks(net.blocks, net.superblocks, centre=(cx, cy), radius=radius, rng=rng)
    # street codes follow data/admin_names.json's order, so demo and city agree on them
    order = [s.name for s in admin.streets]
    chosen = sorted(spec.streets, key=order.index)
    seeds = np.array([(cx + fx * a, cy + fy * b)
                      for name in chosen
                      for fx, fy in [spec.seeds[spec.streets.index(name)]]])
    h = build_hierarchy(blocks, admin=admin, street_names=chosen, street_seeds=seeds,
                        street_codes=[order.index(n) + 1 for n in chosen],
                        target_grids=spec.grids, rng=rng)
    estate = build_estate(h, centre=(cx, cy), radius=radius, rng=rng)
    facilities = build_facilities(h, estate, admin=admin, centre=(cx, cy), rng=rng)
    gz = build_gazetteer(net, rng=rng)
    frames = area_frames(h) | road_frames(net) | gazetteer_frames(gz, h)
    frames |= estate_frames(gz=gz, estate=estate, facilities=facilities, frames=frames,
                            district=admin.district)
    ordered = {t: frames[t] for t in TABLE_ORDER if t in frames}
    return Territory(frames=ordered, name=f"{admin.district}（示意，{size}）", illustrative=True)
