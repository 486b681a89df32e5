"""./run import: read, validate everything, then write all or nothing in one transaction."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from console.ops.import_audit import audited
from dispatch.adapters.roster_import import upsert_units
from geo import db
from geo.address_import import derive_network_roads
from geo.coords import CRS_NAMES
from geo.errors import ImportRejected, Problem
from geo.importer import read_areas
from geo.loader import load_territory
from geo.queries import AREA_CODE_LAYERS, area_codes, has_rows
from geo.road_import import read_roads


def say(msg: str) -> None:
    print(f"[import] {msg}", flush=True)


def add_import_parser(sub: Any) -> None:
    imp = sub.add_parser("import", help="import a real territory, roads or units")
    kinds = imp.add_subparsers(dest="kind", required=True)
    roads = kinds.add_parser("roads", help="road lines (GeoJSON, GeoPackage, Shapefile)")
    roads.add_argument("file", type=Path)
    roads.add_argument("--layer")
    roads.add_argument("--crs", choices=CRS_NAMES, default=None,
                       help="the coordinates are in this Chinese system (files cannot declare it)")
    areas = kinds.add_parser("areas", help="streets, communities, grids, micro-grids, police grids")
    for level in ("districts", "streets", "communities", "police-grids", "grids", "micro-grids"):
        areas.add_argument(f"--{level}", type=Path)
    areas.add_argument("--district-code", default="000000")
    areas.add_argument("--district-name", default="导入辖区")
    areas.add_argument("--crs", choices=CRS_NAMES, default=None)
    areas.add_argument("--force", action="store_true",
                       help="empty the territory first, deleting its cases, units, accounts, "
                            "addresses and facilities (default: keep them, re-located)")
    units = kinds.add_parser("units", help="units roster (CSV or XLSX)")
    units.add_argument("file", type=Path)
    for name, what in (("addresses", "the standard address library 标准地址库"),
                       ("facilities", "service points: 综治中心, 调解室, 警务室, 法官工作室 …")):
        kind = kinds.add_parser(name, help=f"{what} (CSV, XLSX, GeoJSON, GeoPackage)")
        kind.add_argument("file", type=Path)
        kind.add_argument("--crs", choices=CRS_NAMES, default=None,
                          help="the coordinates' system when the file has no 坐标系 column")
    for kind in kinds.choices.values():
        kind.add_argument("--dry-run", action="store_true",
                          help="validate only: report what would be imported, write nothing")


def _progress(table: str, n: int) -> None:
    say(f"  {table}: {n} rows")


def import_roads(conn: Connection, path: Path, *, crs: str | None = None,
                 layer: str | None = None, dry_run: bool = False) -> dict[str, int]:
    """Replace the road network with ``path``'s; raises ImportRejected and writes nothing.

    Named roads the address library lacks become the geocoder's road-level fallback."""
    territory, problems = read_roads(path, source_crs=crs, layer=layer)
    if problems:
        raise ImportRejected(problems, source=str(path))
    if dry_run:
        return territory.counts()
    counts = load_territory(conn, territory, progress=_progress)
    if has_rows(conn, "streets"):
        counts["network_roads"] = derive_network_roads(conn)
    return counts


def import_areas(conn: Connection, files: dict[str, Path], *, crs: str | None = None,
                 district: tuple[str, str] = ("000000", "导入辖区"),
                 force: bool = False, dry_run: bool = False, actor: str = "import"
                 ) -> dict[str, int]:
    """Replace the area hierarchy; validates topology first and writes all or nothing.

    Over existing areas the replacement keeps history (dispatch.adapters.area_replace): nothing but the
    old areas is deleted. ``force`` empties the territory instead, cases and units included."""
    from geo.validate import validate_hierarchy

    territory, problems = read_areas(files, source_crs=crs, district=district)
    if not problems:
        problems = validate_hierarchy(territory)
    if problems:
        raise ImportRejected(problems, source=", ".join(str(p) for p in files.values()))
    if dry_run:
        return territory.counts()
    if not force and has_rows(conn, "districts"):
        # areas in place: cases, units, accounts, addresses and facilities move to the new ones
        from dispatch.adapters.area_replace import replace_keeping_history

        report = replace_keeping_history(conn, territory, actor=actor)
        say(f"  re-located: {report['incidents']} cases ({report['incidents_outside']} now "
            f"outside), {report['units']} units; {report['chains_kept']} former chains kept")
        for what, moves in report["moved"].items():
            for move, n in sorted(moves.items()):
                say(f"    {what} {move}: {n}")
        return {**territory.counts(), "incidents_relocated": report["incidents"],
                "incidents_outside": report["incidents_outside"],
                "units_relocated": report["units"], "chains_kept": report["chains_kept"],
                "moved": report["moved"]}
    counts = load_territory(conn, territory, progress=_progress)
    if has_rows(conn, "road_edges"):
        counts["network_roads"] = derive_network_roads(conn)  # re-located in the new areas
    return counts


def import_addresses(conn: Connection, path: Path, *, crs: str | None = None,
                     dry_run: bool = False) -> dict[str, int]:
    """The centre's address library; see :func:`geo.address_import.import_addresses`."""
    from geo.address_import import import_addresses as load

    return load(conn, path, crs=crs, dry_run=dry_run, progress=_progress)


def import_facilities(conn: Connection, path: Path, *, crs: str | None = None,
                      dry_run: bool = False) -> dict[str, int]:
    """Service points added or updated by code; see :mod:`geo.facility_import`."""
    import numpy as np

    from geo.address_import import territory_locator
    from geo.facility_import import import_facilities as load

    locator = territory_locator(conn)

    def inside(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        return np.asarray(locator.cells(lon, lat, level=locator.finest) >= 0)

    return load(conn, path, crs=crs, inside=inside, dry_run=dry_run)


def roster_names(conn: Connection) -> dict[str, dict[str, int]]:
    """Per layer, code -> id and the name the UI shows -> id (AMBIGUOUS where names repeat);
    grids also under their community's name + their own (玉林社区第一网格)."""
    from dispatch.unit_import import AMBIGUOUS

    out: dict[str, dict[str, int]] = {}
    for layer in AREA_CODE_LAYERS:
        rows = area_codes(conn, layer)
        by_code = {str(r[0]): int(r[1]) for r in rows}
        names: dict[str, int] = {}
        for _code, fid, name, parent in rows:
            for key in (str(name), f"{parent}{name}" if parent else None):
                if key and key not in by_code:
                    names[key] = AMBIGUOUS if names.get(key, fid) != fid else int(str(fid))
        out[layer] = {**names, **by_code}
    return out


def import_units(conn: Connection, path: Path, *, dry_run: bool = False) -> dict[str, int]:
    """Add or update units by code from CSV/XLSX; live state (status, load, position) is kept.

    Codes resolve against the loaded territory; a unit with a home grid takes that grid's
    community and street. Units not in the file stay as they are (rosters arrive in parts).
    """
    import geopandas as gpd

    from dispatch.unit_import import read_units

    codes = roster_names(conn)
    frame = read_units(path, territory_codes=codes).reset_index(drop=True)
    if dry_run:
        return {"units": len(frame)}
    frame["id"] = range(1, len(frame) + 1)  # placeholders; real ids are given below
    inserted = upsert_units(conn, gpd.GeoDataFrame(frame, geometry="last_geom", crs=4326))
    return {"units_added": inserted, "units_updated": len(frame) - inserted}


def run_import(url: str, args: argparse.Namespace) -> int:
    """The CLI face: one transaction, a report, a clear refusal when a file is bad; audited."""
    import getpass

    engine = db.make_engine(url)
    actor = f"cli:{getpass.getuser()}"
    dry = bool(getattr(args, "dry_run", False))
    t0 = time.perf_counter()
    files: dict[str, Path] = {}
    if args.kind == "areas":
        files = {level: getattr(args, level) for level in
                 ("districts", "streets", "communities", "police_grids", "grids",
                  "micro_grids") if getattr(args, level, None)}
    else:
        files = {"file": args.file}

    def work(conn: Connection) -> dict[str, int]:
        if args.kind == "roads":
            return import_roads(conn, args.file, crs=args.crs, layer=args.layer, dry_run=dry)
        if args.kind == "areas":
            if not files:
                raise ImportRejected([Problem("missing_field", "至少需要一个图层文件，如 --streets")])
            return import_areas(conn, files, crs=args.crs, force=args.force, dry_run=dry,
                                actor=actor,
                                district=(args.district_code, args.district_name))
        if args.kind == "addresses":
            return import_addresses(conn, args.file, crs=args.crs, dry_run=dry)
        if args.kind == "facilities":
            return import_facilities(conn, args.file, crs=args.crs, dry_run=dry)
        return import_units(conn, args.file, dry_run=dry)

    try:
        counts = audited(engine, actor=actor, kind=args.kind,
                         files=list(files.values()), dry_run=dry, work=work)
    finally:
        engine.dispose()
    say(f"{'validated (dry run, nothing written)' if dry else 'imported'} in "
        f"{time.perf_counter() - t0:.1f} s: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0
