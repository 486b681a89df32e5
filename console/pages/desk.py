"""The duty desk 值班台 (``/desk``, a wide screen): the case queue and unit board, the live map, and
a work column with the intake form and the open case.

Thin by design: the browser components write through the HTTP API (``fetch``) and the server
decides; the page only wires one session's :class:`console.desk.state.DeskState` to its views.
Shared rows come from the process's :class:`console.live.desk_hub.DeskHub` of the reader's
jurisdiction (console.live.desk_route: one per street, district or the whole territory, shared by
its open desks; one read per change for all of them), never from a per-session timer.
``/desk?case=<id>`` opens a case directly.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import panel as pn
import param
from bokeh.document import Document
from panel.io.document import unlocked
from panel.io.state import set_curdoc

from console.api.auth_scope import MaskMemo, case_for, check_incident, filter_snapshot
from console.api.desk import case_view
from console.bootstrap import App
from console.desk.state import DeskState
from console.desk.views import DeskBar, DeskCase, DeskIntake, DeskQueue, DeskTriage, DeskUnits
from console.live.desk_hub import DeskHub
from console.live.desk_moves import merge_deliveries
from console.live.desk_part import part_of
from console.live.desk_registry import hub_for
from console.live.desk_rehome import rehomed
from console.map import STATIC_URL, LeafletMap, basemap
from console.pages.desk_map import desk_layers
from console.pages.desk_triage import EMPTY_H, TriageFeed, decides
from console.pages.login import page_principal

BADGE = "示意：网格与微网格为示意数据"
LEFT_W, RIGHT_W, HEADER_H, UNITS_H = 470, 580, 62, 380
# A small desk screen (1366×768): the board folds to its head, the side columns narrow.
SMALL_H, SMALL_W, UNITS_FOLDED_H, LEFT_W_SMALL, RIGHT_W_SMALL = 900, 1500, 46, 450, 460
# the map's live layers are re-sent whole this often, a safety net only: after the full push on
# load, diffs on an open websocket are not lost (every 20 deliveries, as before, re-sent 3,100
# features to every desk every few seconds under the simulator: the desks' longest tasks)
RESYNC_S = 300.0
CLOCK_SLACK_MS = 500  # the server's clock is told to the browsers again when it moved this much
TRACED_STEPS = 16  # snapshot versions one delivery may carry that the hub's trace is told of


class DeskSession(pn.viewable.Viewer):
    """One browser's desk (a thin Viewer): its state, its views, its subscription to the hub."""

    def __init__(self, app: App, hub: DeskHub, *, api_base: str = "/api/v1",
                 static_url: str = STATIC_URL, center: tuple[float, float] = (45.60, 84.87),
                 zoom: int = 13) -> None:
        super().__init__()
        self.app, self.hub = app, hub
        self.state = DeskState()
        self.loaded = self.closed = False
        self.rehome_due = False  # the areas were replaced: read the jurisdiction again
        self.resync_at = 0.0  # monotonic time of the next full re-send of the live layers
        self._clock: tuple[int, float] | None = None  # (server_ms told, local ms then)
        self.doc: Document | None = None
        self.token: int | None = None
        self._inbox: list[tuple[DeskHub, dict[str, Any]]] = []  # (sender, delivery) to apply
        self._inbox_lock = threading.Lock()
        self._masks = MaskMemo()  # rows masked for this reader, kept while the hub's are
        prefix, base = static_url.rstrip("/"), api_base.rstrip("/")
        css = {"stylesheets": [f"{prefix}/desk.css"], "margin": 0}
        self.header = DeskBar(part="header", height=HEADER_H, sizing_mode="stretch_width", **css)
        self.tabs = DeskBar(part="tabs", height=44, sizing_mode="stretch_width", **css)
        self.intake = DeskIntake(api_base=base, sizing_mode="stretch_both", **css)
        self.queue = DeskQueue(sizing_mode="stretch_both", **css)
        self.units = DeskUnits(height=UNITS_H, sizing_mode="stretch_width",
                               stale_s=int(app.dispatch.policy().stale_position_s), **css)
        self.case = DeskCase(api_base=base, sizing_mode="stretch_both", visible=False, **css)
        self.map = LeafletMap(center=center, zoom=zoom, badge=BADGE, layers=desk_layers(base),
                              # fewer pixels per frame: units and cases change all the time
                              canvas_padding=0.15, point_padding=0.05,
                              static_url=prefix, margin=0, sizing_mode="stretch_both",
                              stylesheets=[f"{prefix}/desk_map.css"], **basemap(app.tiles, base))
        # 扫码说事: the reader's pending resident reports, pushed with the hub's snapshots
        self.principal = page_principal()
        self.triage = DeskTriage(api_base=base, height=EMPTY_H, sizing_mode="stretch_width",
                                 decides=decides(self.principal), **css)
        self.triage_feed = TriageFeed(self.triage, self.principal)
        self._left = pn.Column(self.triage, self.queue, self.units, width=LEFT_W,
                               sizing_mode="stretch_height", margin=0)
        self._right = pn.Column(self.tabs, self.intake, self.case, width=RIGHT_W,
                                sizing_mode="stretch_height", margin=0)
        # the logged-in officer (pages are served only after /login): rows and cases are cut
        # to their jurisdiction, and their name is the one the audit records
        self._wire()
        if self.principal is not None:
            self.header.actor = self.principal.name
        self.apply({"snapshot": hub.snapshot(), "events": []})

    def _wire(self) -> None:
        s = self.state
        # diffs (console.desk.rows); onlychanged=False: param would compare the lists row by row
        s.param.watch(lambda e: self.queue.update_rows(e.new), "queue", onlychanged=False)
        s.param.watch(lambda e: self.units.update_rows(e.new), "units", onlychanged=False)
        mirror = [("selected", self.queue, "selected"), ("case", self.case, "case"),
                  ("point", self.intake, "point"), ("point", self.triage, "point"),
                  ("workspace", self.tabs, "active")]
        for name, view, target in mirror:
            s.param.watch(partial(self._set, view, target), name)
        s.param.watch(self._server_ms, "server_ms")
        s.param.watch(self._actor, "actor")
        s.param.watch(self._workspace, "workspace")
        s.param.watch(self._selected, "selected")
        s.param.watch(self._case_label, "case")
        self.header.param.watch(lambda e: setattr(s, "actor", e.new), "actor")
        self.tabs.param.watch(self._tab, "active")
        self.map.param.watch(lambda e: s.on_click(e.new), "last_click")
        self.map.param.watch(self._map_listening, "listening")
        self.queue.handler = self._open_msg
        self.case.handler = self._case_msg
        self.intake.handler = self.triage.handler = self._intake_msg
        self.units.handler = self._unit_msg

    @staticmethod
    def _set(view: Any, target: str, event: param.parameterized.Event) -> None:
        setattr(view, target, event.new)

    def _server_ms(self, event: param.parameterized.Event) -> None:
        """The browsers tick countdowns from the server's clock: told again only when it moved
        against this process's own clock (three property changes per delivery otherwise)."""
        local = time.time() * 1000
        if self._clock is not None and abs(
                event.new - (self._clock[0] + local - self._clock[1])) < CLOCK_SLACK_MS:
            return
        self._clock = (event.new, local)
        for view in (self.queue, self.units, self.case):
            view.server_ms = event.new

    def _actor(self, event: param.parameterized.Event) -> None:
        for view in (self.header, self.intake, self.case):
            view.actor = event.new

    def _workspace(self, event: param.parameterized.Event) -> None:
        self.intake.visible = event.new == "intake"
        self.case.visible = event.new == "case"

    def _case_label(self, event: param.parameterized.Event) -> None:
        if event.new:
            self.tabs.case_label = str(event.new["code"])

    def _tab(self, event: param.parameterized.Event) -> None:
        if event.new == "case" and self.state.selected is None:
            self.tabs.active = "intake"
            return
        self.state.workspace = event.new

    def _selected(self, event: param.parameterized.Event) -> None:
        if event.new is None:
            self.tabs.case_label = ""
        else:
            self.load_case(fly=True)

    # ---- messages from the browser -----------------------------------------------------------
    def _open_msg(self, msg: dict[str, Any]) -> None:
        if msg.get("type") == "open":
            self.state.select(int(msg["id"]))

    def _case_msg(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind == "reload":
            self.load_case()
        elif kind == "close":
            self.state.select(None)
        else:
            self._open_msg(msg)

    def _intake_msg(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if kind == "fly":
            self.map.fly_to(float(msg["lon"]), float(msg["lat"]), label=str(msg.get("label", "")))
        elif kind == "pick":
            self.state.picking = True
        else:
            self._open_msg(msg)

    def _unit_msg(self, msg: dict[str, Any]) -> None:
        if msg.get("type") in ("screen", "fold"):
            self._layout(msg)
            return
        unit = next((u for u in self.state.units if u["id"] == msg.get("id")), None)
        if unit and unit.get("lon") is not None:
            self.map.fly_to(unit["lon"], unit["lat"], label=f"{unit['type_label']} {unit['name']}")

    # ---- the open case ------------------------------------------------------------------------
    def load_case(self, *, fly: bool = False) -> None:
        iid = self.state.selected
        if iid is None:
            return
        self.case.loading = True
        try:
            with self.app.engine.connect() as conn:
                view = case_view(conn, iid)
                if self.principal is not None:  # cut and masked as the API gives it
                    units = check_incident(conn, self.principal, iid)[1]
                    view = case_for(conn, self.principal, view, units)
        except Exception as exc:  # NotFound or the database: say so in the panel
            self.case.loading, self.case.error = False, f"案件 {iid} 加载失败：{exc}"
            return
        self.case.loading, self.case.error = False, ""
        self.state.show_case(view, policy=self.app.dispatch.policy(),
                             allowed=self.principal.actions if self.principal else None)
        if fly and view.get("lon") is not None:
            self.map.fly_to(view["lon"], view["lat"], label=str(view["code"]))

    # ---- the hub ------------------------------------------------------------------------------
    def attach(self) -> None:
        self.doc = pn.state.curdoc
        self.token = self.hub.subscribe(partial(self._deliver, self.hub))
        if self.doc is not None and self.doc.session_context is not None:
            self.doc.on_session_destroyed(self._destroyed)
            arg = (pn.state.session_args or {}).get("case")
            if arg:
                with contextlib.suppress(ValueError):
                    self.state.select(int(arg[0]))
        pn.state.onload(self._on_load)

    def _destroyed(self, _ctx: Any) -> None:
        self.closed = True
        if self.token is not None:
            self.hub.unsubscribe(self.token)  # the hub it is on now (it may have moved)

    def _deliver(self, hub: DeskHub, payload: dict[str, Any]) -> None:
        """On ``hub``'s thread: hand over to this session's own event loop. A delivery arriving
        while the last one still waits for that loop joins it (``merge_deliveries``): a busy
        session sends its browser one message where it would have sent several."""
        if self.closed or self.doc is None or hub is not self.hub:
            return
        with self._inbox_lock:
            if self._inbox and self._inbox[-1][0] is hub:
                try:
                    self._inbox[-1] = (hub, merge_deliveries(self._inbox[-1][1], payload))
                except ValueError:  # an error: kept in order
                    self._inbox.append((hub, payload))
                return
            self._inbox.append((hub, payload))
        self.doc.add_next_tick_callback(self._apply_inbox)

    def _apply_inbox(self) -> None:
        with self._inbox_lock:
            payloads, self._inbox = self._inbox, []
        if self.closed or self.doc is None:
            return
        # unlocked(): every change and message of this delivery goes out as one websocket
        # message (Bokeh's per-message cost, paid once instead of for each panel and layer)
        with self.hub.trace.spending(), set_curdoc(self.doc), unlocked():
            for hub, payload in payloads:
                if hub is self.hub:  # a hub this desk left (its areas were replaced): dropped
                    self.apply(payload)

    def _map_listening(self, _event: param.parameterized.Event) -> None:
        """A map view registered after the page loaded: the live layers pushed on load never
        reached it."""
        if self.loaded:
            self.push_map(full=True)

    def _on_load(self) -> None:
        self.loaded = True
        self.resync_at = time.monotonic() + RESYNC_S
        self.push_map(full=True)
        case = self.state.case  # opened by /desk?case=: its flight was sent before the browser
        if case and case.get("lon") is not None:
            self.map.fly_to(case["lon"], case["lat"], label=str(case["code"]))

    def apply(self, payload: dict[str, Any]) -> None:
        self.rehome_due = self.rehome_due or bool(payload.get("replaced"))
        if self.rehome_due:  # until it succeeds (a database error: at the next delivery)
            try:
                moved, self.rehome_due = self.rehome(), False
            except Exception as exc:
                self.header.live, self.header.live_detail = "error", \
                    f"辖区更新失败（{type(exc).__name__}），稍后自动重试"
                return
            if moved:
                return  # another hub's snapshot was applied: this one shows the old part
        if "error" in payload:
            self.header.live, self.header.live_detail = "error", payload["error"]
            return
        self.triage_feed.take(payload["snapshot"])
        moves = payload.get("moves")
        if moves is not None and moves["base"] == self.state.version:
            self.apply_moves(moves, payload["snapshot"])
            return
        snap = payload["snapshot"]
        if self.principal is not None:
            snap = filter_snapshot(self.principal, snap, memo=self._masks)
        shown = self.state.version
        if not self.state.apply_snapshot(snap, local_ms=time.time() * 1000):
            return
        if self.state.patched:
            self.units.patch(self.state.patched)
        self.header.live = "live"
        if self.loaded:
            full = time.monotonic() >= self.resync_at
            if full:
                self.resync_at = time.monotonic() + RESYNC_S
            self.push_map(full=full)
        # every traced version this one carries (a patch and the moves put on top of it)
        at = time.time() * 1000
        for v in range(max(shown + 1, self.state.version - TRACED_STEPS), self.state.version + 1):
            self.hub.trace.applied(v, at)
        if self.state.concerns_case(payload.get("events") or []):
            self.load_case()

    def rehome(self) -> bool:
        """The areas were replaced: take the account's jurisdiction as stored now and its part's
        hub (console.live.desk_rehome); True when the desk moved to another hub (shown now)."""
        principal, hub = rehomed(self.app, self.principal, self.hub)
        self.principal = self.triage_feed.principal = principal
        self.triage_feed.forget()
        if hub is self.hub:
            return False
        old, token, self.hub, self.state.version = self.hub, self.token, hub, 0  # its own count
        if token is not None:  # attached: follow the new hub's deliveries
            self.token = hub.subscribe(partial(self._deliver, hub))
            old.unsubscribe(token)
        self.apply({"snapshot": hub.snapshot(), "events": []})
        return True

    def apply_moves(self, moves: dict[str, Any], snap: dict[str, Any]) -> None:
        """Units moved (on top of the snapshot shown): a patch of those rows and markers only,
        whatever the size of the city. Units outside this desk's rows are not in its state,
        so its jurisdiction holds for the patch too."""
        version = int(snap["version"])
        rows, features = self.state.apply_moves(moves["units"], moves["features"],
                                                version=version, sent=self.loaded,
                                                sigs=snap.get("sigs"))
        if rows:
            self.units.patch(rows)
        if features and self.loaded:
            self.map.update_features("units", features)
        at = time.time() * 1000
        for v in moves.get("versions") or [version]:
            self.hub.trace.applied(int(v), at)

    def push_map(self, *, full: bool) -> None:
        for layer, (upserts, removed) in self.state.map_updates(full=full).items():
            if removed:
                self.map.remove_features(layer, removed)
            if upserts:
                self.map.update_features(layer, upserts)

    def _layout(self, msg: dict[str, Any]) -> None:
        """Fit a small duty screen (1366×768 is common): the unit board starts folded to its
        head where the queue would otherwise show fewer than eight rows, and the side columns
        narrow where the map would be squeezed; the officer may unfold the board."""
        if msg.get("type") == "screen":
            height, width = float(msg.get("height") or 0), float(msg.get("width") or 0)
            folded = 0 < height < SMALL_H
            if 0 < width < SMALL_W:
                self._left.width, self._right.width = LEFT_W_SMALL, RIGHT_W_SMALL
        else:
            folded = bool(msg.get("folded"))
        self.units.folded = folded
        self.units.height = UNITS_FOLDED_H if folded else UNITS_H

    def __panel__(self) -> pn.viewable.Viewable:
        left, right = self._left, self._right
        body = pn.Row(left, self.map, right, sizing_mode="stretch_both", margin=0)
        return pn.Column(self.header, body, sizing_mode="stretch_both", margin=0,
                         styles={"background": "#e9edf2"}, css_classes=["desk-page"])


def create_desk(app: App, hub: DeskHub, **kwargs: Any) -> pn.viewable.Viewable:
    """The desk for one browser session, subscribed to ``hub`` until the session ends."""
    session = DeskSession(app, hub, **kwargs)
    session.attach()
    page = session.__panel__()
    page._desk_session = session  # type: ignore[attr-defined]  # for tests and diagnostics
    return page


def desk_page(app: App, **kwargs: Any) -> Callable[[], pn.viewable.Viewable]:
    """The ``/desk`` route's page factory for ``console.server.pages``: each desk takes its
    jurisdiction's hub (the whole territory's, or its streets' own), the map opening on the
    territory."""
    from geo.queries import territory_bounds

    def page() -> pn.viewable.Viewable:
        hub = hub_for(app, part_of(page_principal()))
        if "center" not in kwargs:
            with app.engine.connect() as conn:
                bounds = territory_bounds(conn)
            if bounds is not None:
                span = max(bounds[2] - bounds[0], (bounds[3] - bounds[1]) * 1.4)
                kwargs["center"] = ((bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2)
                kwargs["zoom"] = 14 if span < 0.09 else 13 if span < 0.18 else 12
        return create_desk(app, hub, **kwargs)
    return page
