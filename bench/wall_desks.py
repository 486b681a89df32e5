"""Who sits at bench_wall's desks: administrators (the territory's one hub) or street desks
(街道调度员 and street duty officers, real accounts scoped to their street, spread over the
city's streets: each street's desks share that street's part hub, console.live.desk_route).

A street desk sees only its street's cases and units, so each case is POSTed at a point inside
one of the desks' streets and timed on the desks of that street; each unit moved is one of a
desk street's own units and timed on that street's desks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text

Spot = tuple[int, float, float]  # a unit id (or 0) and a point


@dataclass
class Desk:
    """One desk to open: its session token, and its street (None: an administrator's)."""

    token: str
    street: int | None = None
    role: str = "admin"


@dataclass
class Seating:
    """The desks, and per desk street the points where its cases go and the units it shows."""

    desks: list[Desk]
    points: dict[int, list[Spot]] = field(default_factory=dict)
    units: dict[int, list[Spot]] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "street desks" if any(d.street is not None for d in self.desks) else \
            "administrator desks"

    def watchers(self, street: int | None) -> list[int]:
        """The desks (indices) that show a case or unit of ``street`` (every one for admins)."""
        return [i for i, d in enumerate(self.desks) if d.street is None or d.street == street]

    def cases(self, n: int, everywhere: list[Spot], seed: int = 13
              ) -> list[tuple[list[int], float, float]]:
        """``n`` case points, each with the desks that must show it (streets taken in turn)."""
        rnd = random.Random(seed)
        streets = sorted(self.points)
        out = []
        for k in range(n):
            if streets:
                s = streets[k % len(streets)]
                _, lon, lat = rnd.choice(self.points[s])
                out.append((self.watchers(s), lon, lat))
            else:
                _, lon, lat = rnd.choice(everywhere)
                out.append((self.watchers(None), lon, lat))
        return out

    def moves(self, n: int, everywhere: list[Spot], seed: int = 3
              ) -> list[tuple[Spot, list[int]]]:
        """``n`` units to move, each with the desks that show it (streets taken in turn)."""
        rnd = random.Random(seed)
        streets = sorted(s for s in self.units if self.units[s])
        if not streets:
            picked = rnd.sample(everywhere, min(len(everywhere), n))
            return [(u, self.watchers(None)) for u in picked]
        pools = {s: rnd.sample(self.units[s], len(self.units[s])) for s in streets}
        out = []
        for k in range(n):
            s = streets[k % len(streets)]
            pool = pools[s]
            out.append((pool[(k // len(streets)) % len(pool)], self.watchers(s)))
        return out


def admin_desks(token: str, n: int, conn: Any = None, run: str = "") -> Seating:
    """``n`` desks of the bench's own whole-territory account (the territory's hub: the demo's
    duty officer, who reads the parties), or with ``conn`` of ``n`` administrator accounts made
    here (the same hub; their rows and markers masked, console.api.auth_scope)."""
    if conn is None:
        return Seating([Desk(token) for _ in range(n)])
    from dispatch.adapters.accounts import create_account, open_session

    desks = []
    for i in range(n):
        account = create_account(conn, username=f"bench-{run}-admin-{i}", password="bench12345",
                                 role="admin", actor="bench")
        desks.append(Desk(open_session(conn, account, token=f"bench-{run}-admin-{i}")[0]))
    return Seating(desks)


def street_desks(conn: Any, n: int, streets: int, run: str) -> Seating:
    """``n`` desks over ``streets`` of the territory's streets (those with the most positioned
    units first), a dispatcher and a duty officer in turn, each its own account and session."""
    from dispatch.adapters.accounts import create_account, open_session

    chosen = [int(r[0]) for r in conn.execute(text(
        "SELECT street_id FROM units WHERE street_id IS NOT NULL AND last_geom IS NOT NULL "
        "GROUP BY street_id ORDER BY count(*) DESC, street_id LIMIT :n"), {"n": streets})]
    desks = []
    for i in range(n):
        street = chosen[i % len(chosen)]
        role = "dispatcher" if i % 2 == 0 else "duty"
        account = create_account(conn, username=f"bench-{run}-{i}", password="bench12345",
                                 role=role, street_id=street, actor="bench")
        token, _ = open_session(conn, account, token=f"bench-{run}-desk-{i}")
        desks.append(Desk(token, street, role))
    points: dict[int, list[Spot]] = {}
    for s, lon, lat in conn.execute(text(
            "SELECT s.id, ST_X(p), ST_Y(p) FROM streets s, micro_grids m, "
            "LATERAL ST_PointOnSurface(m.geom) AS p WHERE s.id = ANY(:ids) "
            "AND ST_Contains(s.geom, p)"), {"ids": chosen}):
        points.setdefault(int(s), []).append((0, float(lon), float(lat)))
    units: dict[int, list[Spot]] = {}
    for uid, s, lon, lat in conn.execute(text(
            "SELECT id, street_id, ST_X(last_geom), ST_Y(last_geom) FROM units WHERE "
            "street_id = ANY(:ids) AND last_geom IS NOT NULL ORDER BY id"), {"ids": chosen}):
        units.setdefault(int(s), []).append((int(uid), float(lon), float(lat)))
    return Seating(desks, points, units)
