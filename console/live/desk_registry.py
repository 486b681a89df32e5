"""The process's desk hubs per app: the whole territory's one and the jurisdictions' part hubs
(console.live.desk_route.DeskHubs), and which one a desk of a part shares."""

from __future__ import annotations

import threading
from typing import cast

from console.bootstrap import App
from console.live.desk_hub import DeskHub
from console.live.desk_patch import Part
from console.live.desk_route import DeskHubs
from console.live.hub_base import per_app
from geo.db import libpq_url

__all__ = ["desk_hub", "hub_for", "part_hubs"]

_HUBS: dict[int, tuple[App, DeskHub]] = {}
_HUBS_LOCK = threading.Lock()
_PART_HUBS: dict[int, tuple[App, DeskHubs]] = {}
_PART_HUBS_LOCK = threading.Lock()


def desk_hub(app: App) -> DeskHub:
    """The process's whole-territory desk hub for ``app``, made on first use (never at
    import)."""
    return per_app(_HUBS, _HUBS_LOCK, app,
                   lambda a: DeskHub(a, conninfo=libpq_url(a.engine)))


def part_hubs(app: App) -> DeskHubs:
    """The process's jurisdiction hubs for ``app`` (console.live.desk_route)."""
    def make(a: App) -> DeskHubs:
        hubs: DeskHubs = DeskHubs(lambda part: DeskHub(a, conninfo=libpq_url(a.engine),
                                                      part=part, hubs=hubs))
        return hubs
    return per_app(_PART_HUBS, _PART_HUBS_LOCK, app, make)


def hub_for(app: App, part: Part | None) -> DeskHub:
    """The hub a desk of ``part`` (console.live.desk_part.part_of) shares: the territory's
    for None, else the part's own, made if no desk of it is open."""
    return desk_hub(app) if part is None else cast(DeskHub, part_hubs(app).hub(part))
