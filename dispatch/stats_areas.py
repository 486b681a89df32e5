"""The areas behind the figures: a scope from an area id, and an area's name, breadcrumb, box
and outline (split from :mod:`dispatch.stats`, which re-exports both)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from dispatch.stats_scope import Scope

WHOLE = Scope()  # the whole territory
# Tables of the hierarchy and their parent column.
AREA_TABLES = {"street": ("streets", None), "community": ("communities", "street_id"),
               "grid": ("grids", "community_id")}


def resolve_scope(conn: Connection, level: str, area_id: int) -> Scope | None:
    """The full scope (with parents) of a street, community or grid id; None if there is none."""
    sql = {"street": "SELECT id, NULL, NULL FROM streets WHERE id = :x",
           "community": "SELECT street_id, id, NULL FROM communities WHERE id = :x",
           "grid": "SELECT c.street_id, g.community_id, g.id FROM grids g "
                   "JOIN communities c ON c.id = g.community_id WHERE g.id = :x"}
    if level not in sql:
        raise ValueError(f"unknown level {level!r}")
    row = conn.execute(text(sql[level]), {"x": int(area_id)}).first()
    return None if row is None else Scope(*(None if v is None else int(v) for v in row))


def area(conn: Connection, scope: Scope = WHOLE, *, shape: bool = False) -> dict[str, Any]:
    """Name, code and bounding box of the scope's area, the names of its parents (the breadcrumb),
    and with ``shape`` its simplified outline and a mask covering everything else (GeoJSON)."""
    chain: list[dict[str, Any]] = []
    for depth in range(1, scope.depth + 1):
        sub = scope.prefix(depth)
        table = AREA_TABLES[sub.level][0]
        row = conn.execute(text(f"SELECT name, code FROM {table} WHERE id = :x"),
                           {"x": sub.area_id}).one()
        chain.append({"level": sub.level, "id": sub.area_id, "name": row[0], "code": row[1],
                      "scope": sub.as_dict()})
    root = None  # a district reader's breadcrumb starts at its district, not 全辖区
    if scope.district is not None:
        root = conn.execute(text("SELECT name FROM districts WHERE id = :x"),
                            {"x": scope.district}).scalar()
    geom_sql = ("SELECT geom FROM districts WHERE id = :x" if scope.level == "district" else
                "SELECT ST_Union(geom) FROM districts" if scope.depth == 0 else
                f"SELECT geom FROM {AREA_TABLES[scope.level][0]} WHERE id = :x")
    extra = ("ST_AsGeoJSON(ST_SimplifyPreserveTopology(g, 0.00003), 6)::json, "
             "ST_AsGeoJSON(ST_Difference(ST_Expand(ST_Envelope(g), 1.0), g), 6)::json"
             if shape else "NULL, NULL")
    row = conn.execute(text(
        f"SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g), {extra} "
        f"FROM ({geom_sql}) s(g)"), {"x": scope.area_id}).one()
    return {**scope.as_dict(), "id": scope.area_id,
            "name": chain[-1]["name"] if chain else root or "全辖区", "root": root,
            "code": chain[-1]["code"] if chain else None, "chain": chain,
            "bbox": None if row[0] is None else [float(v) for v in row[:4]],
            "outline": row[4], "mask": row[5]}
