"""The desk hub's patches on real PostGIS: after a series of mixed domain events (registrations,
assignments, 改派, sign-for, arrival, 办结, 回访, merges, 督办, unit status, moves), each one
re-reading only the rows its NOTIFY names, the patched snapshot equals a full read (same rows,
same order at the same server time, same features, signatures and jurisdiction facts); cases
leaving a queue at its limit let the next older ones in, and new ones push the oldest out."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import bindparam, text

from console.bootstrap import App
from console.desk.state import urgency_key
from console.live.desk_hub import DeskHub
from console.live.desk_moves import move_of
from console.live.desk_patch import event_ids
from dispatch import vocab
from dispatch.commands import (
    AssignUnits,
    ChangeState,
    LinkIncidents,
    Party,
    RecordFollowUp,
    RegisterIncident,
    ReportPosition,
    SetUnitStatus,
    Supervise,
)
from dispatch.views_desk import DESK_STATES
from geo.settings import Settings
from tests.conftest import demo_copy
from tests.integration.dispatch.conftest import Notifications

KEYS = ("queue", "units", "case_features", "unit_features", "sigs", "areas", "unit_index")


class Channel(Notifications):
    """Every payload on the dispatch channel, taken in order (a connection of its own)."""

    def take(self) -> list[dict[str, Any]]:
        self.conn.execute("SELECT 1")  # delivers what was sent before this statement
        out = [json.loads(p) for p in self.seen]
        self.seen.clear()
        return out


@pytest.fixture(scope="module")
def app(settings: Settings, base_db: str, demo_territory: Any) -> Iterator[App]:
    from console.bootstrap import bootstrap

    with demo_copy(settings, base_db, demo_territory, tag="dp") as (url, _):
        app = bootstrap(settings, url=url)
        try:
            yield app
        finally:
            app.engine.dispose()


def feed(hub: DeskHub, events: list[dict[str, Any]]) -> None:
    """What the hub's thread does with a burst: moves patched without a query, the rest
    re-read by the ids they name (a full read for an event naming none)."""
    moves = [m for m in (move_of(e) for e in events) if m is not None]
    if moves:
        hub._send_moves(moves)
    cases: set[int] = set()
    units: set[int] = set()
    for e in events:
        if move_of(e) is None:
            ids = event_ids(e)
            assert ids is not None, e
            cases |= ids[0]
            units |= ids[1]
    if cases or units:
        hub.patch(cases, units)


def assert_same(patched: dict[str, Any], fresh: dict[str, Any]) -> None:
    """Equal to a full read; the queue compared in the order of the patched snapshot's time
    (urgency moves with the clock: the periodic full read re-sorts it)."""
    now = patched["server_ms"]
    fresh = {**fresh, "queue": sorted(fresh["queue"], key=lambda r: urgency_key(r, now))}
    for key in KEYS:
        assert patched[key] == fresh[key], key


def register(app: App, k: int, channel: str = "walk_in") -> int:
    with app.engine.connect() as conn:
        lon, lat = (float(v) for v in conn.execute(text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM grids "
            "ORDER BY id OFFSET :k LIMIT 1) g"), {"k": k}).one())
    return app.dispatch.handle(RegisterIncident(
        category="neighbour", channel=channel, actor="值班员甲", lon=lon,
        lat=lat, address=f"补丁路{k}号", auto_dispatch=False,
        parties=(Party(f"甲{k}", f"1390001{k:04d}"),))).incident_id


def free_units(app: App, n: int) -> list[int]:
    with app.engine.connect() as conn:
        return [int(i) for i in conn.scalars(text(
            "SELECT id FROM units WHERE status = 'available' AND active_load = 0 "
            "AND last_geom IS NOT NULL ORDER BY id LIMIT :n"), {"n": n})]


def test_patched_snapshot_equals_a_full_read_after_mixed_events(app: App):
    hub, channel = DeskHub(app), Channel(app.engine)
    try:
        hub.patch({1}, set())  # nothing to patch yet: a full read
        assert hub.computations == 1 and hub.patches == 0
        d = app.dispatch.handle
        a, b, c = register(app, 1), register(app, 2), register(app, 3)
        feed(hub, channel.take())
        u1, u2, u3, u4 = free_units(app, 4)
        steps = [
            lambda: d(AssignUnits(incident_id=a, unit_ids=(u1, u2), actor="值班员甲",
                                  reason="测试")),
            lambda: d(AssignUnits(incident_id=b, unit_ids=(u3,), actor="值班员甲",
                                  reason="测试")),
            lambda: d(ReportPosition(unit_id=u1, lon=84.87, lat=45.6)),
            lambda: d(ChangeState(incident_id=a, to="acknowledged", actor="调解员")),
            lambda: d(AssignUnits(incident_id=b, unit_ids=(u4,), actor="值班员甲",
                                  reassign=True, reason="测试")),  # 改派: u3 released
            lambda: d(Supervise(incident_id=c, level="red", reason="久拖", actor="督办员")),
            lambda: d(ChangeState(incident_id=a, to="on_scene", actor="调解员")),
            lambda: d(SetUnitStatus(unit_id=u3, status="off_duty", actor="值班员甲",
                                    reason="测试")),
            lambda: d(ChangeState(incident_id=a, to="resolved", outcome="mediated",
                                  note="当面调解", oral_terms="互相道歉，不再堆物",
                                  actor="调解员")),  # units released by the state change
            lambda: d(RecordFollowUp(incident_id=a, satisfaction=5, agreement_holds=True,
                                     method="phone", neighbours_visited=3,
                                     actor="回访员")),  # followed up: leaves the queue
            lambda: d(LinkIncidents(incident_id=c, other_id=b, kind="merged",
                                    actor="值班员甲")),  # merged: leaves the queue
        ]
        for step in steps:
            step()
            feed(hub, channel.take())
        assert hub.computations == 1 and hub.patches == len(steps) + 1 - 1  # a move: no read
        patched = hub._snap
        assert patched is not None
        ids = {r["id"] for r in patched["queue"]}
        assert b in ids and a not in ids and c not in ids
        rows = {r["id"]: r for r in patched["units"]}
        assert rows[u1]["load"] == 0 and rows[u1]["cases"] == []
        assert rows[u3]["status"] == "off_duty" and rows[u4]["load"] == 1
        assert_same(patched, DeskHub(app).compute())
    finally:
        channel.conn.close()


def test_a_queue_at_its_limit_lets_older_cases_in_and_pushes_the_oldest_out(
        app: App, monkeypatch: pytest.MonkeyPatch):
    import console.live.desk_part
    import console.live.desk_patch

    with app.engine.connect() as conn:  # a limit whose oldest case is open, on the map
        states = conn.execute(text(
            "SELECT state, geom IS NOT NULL FROM incidents WHERE state IN :s ORDER BY id DESC"
            ).bindparams(bindparam("s", expanding=True)), {"s": list(DESK_STATES)}).all()
    limit = next(k for k, (state, point) in enumerate(states, 1)
                 if k >= 3 and point and state in vocab.OPEN_STATES)
    for module in (console.live.desk_part, console.live.desk_patch):  # full read, patch
        monkeypatch.setattr(module, "QUEUE_LIMIT", limit)
    hub, channel = DeskHub(app), Channel(app.engine)
    try:
        first = hub.compute()
        assert len(first["queue"]) == limit
        oldest = min(r["id"] for r in first["queue"])
        assert str(oldest) in first["case_features"]
        new = register(app, 4)
        feed(hub, channel.take())
        ids = {r["id"] for r in hub._snap["queue"]}  # type: ignore[index]
        assert new in ids and oldest not in ids and len(ids) == limit
        assert_same(hub._snap, DeskHub(app).compute())  # type: ignore[arg-type]
        d = app.dispatch.handle
        d(ChangeState(incident_id=new, to="resolved", outcome="mediated", note="窗口调解",
                      oral_terms="互相道歉", on_the_spot=True, spot_reason="双方均在窗口",
                      actor="值班员甲"))
        d(RecordFollowUp(incident_id=new, satisfaction=5, agreement_holds=True, method="sms",
                         neighbours_visited=0, actor="回访员"))
        feed(hub, channel.take())
        ids = {r["id"] for r in hub._snap["queue"]}  # type: ignore[index]
        assert new not in ids and oldest in ids and len(ids) == limit
        assert_same(hub._snap, DeskHub(app).compute())  # type: ignore[arg-type]
        assert hub.computations == 1
    finally:
        channel.conn.close()
