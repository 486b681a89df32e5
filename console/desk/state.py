"""The duty desk's state 值班台 (no Panel): queue and unit-board rows, deadline marks, the actions a
case allows, map features with their diffs, and one browser session's selection.

Rows are computed once per change by the process's desk hub (``console.api.desk``) and shared by
every session; each :class:`DeskState` only keeps what its own browser shows. The browser ticks the
countdowns from the marks given here (``due_ms``, ``warn_ms``), so a second passing costs the
server nothing. The server decides every write: actions listed here only choose which buttons to
show.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

import param

from dispatch import clocks, lifecycle, vocab
from dispatch.policy import LEVEL_LABELS, RISK_LABELS, Policy
from layers.registry import INCIDENT_PRIORITY_COLOURS, UNIT_STATUS_COLOURS
from layers.wall import diff, signature

PHASES = ("overdue", "warn", "ok")  # most urgent first
STATUS_ORDER = ("on_scene", "en_route", "assigned", "available", "off_duty")


def epoch_ms(value: Any) -> int | None:
    """Milliseconds since the epoch from a datetime or an ISO string (None stays None)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError(f"not a time: {value!r}")
    return int(value.timestamp() * 1000)


# ---- deadline marks ---------------------------------------------------------------------------

def limit_s(kind: str, *, priority: int, difficulty: str, policy: Policy) -> float:
    """How long a clock of ``kind`` runs for a case of this priority and difficulty."""
    if kind == "sign":
        return policy.sign_seconds(priority)
    if kind == "close":
        return policy.close_seconds(difficulty)
    return 86_400.0 * policy.followup_days


def mark(kind: str, due: Any, *, priority: int, difficulty: str, policy: Policy
         ) -> dict[str, Any] | None:
    """One countdown: when it is due and when it turns to warning (``warn_share`` of the time
    gone, as the scheduler's warn stage)."""
    due_ms = epoch_ms(due)
    if due_ms is None:
        return None
    span = limit_s(kind, priority=priority, difficulty=difficulty, policy=policy)
    return {"kind": kind, "label": clocks.KIND_LABEL[kind], "due_ms": due_ms,
            "warn_ms": due_ms - round(span * (1 - policy.warn_share) * 1000)}


def live_marks(row: Mapping[str, Any], *, policy: Policy) -> list[dict[str, Any]]:
    """The clocks that still matter in the case's state, sign-for before closure."""
    dues = {"sign": row.get("sign_deadline"), "close": row.get("close_deadline"),
            "followup": row.get("followup_due")}
    out = []
    for kind in ("sign", "close", "followup"):
        if row["state"] in clocks.LIVE_STATES[kind]:
            m = mark(kind, dues[kind], priority=int(row["priority"]),
                     difficulty=str(row.get("difficulty") or "normal"), policy=policy)
            if m is not None:
                out.append(m)
    return out


def phase(m: Mapping[str, Any], now_ms: int) -> str:
    """``overdue`` at or past the deadline, ``warn`` from the warning mark, else ``ok``."""
    if now_ms >= m["due_ms"]:
        return "overdue"
    return "warn" if now_ms >= m["warn_ms"] else "ok"


def urgency_key(row: Mapping[str, Any], now_ms: int) -> tuple[Any, ...]:
    """Overdue first, then warning; then priority, risk, supervision, and the nearest deadline."""
    marks = row.get("clocks") or []
    worst = min((PHASES.index(phase(m, now_ms)) for m in marks), default=len(PHASES))
    nearest = min((m["due_ms"] for m in marks), default=2**62)
    return (worst, int(row["priority"]), -int(row.get("risk_level") or 0),
            0 if row.get("supervision") else 1, nearest, int(row["id"]))


# ---- rows ---------------------------------------------------------------------------------------

def queue_rows(incidents: Iterable[Mapping[str, Any]], *, policy: Policy, now_ms: int
               ) -> list[dict[str, Any]]:
    """Queue rows sorted by urgency at ``now_ms``: open cases, then resolved ones awaiting 回访."""
    rows = []
    for r in incidents:
        state = str(r["state"])
        place = [n for n in (r.get("community_name"), r.get("grid_name")) if n]
        rows.append({
            "id": int(r["id"]), "code": r["code"], "title": r.get("title") or "",
            "category": r["category"], "category_label": vocab.CATEGORIES.get(r["category"],
                                                                              r["category"]),
            "state": state, "state_label": vocab.INCIDENT_STATES.get(state, state),
            "priority": int(r["priority"]),
            "priority_label": vocab.PRIORITIES.get(int(r["priority"]), ""),
            "risk_level": int(r.get("risk_level") or 0),
            "risk_label": RISK_LABELS.get(int(r.get("risk_level") or 0), ""),
            "level": r.get("level") or "community",
            "level_label": LEVEL_LABELS.get(str(r.get("level") or "community"), ""),
            "place": " › ".join(place), "street": r.get("street_name") or "",
            "address": r.get("address") or "",
            "units": list(r.get("units") or []), "supervision": r.get("supervision"),
            "escalations": int(r.get("escalations") or 0),
            "group": "open" if state in vocab.OPEN_STATES else "followup",
            "waiting": lifecycle.waiting_for(state),
            "reported_ms": epoch_ms(r.get("reported_at")),
            "clocks": live_marks(r, policy=policy),
            "lon": r.get("lon"), "lat": r.get("lat"),
        })
    rows.sort(key=lambda row: urgency_key(row, now_ms))
    return rows


def unit_rows(units: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Unit-board rows: busiest states first, then by code; position age is the browser's."""
    rows = [{
        "id": int(u["id"]), "code": u.get("code") or "", "name": u.get("name") or "",
        "type": u["type"], "type_label": vocab.UNIT_TYPES.get(u["type"], u["type"]),
        "status": u["status"], "status_label": vocab.UNIT_STATUSES.get(u["status"], u["status"]),
        "load": int(u.get("active_assignments") or 0), "capacity": int(u.get("capacity") or 1),
        "position_ms": epoch_ms(u.get("position_at")), "place": u.get("place") or "",
        "cases": list(u.get("cases") or []), "lon": _deg(u.get("lon")),
        "lat": _deg(u.get("lat")),
    } for u in units]
    order = {s: i for i, s in enumerate(STATUS_ORDER)}
    rows.sort(key=lambda r: (order.get(r["status"], 9), r["code"], r["id"]))
    return rows


def _deg(value: Any) -> float | None:
    """Degrees to 7 decimals (1 cm), as ``unit_moved`` events carry them: a row read from the
    table then equals the same row patched by the move, and nothing is sent twice."""
    return None if value is None else round(float(value), 7)


# ---- map features -------------------------------------------------------------------------------

def _point(fid: int, lon: Any, lat: Any, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "id": str(fid), "properties": {"id": fid, **props},
            "geometry": {"type": "Point", "coordinates": [round(float(lon), 6),
                                                          round(float(lat), 6)]}}


def case_features(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Open cases with a point, coloured by priority (``layers.registry``)."""
    return {str(r["id"]): _point(r["id"], r["lon"], r["lat"], {
        "code": r["code"], "name": f"{r['code']} {r['category_label']}",
        "priority": r["priority"], "state": r["state"],
        "colour": INCIDENT_PRIORITY_COLOURS.get(str(r["priority"]), "#7f8c8d"),
        "address": r["address"] or r["place"]})
        for r in rows if r["group"] == "open" and r.get("lon") is not None}


def unit_features(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Units with a position, coloured by status."""
    return {str(r["id"]): _point(r["id"], r["lon"], r["lat"], {
        "code": r["code"], "name": f"{r['type_label']} {r['name']}", "status": r["status"],
        "colour": UNIT_STATUS_COLOURS.get(r["status"], "#555555")})
        for r in rows if r.get("lon") is not None}


# ---- one session's state -----------------------------------------------------------------------

class DeskState(param.Parameterized):
    """What one duty officer's browser shows; shared rows arrive with :meth:`apply_snapshot`."""

    actor = param.String(default="值班员", doc="Who the desk's writes are audited under.")

    queue = param.List(default=[], doc="Queue rows, most urgent first (queue_rows).")

    units = param.List(default=[], doc="Unit-board rows (unit_rows).")

    server_ms = param.Integer(default=0, doc="The server's clock when the rows were computed.")

    version = param.Integer(default=0, doc="The hub snapshot shown.")

    workspace: param.Selector = param.Selector(default="intake", objects=["intake", "case"], doc="""
        What the work column shows: the intake form or the selected case.""")

    selected = param.Integer(default=None, allow_None=True, doc="The open case's id.")

    case = param.Dict(default=None, allow_None=True, doc="The open case (case_display).")

    picking = param.Boolean(default=False, doc="The next map click sets the intake point.")

    point = param.Dict(default=None, allow_None=True, doc="""
        The intake point chosen on the map: {"lon", "lat", "crs": "wgs84", "source": "map"}.""")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.sent: dict[str, dict[str, str]] = {"incidents": {}, "units": {}}
        self.features: dict[str, dict[str, dict[str, Any]]] = {"incidents": {}, "units": {}}
        self._unit_at: dict[int, int] = {}  # unit id -> its index in ``units`` (built lazily)
        self.sigs: Mapping[str, Mapping[str, str]] = {}  # the hub's feature signatures
        self.patched: list[dict[str, Any]] = []  # board rows the last snapshot changed in place
        self._changed: Mapping[str, Any] | None = None  # the last snapshot's patch hint
        self._synced: int | None = None  # the version the browser's map shows

    def apply_snapshot(self, snap: Mapping[str, Any], *, local_ms: float | None = None) -> bool:
        """Take a hub snapshot; False when it is older than the one shown. ``local_ms`` (this
        process's clock now) moves the server time on by the snapshot's age."""
        if int(snap["version"]) < self.version:
            return False
        age = 0.0 if local_ms is None else max(0.0, local_ms - float(snap.get("local_ms",
                                                                             local_ms)))
        # copies this session owns: unit moves patch them in place (apply_moves)
        self.features = {"incidents": dict(snap["case_features"]),
                         "units": dict(snap["unit_features"])}
        self.sigs = snap.get("sigs") or {}
        self._changed = snap.get("changed")
        same = snap["queue"] is not self.queue and snap["queue"] == self.queue
        if same:  # hold the hub's equal rows: the next comparison stops at identity
            with param.parameterized.discard_events(self):
                self.queue = snap["queue"]
        with param.parameterized.batch_call_watchers(self):
            if snap["queue"] is not self.queue:
                self.queue = snap["queue"]
            self.patched = []
            if snap["units"] is not self.units:
                self._take_units(snap["units"])
            self.server_ms = int(snap["server_ms"] + age)
            self.version = int(snap["version"])
        return True

    def _take_units(self, rows: list[dict[str, Any]]) -> None:
        """Same units in the same order: patch the rows that differ in place (``patched``, sent
        as a patch, not as the whole board; equal rows are swapped for the hub's objects too, so
        the next comparison stops at identity); otherwise take the new list."""
        units, patched = self.units, self.patched  # once: each read of a param costs a lookup
        if len(rows) == len(units) and all(
                a["id"] == b["id"] for a, b in zip(rows, units, strict=True)):
            for i, row in enumerate(rows):
                old = units[i]
                if row is not old:
                    if row != old:
                        patched.append(row)
                    units[i] = row
        else:
            self.units = list(rows)
            self._unit_at = {}

    def apply_moves(self, rows: Iterable[Mapping[str, Any]],
                    features: Mapping[str, Mapping[str, Any]], *, version: int,
                    sent: bool, sigs: Mapping[str, Mapping[str, str]] | None = None
                    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Moved units (``console.live.desk_moves``) patched into what this session shows, without a
        parameter event: returns the board rows and map features to send as a patch. Units this
        session does not show are skipped; ``sent``: the features will reach the browser;
        ``sigs``: the patched snapshot's signatures."""
        if sigs is not None:
            self.sigs = sigs
        before = self.version
        first = next(iter(self._unit_at.items()), None)
        if first is None or first[1] >= len(self.units) or self.units[first[1]]["id"] != first[0]:
            self._unit_at = {int(r["id"]): i for i, r in enumerate(self.units)}
        out_rows, out_feats, shown = [], [], self.features["units"]
        for row in rows:
            i = self._unit_at.get(int(row["id"]))
            if i is None:
                continue
            # a move changes the position only: the row's cases stay as this session's
            # jurisdiction cut them (console.api.auth_scope.filter_snapshot)
            self.units[i] = {**row, "cases": self.units[i].get("cases", row.get("cases"))}
            out_rows.append(self.units[i])
            feature = features.get(str(row["id"]))
            if feature is not None:
                shown[str(row["id"])] = dict(feature)
                out_feats.append(shown[str(row["id"])])
                if sent:
                    self.sent["units"][str(row["id"])] = signature(feature)
        with param.parameterized.discard_events(self):
            self.version = max(self.version, int(version))
        if sent and self._synced == before:
            self._synced = self.version
        return out_rows, out_feats

    def map_updates(self, *, full: bool = False
                    ) -> dict[str, tuple[list[dict[str, Any]], list[str]]]:
        """Per layer, the features to upsert and the ids to remove since the last call (all of
        them with ``full``, after the browser (re)connects). When the map shows the version a
        row patch was made on, only the features it names are compared (``changed``)."""
        changed, self._changed = self._changed, None
        if not full and changed is not None and self.sigs and self._synced == changed["base"]:
            self._synced = self.version
            return {layer: self._diff_some(layer, changed.get(layer) or ())
                    for layer in self.features}
        self._synced = self.version
        out = {}
        for layer, current in self.features.items():
            shared = self.sigs.get(layer)
            if shared is None:
                upserts, removed, sigs = diff({} if full else self.sent[layer], current)
            else:  # the hub's signatures, computed once for every session
                sent = {} if full else self.sent[layer]
                sigs = {k: shared.get(k) or signature(f) for k, f in current.items()}
                upserts = [current[k] for k, sig in sigs.items() if sent.get(k) != sig]
            removed = [k for k in self.sent[layer] if k not in current]
            self.sent[layer] = sigs
            out[layer] = (upserts, removed)
        return out

    def _diff_some(self, layer: str, ids: Iterable[str]
                   ) -> tuple[list[dict[str, Any]], list[str]]:
        current, sent, shared = self.features[layer], self.sent[layer], self.sigs.get(layer, {})
        upserts, removed = [], []
        for k in ids:
            feature = current.get(k)
            if feature is None:
                if sent.pop(k, None) is not None:
                    removed.append(k)
                continue
            sig = shared.get(k) or signature(feature)
            if sent.get(k) != sig:
                sent[k] = sig
                upserts.append(feature)
        return upserts, removed

    def on_click(self, click: Mapping[str, Any] | None) -> str | None:
        """A map click: a case marker opens the case; with picking armed, the point becomes the
        intake point. Returns what happened (``"case"``, ``"point"`` or None)."""
        if not click:
            return None
        for hit in click.get("hits") or []:
            if hit.get("layer") == "incidents" and hit.get("id") is not None:
                self.select(int(hit["id"]))
                return "case"
        if self.picking and click.get("lon") is not None and click.get("lat") is not None:
            self.point = {"lon": float(click["lon"]), "lat": float(click["lat"]), "crs": "wgs84",
                          "source": "map"}
            self.picking = False
            self.workspace = "intake"
            return "point"
        return None

    def select(self, incident_id: int | None) -> None:
        """Open a case (or close it with None); the page loads and shows it."""
        with param.parameterized.batch_call_watchers(self):
            if incident_id != self.selected:
                self.case = None
            self.selected = incident_id
            self.workspace = "case" if incident_id is not None else "intake"

    def show_case(self, view: Mapping[str, Any] | None, *, policy: Policy,
                  allowed: Collection[str] | None = None) -> None:
        """Show a loaded case view, if it is still the selected one; its actions are those the
        domain allows the signed-in officer (``allowed``: their permissions)."""
        if view is None or int(view["id"]) != self.selected:
            return
        from console.desk.case import case_display  # it builds on this module's marks

        self.case = case_display(view, policy=policy, allowed=allowed)

    def concerns_case(self, events: Iterable[Mapping[str, Any]]) -> bool:
        """Whether any of these domain events touched the open case (it should be reloaded)."""
        return self.selected is not None and any(
            e.get("incident_id") == self.selected for e in events)
