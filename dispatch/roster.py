"""The unit roster's shape: the columns a units frame carries, and each shift's hours."""

from __future__ import annotations

from datetime import time

UNIT_COLUMNS = (
    "id", "code", "name", "unit_type", "phone", "skills", "languages", "full_time", "level",
    "street_id", "community_id", "home_grid_id", "police_grid_id", "facility_id", "status",
    "capacity", "active_load", "on_foot", "shift", "shift_start", "shift_end", "last_geom",
    "last_seen_at", "version", "last_seq",
)
"""The ``units`` table's columns in load order: an imported roster and the demo's both make them."""
ROSTER_EXTRA = ("email",)
"""Columns an imported roster adds after those (migration 0018: a unit's e-mail for notices);
the demo's units leave them empty."""

# A shift whose end is not after its start runs past midnight; 24h hands over at 08:00.
SHIFT_TIMES: dict[str, tuple[time, time]] = {
    "day": (time(8, 30), time(17, 30)),
    "night": (time(17, 30), time(8, 30)),
    "24h": (time(8, 0), time(8, 0)),
    "on_call": (time(8, 0), time(22, 0)),
}
