"""./run import: read, validate everything, then write all or nothing in one transaction."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text

from geo import db
from geo.errors import ImportRejected, Problem
from geo.importer import read_areas
from geo.loader import copy_frame, load_territory
from geo.road_import import read_roads


def say(msg: str) -> None:
    print(f"[import] {msg}", flush=True)


def add_import_parser(sub: Any) -> None:
    imp = sub.add_parser("import", help="import a real territory, roads or units")
    kinds = imp.add_subparsers(dest="kind", required=True)
    roads = kinds.add_parser("roads", help="road lines (GeoJSON, GeoPackage, Shapefile)")
    roads.add_argument("file", type=Path)
    roads.add_argument("--layer")
    roads.add_argument("--crs", choices=("wgs84", "gcj02", "bd09", "cgcs2000"), default=None,
                       help="the coordinates are in this Chinese system (files cannot declare it)")
    areas = kinds.add_parser("areas", help="streets, communities, grids, micro-grids, police grids")
    for level in ("districts", "streets", "communities", "police-grids", "grids", "micro-grids"):
        areas.add_argument(f"--{level}", type=Path)
    areas.add_argument("--district-code", default="000000")
    areas.add_argument("--district-name", default="导入辖区")
    areas.add_argument("--crs", choices=("wgs84", "gcj02", "bd09", "cgcs2000"), default=None)
    areas.add_argument("--force", action="store_true",
                       help="replace the territory even though units or incidents refer to it")
    units = kinds.add_parser("units", help="units roster (CSV or XLSX)")
    units.add_argument("file", type=Path)


def _progress(table: str, n: int) -> None:
    say(f"  {table}: {n} rows")


def import_roads(conn: Connection, path: Path, *, crs: str | None = None,
                 layer: str | None = None) -> dict[str, int]:
    """Replace the road network with ``path``'s; raises ImportRejected and writes nothing."""
    territory, problems = read_roads(path, source_crs=crs, layer=layer)
    if problems:
        raise ImportRejected(problems, source=str(path))
    return load_territory(conn, territory, progress=_progress)


def import_areas(conn: Connection, files: dict[str, Path], *, crs: str | None = None,
                 district: tuple[str, str] = ("000000", "导入辖区"),
                 force: bool = False) -> dict[str, int]:
    """Replace the area hierarchy; validates topology first and writes all or nothing."""
    from geo.validate import validate_hierarchy

    territory, problems = read_areas(files, source_crs=crs, district=district)
    if not problems:
        problems = validate_hierarchy(territory)
    if not force:
        in_use = conn.scalar(text("SELECT (SELECT count(*) FROM units) + "
                                  "(SELECT count(*) FROM incidents)"))
        if in_use:
            problems.append(Problem(
                "in_use", f"数据库中已有 {in_use} 条力量或事件记录引用现有辖区；"
                "确需整体替换请加 --force（将一并清除这些记录）"))
    if problems:
        raise ImportRejected(problems, source=", ".join(str(p) for p in files.values()))
    return load_territory(conn, territory, progress=_progress)


ROSTER_FIELDS = ("name", "unit_type", "phone", "skills", "languages", "full_time", "level",
                 "street_id", "home_grid_id", "police_grid_id", "shift", "shift_start",
                 "shift_end", "capacity", "on_foot")


def import_units(conn: Connection, path: Path) -> dict[str, int]:
    """Add or update units by code from CSV/XLSX; live state (status, load, position) is kept.

    Codes resolve against the loaded territory; a unit with a home grid takes that grid's
    community and street. Units not in the file stay as they are (rosters arrive in parts).
    """
    import geopandas as gpd

    from dispatch.unit_import import read_units

    codes: dict[str, dict[str, int]] = {
        layer: {str(r[0]): int(r[1]) for r in conn.execute(text(f"SELECT code, id FROM {layer}"))}
        for layer in ("streets", "communities", "grids", "police_grids", "facilities")}
    frame = read_units(path, territory_codes=codes).reset_index(drop=True)
    frame["id"] = range(1, len(frame) + 1)  # placeholders; real ids are given below
    units = gpd.GeoDataFrame(frame, geometry="last_geom", crs=4326)
    conn.execute(text("CREATE TEMP TABLE units_in (LIKE units INCLUDING DEFAULTS) ON COMMIT DROP"))
    copy_frame(conn, "units", units, into="units_in")
    sets = ", ".join(f"{f} = EXCLUDED.{f}" for f in ROSTER_FIELDS)
    cols = ", ".join(("id", "code", *ROSTER_FIELDS))
    picked = ", ".join(f"i.{c}" for c in ("code", *ROSTER_FIELDS))
    result = conn.execute(text(
        f"INSERT INTO units ({cols}) "
        f"SELECT coalesce(u.id, (SELECT coalesce(max(id), 0) FROM units) "
        f"  + row_number() OVER (ORDER BY i.code)), {picked} "
        f"FROM units_in i LEFT JOIN units u ON u.code = i.code "
        f"ON CONFLICT (code) DO UPDATE SET {sets}, version = units.version + 1 "
        f"RETURNING (xmax = 0) AS inserted"))
    inserted = sum(1 for (new,) in result if new)
    conn.execute(text(
        "UPDATE units u SET community_id = g.community_id, street_id = c.street_id "
        "FROM units_in i, grids g JOIN communities c ON c.id = g.community_id "
        "WHERE u.code = i.code AND g.id = u.home_grid_id"))
    return {"units_added": inserted, "units_updated": len(frame) - inserted}


def run_import(url: str, args: argparse.Namespace) -> int:
    """The CLI face: one transaction, a report, and a clear refusal when a file is bad."""
    engine = db.make_engine(url)
    t0 = time.perf_counter()
    try:
        with engine.begin() as conn:
            if args.kind == "roads":
                counts = import_roads(conn, args.file, crs=args.crs, layer=args.layer)
            elif args.kind == "areas":
                files = {level: getattr(args, level) for level in
                         ("districts", "streets", "communities", "police_grids", "grids",
                          "micro_grids") if getattr(args, level, None)}
                if not files:
                    raise ImportRejected([Problem("missing_field", "至少需要一个图层文件，如 --streets")])
                counts = import_areas(conn, files, crs=args.crs, force=args.force,
                                      district=(args.district_code, args.district_name))
            else:
                counts = import_units(conn, args.file)
    finally:
        engine.dispose()
    say(f"imported in {time.perf_counter() - t0:.1f} s: "
        + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0
