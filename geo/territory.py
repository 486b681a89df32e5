"""A territory in memory: one (Geo)DataFrame per table, the shape both generator and import make."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

# Load order respects foreign keys; each frame's columns are its table's columns
# (see geo/schema.py and dispatch/adapters/orm.py), geometry column "geom" in EPSG:4326.
TABLE_ORDER = (
    "districts", "streets", "communities", "police_grids", "grids", "micro_grids",
    "facilities", "road_nodes", "road_edges", "addr_roads", "door_ranges", "compounds",
    "buildings", "places", "addresses", "units", "incidents", "incident_flow", "assignments",
    "incident_closures", "followups", "incident_timers", "mediation_steps", "mediation_sessions",
    "agreements", "case_extensions", "audit_log",
)


@dataclass
class Territory:
    """Frames keyed by table name; missing tables are simply absent."""

    frames: dict[str, gpd.GeoDataFrame | pd.DataFrame] = field(default_factory=dict)
    name: str = ""
    illustrative: bool = False

    def __getitem__(self, table: str) -> gpd.GeoDataFrame | pd.DataFrame:
        return self.frames[table]

    def __contains__(self, table: str) -> bool:
        return table in self.frames

    def counts(self) -> dict[str, int]:
        return {t: len(self.frames[t]) for t in TABLE_ORDER if t in self.frames}
