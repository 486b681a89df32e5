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
from geo.loader import load_territory
from geo.road_import import read_roads
from geo.territory import Territory


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


def import_units(conn: Connection, path: Path) -> dict[str, int]:
    """Replace the units roster from CSV/XLSX, codes resolved against the loaded territory."""
    import geopandas as gpd
    from dispatch.unit_import import read_units

    codes: dict[str, dict[str, int]] = {
        layer: {str(c): int(i) for c, i in conn.execute(text(f"SELECT code, id FROM {layer}"))}
        for layer in ("streets", "communities", "grids", "police_grids", "facilities")}
    frame = read_units(path, territory_codes=codes)
    frame = frame.reset_index(drop=True)
    frame["id"] = range(1, len(frame) + 1)
    if "last_geom" not in frame:
        frame["last_geom"] = None
    units = gpd.GeoDataFrame(frame, geometry="last_geom", crs=4326)
    return load_territory(conn, Territory(frames={"units": units}), progress=_progress)


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
