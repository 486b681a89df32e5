"""The area a figure is cut to: the whole territory, a district, a street, a community or a grid."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Scope:
    """An area of the territory: the whole of it, a street, a community or a grid, with its parents.

    ``district`` is set for a district's reader (区县): alone it is the district (its streets),
    and it stays on the scopes drilled below it, so their breadcrumb climbs back to it.
    """

    street: int | None = None
    community: int | None = None
    grid: int | None = None
    district: int | None = None

    def __post_init__(self) -> None:
        if (self.community is not None and self.street is None) or (
                self.grid is not None and self.community is None):
            raise ValueError("a scope names its parents: street, then community, then grid")

    @property
    def depth(self) -> int:
        """0 the whole territory, 1 a street, 2 a community, 3 a grid."""
        return sum(x is not None for x in (self.street, self.community, self.grid))

    @property
    def level(self) -> str:
        if self.depth == 0 and self.district is not None:
            return "district"
        return ("all", "street", "community", "grid")[self.depth]

    @property
    def area_id(self) -> int | None:
        return (self.district, self.street, self.community, self.grid)[self.depth]

    def prefix(self, depth: int) -> Scope:
        """This scope cut to ``depth`` levels (its district kept)."""
        ids = [self.street, self.community, self.grid][:depth] + [None] * 3
        return Scope(ids[0], ids[1], ids[2], district=self.district)

    def where(self, alias: str = "i") -> tuple[str, dict[str, Any]]:
        """SQL condition restricting incidents (``alias``) to this area, and its parameters."""
        if self.level == "district":  # its streets as one array, computed once: an index on
            # street_id then serves ``= ANY`` directly (``IN (SELECT …)`` became a hash join
            # over every open case of the territory at province scale)
            return (f"{alias}.street_id = ANY(ARRAY(SELECT id FROM streets "
                    "WHERE district_id = :area_id))", {"area_id": self.district})
        if self.depth == 0:
            return "TRUE", {}
        col = f"{alias}.{self.level}_id"
        return f"{col} = :area_id", {"area_id": self.area_id}

    def as_dict(self) -> dict[str, Any]:
        out = {"level": self.level, "street": self.street, "community": self.community,
               "grid": self.grid}
        return out if self.district is None else {**out, "district": self.district}
