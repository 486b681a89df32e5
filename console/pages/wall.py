"""The map wall 大屏 (1920×1080, dark, large type): today's and rolling figures, the live map with
overdue heat by grid, the 30-day trend, the category mix and the ranking, with drill-down
street → community → grid by a click on the map, a ranking row or the breadcrumb.

Nothing personal is shown: areas by name, cases only by kind, state and a rounded point. The page
never polls the database itself: it subscribes to the process's :class:`StatsHub`, whose one
thread computes each scope once per interval and hands snapshots to the sessions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

import panel as pn
import param
from bokeh.document import Document
from panel.io.document import unlocked
from panel.io.state import set_curdoc

from console.api.stats import definitions
from console.bootstrap import App
from console.live.stats_hub import StatsHub, stats_hub
from console.map import IMPORTMAP, STATIC_DIR, STATIC_URL, FqComponent, LeafletMap, basemap
from console.pages.wall_period import WallPeriod
from dispatch import stats
from dispatch.stats import Scope
from layers.tiles import TileSettings
from layers.wall import (
    case_features,
    case_places,
    density_breaks,
    diff,
    drill,
    fit_view,
    focus_features,
    grid_features,
    wall_layers,
)

TITLE = "枫桥式矛盾纠纷调处指挥大屏"
BADGE = "示意：网格与微网格为示意数据"
TOP_H, LEFT_W, RIGHT_W = 288, 448, 470
MAP_PX = (1920 - LEFT_W - RIGHT_W, 1080 - TOP_H)  # the map's size on a 1920×1080 wall
LEGEND_PX = 225  # the map legend's width (bottom right), kept clear when fitting an area
RESYNC_S = 300.0  # the pushed layers are re-sent whole this often (a safety net: after the full
# push on load, diffs on an open websocket are not lost)


class WallBoard(FqComponent):
    """One part of the wall's panels ("top": header and the figures with their definitions;
    "left": trend and category mix; "right": ranking and the open cases that matter most), drawn
    in the browser from ``data``; clicks come back as drill requests."""

    part: param.Selector = param.Selector(default="top", objects=["top", "left", "right"])

    data = param.Dict(default={}, doc="This part's slice of the scope's snapshot.")

    definitions = param.List(default=[], doc="[{key, label, definition, short}] of the figures.")

    note = param.String(default="", doc="Small print under the legend.")

    interval_s = param.Number(default=5.0, doc="Refresh interval the header announces.")

    health_url = param.String(default="/api/v1/health", doc="Checked when updates stop.")

    _esm: ClassVar[Path] = STATIC_DIR / "wall_board.js"
    _importmap = IMPORTMAP

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.on_request: Any = None  # set per session by WallSession

    def _handle_msg(self, data: Any) -> None:
        if isinstance(data, dict) and self.on_request is not None:
            self.on_request(data)


def board_slices(board: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """What each part of the wall needs from a scope snapshot (less to send per update)."""
    scope = board["scope"]
    head = {k: scope.get(k) for k in ("level", "name", "code", "chain", "root")}
    return {
        "top": {"scope": head, "overview": board["overview"]},
        "left": {"scope": head, "trend": board["trend"], "categories": board["categories"],
                 "days": board["window_days"]},
        "right": {"scope": head, "ranking": board["ranking"], "cases": board["cases"],
                  "days": board["window_days"]},
    }


class WallSession:
    """One browser's wall: its scope, its map and panels, and what it has pushed to the map."""

    def __init__(self, hub: StatsHub, *, api_base: str = "/api/v1",
                 static_url: str = STATIC_URL, tiles: TileSettings | None = None,
                 floor: Scope | None = None, streets: frozenset[int] | None = None) -> None:
        self.hub = hub
        # the widest area this reader may see (a street dispatcher's street, a district): the
        # wall opens there, never drills above it, and its map holds only that area's grids
        # and cases; ``streets``: a district floor's streets
        self.floor = floor or Scope()
        self.streets = streets
        self.scope = self.floor
        self.focused: Scope | None = None
        self.loaded = False
        self.closed = False
        self.resync_at = 0.0  # monotonic time of the next full re-send (0: the next delivery)
        self.doc: Document | None = None
        self.token: int | None = None
        self.api_base = api_base
        # the chosen period (console.pages.wall_period): None live; the map's heat follows it
        self.period = WallPeriod(hub, self.floor, self._period_ready)
        self.map_period: str | None = None  # the period whose heat the map's grids show
        self.period_breaks: tuple[int, ...] = ()
        self.last: dict[str, Any] | None = None  # the last snapshot, laid under a new period
        prefix = static_url.rstrip("/")
        board = hub.board(self.scope)
        heat = self.heat()
        self.breaks = density_breaks(r["intake"] for r in heat["grids"])
        density, _ = grid_features(self.shapes(), heat["grids"], self.breaks)
        # the density layer loads by URL (same hub data, same breaks): its baseline is known
        self.sent: dict[str, dict[str, str]] = {
            "grids": diff({}, density)[2], "overdue": {}, "cases": {}, "focus": {}}
        self.heat_rows = heat["grids"]
        self.places = case_places(heat["cases"])
        center, zoom = fit_view(board["scope"]["bbox"] or (84.8, 45.55, 84.95, 45.65), *MAP_PX,
                                right_px=LEGEND_PX)
        self.map = LeafletMap(
            center=center, zoom=zoom, badge=BADGE, layers=wall_layers(self.breaks, api_base=api_base),
            static_url=prefix, margin=0, sizing_mode="stretch_both", canvas_padding=0.1,
            stylesheets=[f"{prefix}/wall_map.css"], css_classes=["wall-map"],
            **basemap(tiles, api_base))
        common = {"definitions": definitions(),
                  "note": stats.PERIOD_NOTE, "interval_s": hub.interval,
                  "health_url": f"{api_base.rstrip('/')}/health", "margin": 0,
                  "stylesheets": [f"{prefix}/wall.css"]}
        slices = board_slices(board)
        self.top = WallBoard(part="top", data=slices["top"], height=TOP_H,
                             sizing_mode="stretch_width", **common)
        self.left = WallBoard(part="left", data=slices["left"], width=LEFT_W,
                              sizing_mode="stretch_height", **common)
        self.right = WallBoard(part="right", data=slices["right"], width=RIGHT_W,
                               sizing_mode="stretch_height", **common)
        for part in (self.top, self.left, self.right):
            part.on_request = self.on_request
        self.map.param.watch(self.on_click, "last_click")
        self.map.param.watch(self._map_listening, "listening")

    # ---- the reader's area ---------------------------------------------------------------------
    def within(self, scope: Scope) -> bool:
        if self.streets is not None and scope.street is not None and scope.street not in self.streets:
            return False
        return scope.depth >= self.floor.depth and scope.prefix(self.floor.depth) == self.floor

    def shapes(self) -> list[dict[str, Any]]:
        shapes = self.hub.grid_shapes()
        if self.floor.depth == 0 and self.floor.district is None:
            return shapes
        return [f for f in shapes if self.within(Scope(
            f["properties"].get("street_id"), f["properties"].get("community_id"),
            int(f["id"]), district=self.floor.district))]

    def heat(self, heat: dict[str, Any] | None = None) -> dict[str, Any]:
        """The hub's territory-wide heat (or ``heat``) cut to this wall's floor."""
        heat = self.hub.heat() if heat is None else heat
        if self.floor.depth == 0 and self.floor.district is None:
            return heat
        keep = {int(f["id"]) for f in self.shapes()}
        return {**heat, "grids": [r for r in heat["grids"] if int(r["id"]) in keep],
                "cases": [c for c in heat["cases"] if c.get("grid_id") in keep]}

    # ---- wiring to the session and the hub ----------------------------------------------------
    def attach(self) -> None:
        """Subscribe to the hub for the life of the current Bokeh session."""
        self.doc = pn.state.curdoc
        self.token = self.hub.subscribe(self.scope, self._deliver)
        if self.doc is not None and self.doc.session_context is not None:
            self.doc.on_session_destroyed(self._destroyed)
        pn.state.onload(self._on_load)

    def _destroyed(self, _ctx: Any) -> None:
        self.closed = True
        if self.token is not None:
            self.hub.unsubscribe(self.token)

    def _deliver(self, payload: dict[str, Any]) -> None:
        """Called on the hub's thread: hand over to this session's own event-loop tick."""
        if self.closed or self.doc is None:
            return
        self.doc.add_next_tick_callback(partial(self._apply_locked, payload))

    def _apply_locked(self, payload: dict[str, Any]) -> None:
        if self.closed:
            return
        if self.doc is None:
            self.apply(payload)
            return
        with set_curdoc(self.doc), unlocked():  # one websocket message for the whole update
            self.apply(payload)

    def _map_listening(self, _event: param.parameterized.Event) -> None:
        """A map view registered after the page loaded: send the pushed layers whole again."""
        if self.loaded:
            self._on_load()

    def _on_load(self) -> None:
        self.loaded = True
        self.resync_at = 0.0  # the next delivery re-sends every pushed layer in full
        self.hub.rescope(self.token or 0, self.scope)  # wakes the hub: a delivery comes now

    # ---- updates ------------------------------------------------------------------------------
    def apply(self, payload: dict[str, Any]) -> None:
        """Show a hub snapshot: panels if they changed, map layers as diffs."""
        if "error" in payload:
            self.top.data = {**self.top.data, "error": payload["error"]}
            return
        if payload.get("early"):  # a change's case points, ahead of the figures
            if self.loaded:
                self.push_heat(self.heat(payload["heat"]), full=False)
            return
        board = payload["board"]
        if (board["scope"]["street"], board["scope"]["community"], board["scope"]["grid"],
                board["scope"].get("district")) != (self.scope.street, self.scope.community,
                                                    self.scope.grid, self.scope.district):
            return  # computed for a scope this wall has left
        self.last = payload
        self.period.follow(self.scope)
        for name, value in self.period.overlay(board_slices(board), board).items():
            part = getattr(self, name)
            if part.data != value:
                part.data = value
        if not self.loaded:
            return
        swapped = self.sync_period_map(payload["heat"])
        full = swapped or time.monotonic() >= self.resync_at
        if full:
            self.resync_at = time.monotonic() + RESYNC_S
        self.push_heat(self.heat(payload["heat"]), full=full)
        self.push_focus(payload["shape"], full=full)

    def push_heat(self, heat: dict[str, Any], *, full: bool) -> None:
        rows = heat["grids"]
        density, overdue = grid_features(self.shapes(), rows, self.breaks)
        layers: dict[str, dict[str, dict[str, Any]]] = {
            "overdue": overdue, "cases": case_features(heat["cases"])}
        if self.map_period is None and (full or rows != self.heat_rows):
            layers["grids"] = density  # a chosen period's heat is not replaced by live rows
        self.heat_rows = rows
        self.places = case_places(heat["cases"])
        for name, current in layers.items():
            self._push(name, current, full=full and name != "grids")

    def push_focus(self, shape: dict[str, Any], *, full: bool) -> None:
        scope_of = Scope(shape.get("street"), shape.get("community"), shape.get("grid"),
                         district=shape.get("district"))
        if scope_of != self.scope:
            return
        if scope_of != self.focused:
            self.focused = scope_of
            (lat, lon), zoom = fit_view(shape["bbox"], *MAP_PX, right_px=LEGEND_PX)
            # one flyTo, not center then zoom: Leaflet would zoom about a half-panned centre.
            # (Its centre pin is hidden by wall_map.css.)
            self.map.fly_to(lon, lat, zoom=zoom)
            full = True
        self._push("focus", {f["id"]: f for f in focus_features(shape)}, full=full)

    def _push(self, layer: str, current: dict[str, dict[str, Any]], *, full: bool) -> None:
        sent = self.sent[layer]
        upserts, removed, sigs = diff({} if full else sent, current)
        removed = [k for k in sent if k not in current]
        if removed:
            self.map.remove_features(layer, removed)
        if upserts:
            self.map.update_features(layer, upserts)
        self.sent[layer] = sigs

    # ---- the chosen period -----------------------------------------------------------------
    def _period_ready(self) -> None:
        """From the period's worker thread: show it on this session's own tick."""
        if self.closed or self.last is None:
            return
        if self.doc is None:
            self.apply(self.last)
        else:
            self.doc.add_next_tick_callback(partial(self._apply_locked, self.last))

    def sync_period_map(self, heat: dict[str, Any]) -> bool:
        """The grids' heat of the chosen period (or live again): the layers are rebuilt with the
        period's classes when the period changes, and every pushed layer is then sent whole
        (returns True). Diffs of a period read again follow."""
        rows = self.period.grid_rows()
        label = None if rows is None or self.period.period is None else self.period.period.label()
        swap = label != self.map_period
        if swap:
            self.map_period = label
            if label is None:
                self.map.layers = wall_layers(self.breaks, api_base=self.api_base)
                density, _ = grid_features(self.shapes(), self.heat(heat)["grids"], self.breaks)
                self.sent = {"grids": diff({}, density)[2], "overdue": {}, "cases": {}, "focus": {}}
                self.heat_rows = []
            else:
                self.period_breaks = density_breaks(r["intake"] for r in rows or [])
                self.map.layers = wall_layers(self.period_breaks, api_base=self.api_base,
                                              period=label)
                self.sent = {"grids": {}, "overdue": {}, "cases": {}, "focus": {}}
        if label is not None:
            density, _ = grid_features(self.shapes(), rows or [], self.period_breaks)
            self._push("grids", density, full=swap)
        return swap

    # ---- drill-down ---------------------------------------------------------------------------
    def set_scope(self, scope: Scope) -> None:
        if scope == self.scope or not self.within(scope):
            return
        self.scope = scope
        if self.token is not None:
            self.hub.rescope(self.token, scope)

    def on_click(self, event: param.parameterized.Event) -> None:
        click = event.new or {}
        # the map's areas carry no district: drill as below the city, then put it back
        target = drill(replace(self.scope, district=None), click.get("hits") or [], self.places)
        if target is not None:
            self.set_scope(replace(target, district=self.floor.district))

    def on_request(self, msg: dict[str, Any]) -> None:
        """From the panels: {"type": "drill", "level", "id"} (a ranking row) or
        {"type": "up", "depth"} (the breadcrumb)."""
        kind = msg.get("type")
        if kind == "period":  # {"type": "period", "from", "to"}; neither: back to live
            self.period.choose(msg, self.scope)
            if self.last is not None:
                self.apply(self.last)
            return
        try:
            if kind == "up":
                depth = int(msg.get("depth", 0))
                if 0 <= depth < self.scope.depth:
                    self.set_scope(self.scope.prefix(depth))
            elif kind == "drill" and msg.get("level") == stats.CHILD.get(self.scope.level):
                self.set_scope(replace(self.scope, **{str(msg["level"]): int(msg["id"])}))
        except (TypeError, ValueError, KeyError):
            return

    def view(self) -> pn.viewable.Viewable:
        body = pn.Row(self.left, self.map, self.right, sizing_mode="stretch_both", margin=0)
        return pn.Column(self.top, body, sizing_mode="stretch_both", margin=0,
                         styles={"background": "#040b16"}, css_classes=["wall-page"])


def create_wall(hub: StatsHub, *, api_base: str = "/api/v1", static_url: str = STATIC_URL,
                tiles: TileSettings | None = None, floor: Scope | None = None,
                streets: frozenset[int] | None = None) -> pn.viewable.Viewable:
    """The wall for one browser session, subscribed to ``hub`` until the session ends."""
    session = WallSession(hub, api_base=api_base, static_url=static_url, tiles=tiles,
                          floor=floor, streets=streets)
    session.attach()
    page = session.view()
    page._wall_session = session  # type: ignore[attr-defined]  # for tests and diagnostics
    return page


def wall_page(app: App) -> Callable[[], pn.viewable.Viewable]:
    """The ``/wall`` route's page factory for ``console.server.pages``: one hub per process."""
    from console.pages.login import page_principal
    from console.pages.plain import logout_pane
    from dispatch.access import area_floor, scope_of

    hub = stats_hub(app)

    def page() -> pn.viewable.Viewable:
        who = page_principal()
        area = area_floor(who) if who is not None else {}
        if "district_id" in area and who is not None:  # a district's wall: its streets
            streets = frozenset(scope_of(who).streets or ())
            if not streets:
                return pn.pane.Markdown("您的辖区（区县）下没有街道，大屏无可显示的数据。")
            return create_wall(hub, tiles=app.tiles, floor=Scope(district=area["district_id"]),
                               streets=streets)
        floor = Scope(area.get("street_id"), area.get("community_id"), area.get("grid_id"))
        wall = create_wall(hub, tiles=app.tiles, floor=floor)
        wall.append(logout_pane(corner="bottom"))  # type: ignore[attr-defined]
        return wall
    return page
