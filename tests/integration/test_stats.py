"""The wall's figures on the demo database agree with pandas computing the same definitions from the
raw rows; "today" and "overdue" follow the database clock in Beijing time; the hub computes once."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import Connection, Engine, text

from dispatch import stats
from dispatch.stats import Scope
from tests.conftest import demo_copy

BEIJING = ZoneInfo("Asia/Shanghai")
# Written out again here rather than taken from dispatch.stats: the reference is independent.
OPEN = ["registered", "located", "assigned", "acknowledged", "on_scene", "mediating", "escalated"]
UNSIGNED = ["registered", "located", "assigned"]
DONE = ["resolved", "followed_up", "closed"]
COLUMNS = ("id, state, category, priority, outcome, satisfaction, street_id, community_id, "
           "grid_id, (SELECT s.district_id FROM streets s WHERE s.id = i.street_id) AS district_id, "
           "reported_at, acknowledged_at, arrived_at, resolved_at, followed_up_at, "
           "sign_deadline, close_deadline")


def load(conn: Connection) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Every case not merged away, and the database's now() of this same transaction."""
    now = pd.Timestamp(conn.scalar(text("SELECT now()")))
    df = pd.read_sql(text(
        f"SELECT {COLUMNS}, "
        # the evidence, read plainly: the closure made with the resolution and its agreement,
        # a 五步 entry, and whether the visit's record names who made it and how
        "(SELECT z.agreement FROM incident_closures z WHERE z.incident_id = i.id "
        " AND z.at = i.resolved_at AND z.outcome = 'mediated' ORDER BY z.id DESC LIMIT 1) "
        "AS agreement, "
        "EXISTS (SELECT 1 FROM mediation_steps s WHERE s.incident_id = i.id) AS stepped, "
        "(SELECT v.actor IS NOT NULL AND v.method IS NOT NULL FROM followups v WHERE "
        " v.incident_id = i.id AND v.done_at = i.followed_up_at ORDER BY v.id DESC LIMIT 1) "
        "AS recorded "
        "FROM incidents i WHERE NOT EXISTS (SELECT 1 FROM incident_flow f "
        "WHERE f.incident_id = i.id AND f.merged_into IS NOT NULL)"), conn)
    for col in df.columns:
        if col.endswith(("_at", "_deadline")):
            df[col] = pd.to_datetime(df[col], utc=True)
    return df, now.tz_convert("UTC")


def in_window(s: pd.Series, now: pd.Timestamp, days: int) -> pd.Series:
    return (s > now - pd.Timedelta(days=days)) & (s <= now)


def reference(df: pd.DataFrame, now: pd.Timestamp, days: int) -> dict:
    """The definitions of dispatch.stats.FIGURES, computed by pandas."""
    is_open, done = df.state.isin(OPEN), df.state.isin(DONE)
    local_now = now.tz_convert(BEIJING)
    midnight = local_now.normalize()  # Beijing midnight, as an aware timestamp
    due = in_window(df.close_deadline, now, days)
    resolved = in_window(df.resolved_at, now, days) & done & df.outcome.notna()
    rated = (in_window(df.followed_up_at, now, days) & df.satisfaction.notna()
             & df.recorded.fillna(False).astype(bool))
    signed = in_window(df.acknowledged_at, now, days)
    arrived = in_window(df.arrived_at, now, days)
    sign_s = (df.acknowledged_at - df.reported_at).dt.total_seconds()[signed]
    arrive_s = (df.arrived_at - df.reported_at).dt.total_seconds()[arrived]
    sign_late = df.state.isin(UNSIGNED) & (df.sign_deadline < now)
    close_late = is_open & (df.close_deadline < now)

    def pct(a: int, b: int) -> float | None:
        return None if b == 0 else round(100 * a / b, 1)

    return {
        "intake_today": int(((df.reported_at >= midnight) & (df.reported_at <= now)).sum()),
        "intake_24h": int(in_window(df.reported_at, now, 1).sum()),
        "intake_7d": int(in_window(df.reported_at, now, 7).sum()),
        "open": int(is_open.sum()),
        "sign_overdue": int(sign_late.sum()), "close_overdue": int(close_late.sum()),
        "overdue": int((sign_late | close_late).sum()),
        "due": int(due.sum()),
        "closure_rate": pct(int((due & done).sum()), int(due.sum())),
        "on_time_rate": pct(int((due & done & (df.resolved_at <= df.close_deadline)).sum()),
                            int(due.sum())),
        "success_rate": pct(int((resolved & (df.outcome == "mediated") & df.stepped
                                 & df.agreement.notna()).sum()), int(resolved.sum())),
        "satisfaction": pct(int((rated & (df.satisfaction >= 4)).sum()), int(rated.sum())),
        "sign_minutes": None if sign_s.empty else sign_s.mean() / 60,
        "sign_median_minutes": None if sign_s.empty else sign_s.median() / 60,
        "arrive_minutes": None if arrive_s.empty else arrive_s.mean() / 60,
        "arrive_median_minutes": None if arrive_s.empty else arrive_s.median() / 60,
        "arrived": int(arrived.sum()),
    }


def restrict(df: pd.DataFrame, scope: Scope) -> pd.DataFrame:
    return df if scope.level == "all" else df[df[f"{scope.level}_id"] == scope.area_id]


def busiest_scopes(conn: Connection) -> list[Scope]:
    """The whole territory, and the street › community › grid with the most cases, and that
    street's district."""
    sid, cid, gid = conn.execute(text(
        "SELECT street_id, community_id, grid_id FROM incidents WHERE grid_id IS NOT NULL "
        "GROUP BY 1, 2, 3 ORDER BY count(*) DESC LIMIT 1")).one()
    did = conn.scalar(text("SELECT district_id FROM streets WHERE id = :s"), {"s": sid})
    return [Scope(), Scope(sid), Scope(sid, cid), Scope(sid, cid, gid), Scope(district=did)]


def assert_agrees(got: dict, ref: dict, days: int) -> None:
    w = got["windows"][str(days)]
    for key in ("intake_today", "intake_24h", "intake_7d", "open", "sign_overdue",
                "close_overdue", "overdue"):
        assert got[key] == ref[key], key
    for key in ("due", "closure_rate", "on_time_rate", "success_rate", "satisfaction",
                "arrived"):
        assert w[key] == ref[key], key
    for key in ("sign_minutes", "sign_median_minutes", "arrive_minutes",
                "arrive_median_minutes"):
        if ref[key] is None:
            assert w[key] is None, key
        else:
            assert w[key] == pytest.approx(ref[key], abs=0.051), key


@pytest.mark.parametrize("days", [7, 30])
def test_overview_agrees_with_pandas_on_every_level(demo_engine: Engine, days: int):
    with demo_engine.connect() as conn:
        df, now = load(conn)
        for scope in busiest_scopes(conn):
            got = stats.overview(conn, scope)
            assert pd.Timestamp(got["now"]) == now  # one transaction, one clock
            assert_agrees(got, reference(restrict(df, scope), now, days), days)
    assert len(df) > 15_000  # the demo year is there, mostly closed
    assert reference(df, now, 30)["due"] > 500


def test_today_starts_at_beijing_midnight_by_the_database_clock(demo_engine: Engine):
    with demo_engine.connect() as conn:
        got = stats.overview(conn)
        now = conn.scalar(text("SELECT now()"))
    start = datetime.fromisoformat(got["today_start"])
    local = now.astimezone(BEIJING)
    assert start == datetime(local.year, local.month, local.day, tzinfo=BEIJING)
    assert start.utcoffset() == timedelta(hours=8)


def test_trend_counts_each_beijing_day(demo_engine: Engine):
    with demo_engine.connect() as conn:
        df, now = load(conn)
        scope = busiest_scopes(conn)[1]
        got = stats.trend(conn, scope, days=30)
    part = restrict(df, scope)
    day = lambda s: s.dt.tz_convert(BEIJING).dt.date.astype(str)  # noqa: E731
    reported = part[part.reported_at <= now].groupby(day(part.reported_at)).size()
    done = part[part.state.isin(DONE) & (part.resolved_at <= now)]
    resolved = done.groupby(day(done.resolved_at)).size()
    assert len(got) == 30 and got[-1]["partial"] and not any(d["partial"] for d in got[:-1])
    assert got[-1]["day"] == str(now.tz_convert(BEIJING).date())
    for d in got:
        assert d["reported"] == int(reported.get(d["day"], 0)), d
        assert d["resolved"] == int(resolved.get(d["day"], 0)), d
    assert sum(d["reported"] for d in got) > 0


def test_categories_and_ranking_add_up(demo_engine: Engine):
    with demo_engine.connect() as conn:
        df, now = load(conn)
        cats = stats.categories(conn, days=30)
        streets = stats.ranking(conn, days=30)
        street = busiest_scopes(conn)[1]
        communities = stats.ranking(conn, street, days=30)
        heat = stats.grid_heat(conn, days=30)
        n_grids = conn.scalar(text("SELECT count(*) FROM grids"))
        overview = stats.overview(conn)
        below_grid = stats.ranking(conn, busiest_scopes(conn)[3])
    recent = df[in_window(df.reported_at, now, 30)]
    assert {c["category"]: c["count"] for c in cats} == recent.category.value_counts().to_dict()
    assert sum(c["share"] for c in cats) == pytest.approx(100, abs=0.5)
    assert [c["count"] for c in cats] == sorted((c["count"] for c in cats), reverse=True)
    for rows, key in ((streets, "street_id"), (communities, "community_id")):
        assert [r["intake"] for r in rows] == sorted((r["intake"] for r in rows), reverse=True)
        for r in rows:
            ref = reference(df[df[key] == r["id"]], now, 30)
            assert r["open"] == ref["open"] and r["overdue"] == ref["overdue"]
            assert r["closure_rate"] == ref["closure_rate"]
            assert r["satisfaction"] == ref["satisfaction"]
            assert r["intake"] == int(in_window(df[df[key] == r["id"]].reported_at, now, 30).sum())
    assert sum(r["intake"] for r in streets) == len(recent[recent.street_id.notna()])
    assert len(heat) == n_grids
    assert sum(h["open"] for h in heat) == int(df[df.grid_id.notna() & df.state.isin(OPEN)].shape[0])
    assert sum(h["overdue"] for h in heat) <= overview["overdue"]
    assert below_grid == []  # nothing below a grid


def test_open_cases_are_masked(demo_engine: Engine):
    with demo_engine.connect() as conn:
        cases = stats.open_cases(conn)
        exact = dict(conn.execute(text(
            "SELECT id, ARRAY[ST_X(geom), ST_Y(geom)] FROM incidents WHERE geom IS NOT NULL")).all())
        df, _ = load(conn)
    assert {c["id"] for c in cases} == set(df[df.state.isin(OPEN)].id)
    allowed = {"id", "category", "state", "priority", "street_id", "community_id", "grid_id",
               "community_name", "grid_name", "age_minutes", "sign_overdue", "close_overdue",
               "lon", "lat", "overdue", "category_label", "state_label", "priority_label"}
    for c in cases:
        assert set(c) <= allowed  # no title, address, caller, parties, phone
        x, y = exact[c["id"]]
        assert c["lon"] == round(c["lon"], 3) and abs(c["lon"] - x) <= 0.0005 + 1e-9
        assert c["lat"] == round(c["lat"], 3) and abs(c["lat"] - y) <= 0.0005 + 1e-9
    flags = [c["overdue"] for c in cases]
    assert flags == sorted(flags, reverse=True)  # overdue first


def test_areas_resolve_with_their_parents(demo_engine: Engine):
    with demo_engine.connect() as conn:
        scope = busiest_scopes(conn)[3]
        assert stats.resolve_scope(conn, "grid", scope.grid) == scope
        assert stats.resolve_scope(conn, "community", scope.community) == scope.prefix(2)
        assert stats.resolve_scope(conn, "street", scope.street) == scope.prefix(1)
        assert stats.resolve_scope(conn, "grid", 10**8) is None
        info = stats.area(conn, scope, shape=True)
        names = conn.execute(text(
            "SELECT s.name, c.name, g.name FROM grids g JOIN communities c ON c.id = g.community_id "
            "JOIN streets s ON s.id = c.street_id WHERE g.id = :g"), {"g": scope.grid}).one()
        whole = stats.area(conn)
    assert [c["name"] for c in info["chain"]] == list(names)
    assert info["name"] == names[2] and info["outline"]["type"] in ("Polygon", "MultiPolygon")
    b, w = info["bbox"], whole["bbox"]
    assert w[0] <= b[0] < b[2] <= w[2] and w[1] <= b[1] < b[3] <= w[3]
    assert whole["name"] == "全辖区" and whole["chain"] == []


# ---- a writable copy: cases reported today, overdue now, and a merged duplicate ---------------

@pytest.fixture(scope="module")
def writable(settings, base_db, demo_territory) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    with demo_copy(settings, base_db, demo_territory, tag="s") as (_, engine):
        yield engine


def _insert(conn: Connection, scope: Scope, **values: object) -> int:
    cols = {"code": f"T-{uuid.uuid4().hex[:10]}", "channel": "hotline", "category": "neighbour",
            "title": "测试", "street_id": scope.street, "community_id": scope.community,
            "grid_id": scope.grid, **values}
    names = ", ".join(cols)
    marks = ", ".join(f":{k}" for k in cols)
    return int(conn.scalar(text(f"INSERT INTO incidents ({names}) VALUES ({marks}) RETURNING id"),
                           cols))


def test_today_overdue_and_merged_cases_count_by_the_definitions(writable: Engine):
    with writable.connect() as conn:  # one transaction (one now()), rolled back at the end
        grid = busiest_scopes(conn)[3]
        before = stats.overview(conn, grid)
        now = conn.scalar(text("SELECT now()"))
        midnight = datetime.fromisoformat(before["today_start"])
        today = midnight + (now - midnight) / 2  # some time today, whatever the hour
        late = now - timedelta(minutes=1)
        a = _insert(conn, grid, state="registered", reported_at=today, sign_deadline=late,
                    close_deadline=now + timedelta(days=7))
        _insert(conn, grid, state="mediating", reported_at=today, acknowledged_at=today,
                sign_deadline=late, close_deadline=now - timedelta(hours=1))
        dup = _insert(conn, grid, state="closed", reported_at=today, sign_deadline=late,
                      close_deadline=now - timedelta(hours=1))
        conn.execute(text("INSERT INTO incident_flow (incident_id, merged_into) VALUES (:d, :a)"),
                     {"d": dup, "a": a})
        _insert(conn, grid, state="closed", reported_at=midnight - timedelta(seconds=1),
                resolved_at=midnight - timedelta(seconds=1), outcome="mediated")
        after = stats.overview(conn, grid)
        cases = {c["id"] for c in stats.open_cases(conn, grid)}
        heat = {h["id"]: h for h in stats.grid_heat(conn)}[grid.grid]
        df, ts = load(conn)
        conn.rollback()
    assert after["intake_today"] - before["intake_today"] == 2  # not the duplicate, not 23:59:59
    assert after["intake_7d"] - before["intake_7d"] == 3
    assert after["open"] - before["open"] == 2
    assert after["sign_overdue"] - before["sign_overdue"] == 1  # the one still owing sign-for
    assert after["close_overdue"] - before["close_overdue"] == 1
    assert after["overdue"] - before["overdue"] == 2
    assert a in cases and dup not in cases
    assert heat["overdue"] == after["overdue"]
    assert_agrees(after, reference(restrict(df, grid), ts, 30), 30)


# ---- the evidence kept on each case by trigger (migration 0024) equals its rows ----------------

def _stale(conn: Connection) -> int:
    """Cases whose kept evidence flags differ from the definitions over the rows."""
    ev = stats.evidence
    return int(conn.scalar(text(
        "SELECT count(*) FROM incidents i WHERE i.evidence_mediation IS DISTINCT FROM "
        f"({ev.agreed('i')} AND {ev.mediation_record('i')}) "
        f"OR i.evidence_visit IS DISTINCT FROM {ev.RECORDED_VISIT}")))


def _flags(conn: Connection) -> dict[int, tuple[bool, bool]]:
    return {int(r[0]): (r[1], r[2]) for r in conn.execute(text(
        "SELECT id, evidence_mediation, evidence_visit FROM incidents"))}


def _wall_both_ways(conn: Connection, scope: Scope) -> tuple[dict, dict]:
    from dispatch import stats_board, stats_rows

    kept = stats_board.overview_and_ranking(conn, scope)
    stats_rows.EVIDENCE_KEPT = False
    try:
        tested = stats_board.overview_and_ranking(conn, scope)
    finally:
        stats_rows.EVIDENCE_KEPT = True
    return kept, tested


def test_the_evidence_kept_on_each_case_equals_its_rows_after_a_mix_of_writes(writable: Engine):
    with writable.connect() as conn:  # one transaction, rolled back at the end
        assert _stale(conn) == 0  # the load computed them (geo.loader: once, at its end)
        first = _flags(conn)
        assert sum(m for m, _ in first.values()) and sum(v for _, v in first.values())
        district = Scope(district=int(conn.scalar(text(
            "SELECT s.district_id FROM incidents i JOIN streets s ON s.id = i.street_id "
            "WHERE i.evidence_mediation GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"))))
        where, params = district.where()
        mediated = [int(x) for x in conn.scalars(text(
            f"SELECT i.id FROM incidents i WHERE {where} AND i.evidence_mediation "
            "AND i.resolved_at > now() - interval '30 days' ORDER BY i.id LIMIT 12"), params)]
        visited = [int(x) for x in conn.scalars(text(
            f"SELECT i.id FROM incidents i WHERE {where} AND i.evidence_visit "
            "AND i.followed_up_at > now() - interval '30 days' ORDER BY i.id LIMIT 8"), params)]
        assert len(mediated) == 12 and len(visited) == 8
        steps = "INSERT INTO mediation_steps (incident_id, step, note, happened_at, recorded_by, " \
                "recorded_at) VALUES (:i, 'listen', '听取双方陈述', now(), 't', now())"
        # evidence removed: one case's steps, another's agreement, a third's whole closure
        conn.execute(text("DELETE FROM mediation_steps WHERE incident_id = :i"), {"i": mediated[0]})
        conn.execute(text("UPDATE incident_closures SET agreement = NULL, oral_terms = NULL "
                          "WHERE incident_id = :i"), {"i": mediated[1]})
        conn.execute(text("DELETE FROM incident_closures WHERE incident_id = ANY(:ids)"),
                     {"ids": mediated[2:4]})
        # steps moved from one case to another in one statement (the old case loses them)
        conn.execute(text("UPDATE mediation_steps SET incident_id = :b WHERE incident_id = :a"),
                     {"a": mediated[4], "b": mediated[8]})
        assert _stale(conn) == 0
        mid = _flags(conn)
        assert not any(mid[i][0] for i in mediated[:5])  # without triggers: still true
        # evidence added: a 五步 entry on the agreed case that lost its steps
        conn.execute(text(steps), {"i": mediated[0]})
        # a state change: reopened and resolved again later (the closure no longer matches),
        # then a new closure with an agreement at the new resolution
        conn.execute(text("UPDATE incidents SET state = 'mediating', resolved_at = NULL "
                          "WHERE id = :i"), {"i": mediated[5]})
        conn.execute(text("UPDATE incidents SET state = 'resolved', resolved_at = now() "
                          "WHERE id = ANY(:ids)"), {"ids": mediated[5:7]})
        conn.execute(text(
            "INSERT INTO incident_closures (incident_id, at, actor, outcome, basis, note, "
            "agreement) VALUES (:i, now(), 't', 'mediated', 'on_scene', '达成协议', 'written')"),
            {"i": mediated[6]})
        # 回访: a record losing who made it, another visit done later unrecorded, a new one
        conn.execute(text("UPDATE followups SET actor = NULL WHERE incident_id = :i"),
                     {"i": visited[0]})
        conn.execute(text("UPDATE incidents SET followed_up_at = now() WHERE id = :i"),
                     {"i": visited[1]})
        conn.execute(text(
            "INSERT INTO followups (incident_id, due_at, done_at, satisfaction, actor, method) "
            "SELECT id, now(), now(), 5, 't', 'phone' FROM incidents WHERE id = ANY(:ids)"),
            {"ids": visited[1:3]})
        conn.execute(text("DELETE FROM followups WHERE incident_id = :i"), {"i": visited[3]})
        # registrations (a flag written true is corrected), area replacement moving cases
        new = _insert(conn, district, state="registered", evidence_mediation=True,
                      evidence_visit=True)
        conn.execute(text("UPDATE incidents SET street_id = (SELECT min(id) FROM streets) "
                          "WHERE id = ANY(:ids)"), {"ids": [visited[4], mediated[7]]})
        assert _stale(conn) == 0
        after = _flags(conn)
        changed = {i for i in first if first[i] != after[i]}
        assert after[new] == (False, False)
        assert {mediated[1], mediated[2], mediated[4], visited[0], visited[3]} <= changed
        assert after[mediated[0]][0] and after[mediated[8]][0]  # a step added; steps moved in
        assert after[mediated[6]][0] and not after[mediated[5]][0]
        kept, tested = _wall_both_ways(conn, district)
        assert kept == tested
        conn.rollback()


# ---- the hub: one computation per scope per interval, whatever the number of walls ------------

def test_hub_computes_once_per_scope_and_delivers_to_every_subscriber(demo_engine: Engine):
    from console.live.stats_hub import StatsHub

    hub = StatsHub(demo_engine, interval=0.3)
    first = hub.board(Scope())
    assert hub.computations == 2  # the month-long snapshot and the live counts over it
    assert hub.board(Scope()) is not None and hub.computations == 2  # cached
    with demo_engine.connect() as conn:
        df, _ = load(conn)
    assert first["overview"]["open"] == int(df.state.isin(OPEN).sum()) > 0
    got: dict[int, list[dict]] = {k: [] for k in range(5)}
    lock = threading.Lock()

    def deliver(k: int):
        def f(payload: dict) -> None:
            with lock:
                got[k].append(payload)
        return f

    tokens = [hub.subscribe(Scope(), deliver(k)) for k in range(5)]
    deadline = time.monotonic() + 60  # rounds keep coming with no change: wait for three
    while min(len(v) for v in got.values()) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert min(len(v) for v in got.values()) >= 3, "the hub stopped delivering"
    assert all({"board", "shape", "heat"} <= set(p) for v in got.values() for p in v)
    # five walls on one scope: board and live counts, grid heat and open cases per round (+ the
    # shape once), not five times that
    assert hub.computations <= 4 * max(len(v) for v in got.values()) + 6
    street = Scope(first["ranking"][0]["id"])
    hub.rescope(tokens[0], street)
    deadline = time.monotonic() + 30  # waits for the event; the bound only ends a hang
    while time.monotonic() < deadline:
        with lock:
            if got[0] and got[0][-1]["board"]["scope"]["street"] == street.street:
                break
        time.sleep(0.05)
    assert got[0][-1]["board"]["scope"]["street"] == street.street
    assert got[1][-1]["board"]["scope"]["level"] == "all"
    for t in tokens:
        hub.unsubscribe(t)
    deadline = time.monotonic() + 30
    while hub._thread is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hub._thread is None and hub.subscribers == 0  # the last wall gone, the thread ends


def test_a_wall_session_pushes_diffs_and_follows_drill_requests(demo_engine: Engine):
    from console.live.stats_hub import StatsHub
    from console.pages.wall import WallSession

    hub = StatsHub(demo_engine, interval=60)
    session = WallSession(hub)
    sent: list[dict] = []
    session.map._send_msg = sent.append  # type: ignore[method-assign]

    def payload(scope: Scope) -> dict:
        return {"board": hub.board(scope), "shape": hub.shape(scope), "heat": hub.heat()}

    heat = hub.heat()
    session.apply(payload(Scope()))
    assert sent == []  # not loaded in a browser yet: panels only
    session.loaded = True
    session.apply(payload(Scope()))
    kinds = [(m["type"], m.get("layer")) for m in sent]
    assert ("flyTo", None) in kinds
    n_overdue_grids = sum(1 for h in heat["grids"] if h["overdue"] > 0)
    cases = [m for m in sent if m.get("layer") == "cases"]
    assert len(cases[0]["features"]) == sum(1 for c in heat["cases"] if c["lon"] is not None)
    overdue = [m for m in sent if m.get("layer") == "overdue"]
    assert len(overdue[0]["features"]) == n_overdue_grids > 0
    assert not [m for m in sent if m.get("layer") == "grids"]  # loaded by URL, unchanged
    sent.clear()
    session.apply(payload(Scope()))
    assert sent == []  # nothing changed, nothing sent

    street = hub.board(Scope())["ranking"][0]
    session.on_request({"type": "drill", "level": "street", "id": street["id"]})
    assert session.scope == Scope(street["id"])
    session.on_request({"type": "drill", "level": "grid", "id": 1})  # not the level below
    assert session.scope == Scope(street["id"])
    session.apply(payload(Scope()))  # computed for the scope the wall just left
    assert session.top.data["scope"]["level"] == "all"
    session.apply(payload(Scope(street["id"])))
    assert session.top.data["scope"]["name"] == street["name"]
    assert session.right.data["ranking"][0]["level"] == "community"
    fly = [m for m in sent if m["type"] == "flyTo"]
    focus = [m for m in sent if m.get("layer") == "focus"]
    assert fly and fly[-1]["zoom"] > 13 and focus
    assert {f["properties"]["role"] for f in focus[-1]["features"]} == {"mask", "outline"}

    session.on_request({"type": "up", "depth": 0})
    assert session.scope == Scope()
    sent.clear()
    session.apply(payload(Scope()))
    assert any(m["type"] == "remove" and m["layer"] == "focus" for m in sent)

    session.apply({"error": "数据暂不可用"})
    assert session.top.data["error"] == "数据暂不可用"
    session.apply(payload(Scope()))
    assert "error" not in session.top.data
    sent.clear()
    session.apply(payload(Scope()))
    assert sent == []
    session.resync_at = time.monotonic() - 1  # every few minutes the layers go whole again
    session.apply(payload(Scope()))
    assert any(m.get("layer") == "cases" and m["type"] == "upsert" for m in sent)
    assert session.resync_at > time.monotonic() + 60


def test_after_a_change_the_wall_gets_the_case_points_before_the_figures(demo_engine: Engine):
    from console.live.stats_hub import StatsHub

    hub = StatsHub(demo_engine, interval=60)
    got: list[dict] = []
    sub = type("Sub", (), {"scope": Scope(), "deliver": staticmethod(got.append)})()
    hub.refresh([sub], force=True)  # as after a NOTIFY
    assert [sorted(p) for p in got] == [["early", "heat"], ["board", "heat", "shape"]]
    assert got[0]["heat"] is got[1]["heat"]  # computed once
    got.clear()
    hub.refresh([sub])  # the periodic refresh: no change, one delivery
    assert [sorted(p) for p in got] == [["board", "heat", "shape"]]
