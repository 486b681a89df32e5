"""Time the territory generator and its validation at both sizes, and print what they make.

Run: ``.venv/bin/python bench/bench_generator.py [demo|city ...] [--seed N]``
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import shapely

from demo.territory import generate_territory
from geo.validate import validate_hierarchy

REQUIRED = {"demo": {"communities": 40, "grids": 250, "micro_grids": 1200},
            "city": {"grids": 1374, "micro_grids": 7123}}


def bench(size: str, seed: int) -> None:
    t0 = time.perf_counter()
    territory = generate_territory(size=size, seed=seed)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    problems = validate_hierarchy(territory)
    t_val = time.perf_counter() - t0
    counts = territory.counts()
    print(f"== {size} (seed {seed}) ==")
    print(f"generate_territory: {t_gen:6.1f} s    validate_hierarchy: {t_val:5.1f} s    "
          f"problems: {len(problems)}")
    for p in problems[:10]:
        print("   ", p.line())
    print("counts:", ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    for table, need in REQUIRED[size].items():
        flag = "ok" if counts[table] >= need else "TOO FEW"
        print(f"  {table}: {counts[table]:,} (need >= {need:,}) {flag}")
    grids, micro = territory["grids"], territory["micro_grids"]
    print(f"  households: grids {grids.households.min()}-{grids.households.max()}, "
          f"micro-grids {micro.households.min()}-{micro.households.max()}, "
          f"total {int(grids.households.sum()):,}")
    for table in ("communities", "police_grids", "grids", "micro_grids"):
        geoms = np.asarray(territory[table]["geom"].values, dtype=object)
        multi = int((shapely.get_num_geometries(geoms) > 1).sum())
        print(f"  {table}: {multi} of {len(geoms)} in more than one part")
    district = territory["districts"]["geom"].iloc[0]
    km2 = territory["districts"].to_crs(32645).area.iloc[0] / 1e6
    length = territory["road_edges"]["length_m"].sum() / 1000
    print(f"  district {km2:.1f} km², roads {length:.0f} km, bounds "
          f"{tuple(round(v, 3) for v in district.bounds)}")
    print(f"  special grids: {int((grids.kind == 'special').sum())}, "
          f"one-way edges: {int((territory['road_edges'].reverse_cost_s < 0).sum())}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS so far: {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", default=["demo", "city"])
    parser.add_argument("--seed", type=int, default=20261121)
    args = parser.parse_args()
    for size in args.sizes:
        bench(size, args.seed)


if __name__ == "__main__":
    main()
