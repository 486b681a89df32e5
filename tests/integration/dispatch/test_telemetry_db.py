"""Hostile telemetry on PostGIS: out-of-order, replayed, parallel and far-off position pings."""

from __future__ import annotations

import random
import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from dispatch.commands import ReportPosition
from dispatch.errors import InvalidCommand
from dispatch.telemetry import OLDER, REPLAY, Fix, is_newer

from .conftest import Notifications, grid_point

RESET_S = 300  # Policy().position_seq_reset_s


def _unit(engine, k):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT id FROM units ORDER BY id OFFSET :k LIMIT 1"),
                               {"k": k}))


def _state(engine, uid):  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        cur = conn.execute(text("SELECT last_seen_at, last_seq, ST_X(last_geom), ST_Y(last_geom) "
                                "FROM units WHERE id = :u"), {"u": uid}).one()
        n = conn.scalar(text("SELECT count(*) FROM unit_positions WHERE unit_id = :u"),
                        {"u": uid})
    return cur, int(n)


def test_out_of_order_and_replayed_pings(app, demo_copy, clock):
    uid = _unit(demo_copy, 3)
    lon, lat = grid_point(demo_copy, 5)
    moves = Notifications(demo_copy)
    try:
        _, before = _state(demo_copy, uid)
        t = clock.now - timedelta(minutes=1)
        new = app.handle(ReportPosition(unit_id=uid, lon=lon + 0.002, lat=lat, at=t))
        assert new.applied and new.reason is None and not new.duplicate
        # the delayed ping from 30 s earlier: into the track, not onto the map
        old = app.handle(ReportPosition(unit_id=uid, lon=lon, lat=lat,
                                        at=t - timedelta(seconds=30)))
        assert (old.applied, old.reason, old.duplicate) == (False, OLDER, False)
        (seen_at, _, x, _), n = _state(demo_copy, uid)
        assert seen_at == t and abs(x - (lon + 0.002)) < 1e-9 and n == before + 2
        assert moves.count("unit_moved", unit_id=uid) == 1
        # the same ping replayed (a device retrying after a lost answer): once
        again = app.handle(ReportPosition(unit_id=uid, lon=lon + 0.002, lat=lat, at=t))
        assert (again.applied, again.duplicate, again.reason) == (False, True, REPLAY)
        assert _state(demo_copy, uid)[1] == before + 2 and moves.count("unit_moved", unit_id=uid) == 1
        # a ping without a time is stamped on arrival: newest, moves the unit
        now = app.handle(ReportPosition(unit_id=uid, lon=lon + 0.004, lat=lat))
        assert now.applied and now.at == clock.now and moves.count("unit_moved", unit_id=uid) == 2
        # a fix from the future beyond 2 minutes: refused naming at, nothing written
        with pytest.raises(InvalidCommand) as err:
            app.handle(ReportPosition(unit_id=uid, lon=lon, lat=lat,
                                      at=clock.now + timedelta(minutes=3)))
        assert err.value.detail["field"] == "at"
        assert _state(demo_copy, uid)[1] == before + 3
    finally:
        moves.close()


def test_device_counter_orders_pings_without_a_device_clock(app, demo_copy, clock):
    uid = _unit(demo_copy, 4)
    lon, lat = grid_point(demo_copy, 6)
    assert app.handle(ReportPosition(unit_id=uid, lon=lon, lat=lat, seq=5)).applied
    clock.advance(seconds=30)  # seq 4 was delayed: it arrives later, stamped later
    late = app.handle(ReportPosition(unit_id=uid, lon=lon + 0.001, lat=lat, seq=4))
    assert not late.applied and late.reason == OLDER
    clock.advance(minutes=10)  # the phone restarted, its counter with it
    assert app.handle(ReportPosition(unit_id=uid, lon=lon + 0.002, lat=lat, seq=0)).applied
    (_, seq, x, _), _ = _state(demo_copy, uid)
    assert seq == 0 and abs(x - (lon + 0.002)) < 1e-9


def test_parallel_pings_the_newest_wins_in_any_commit_order(app, demo_copy, clock):
    uid = _unit(demo_copy, 5)
    lon, lat = grid_point(demo_copy, 7)
    rng = random.Random(6)
    for rnd in range(4):
        base = clock.now - timedelta(minutes=10) + timedelta(seconds=20 * rnd)
        pings = [(base + timedelta(seconds=k), lon + 1e-4 * k) for k in range(8)]
        rng.shuffle(pings)
        gate = threading.Barrier(len(pings))
        errors: list[BaseException] = []

        def send(at, x, gate=gate, errors=errors):  # type: ignore[no-untyped-def]
            gate.wait()  # all at once, so commits land in no particular order
            try:
                app.handle(ReportPosition(unit_id=uid, lon=x, lat=lat, at=at))
            except BaseException as err:
                errors.append(err)

        threads = [threading.Thread(target=send, args=p) for p in pings]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert not errors
        at, x = max(pings)
        (seen_at, _, gx, _), _ = _state(demo_copy, uid)
        assert seen_at == at and abs(gx - x) < 1e-9, rnd


CASES = [((0, None), (10, None)), ((0, None), (-10, None)), ((0, None), (0, None)),
         ((0, 10), (-60, 11)), ((0, 10), (30, 9)), ((0, 10), (RESET_S + 1, 0)),
         ((0, 10), (10, None)), ((0, None), (-5, 3)), ((0, 10), (5, 10)), ((0, 10), (-5, 10)),
         ((0, 10), (RESET_S - 1, 0))]


@pytest.mark.parametrize(("case", "last", "new"), [(k, *c) for k, c in enumerate(CASES)])
def test_the_sql_rule_is_the_domain_rule(app, demo_copy, clock, case, last, new):
    """Last fix (seconds, seq) and new ping (seconds, seq): the UPDATE agrees with is_newer."""
    uid = _unit(demo_copy, 6)
    lon, lat = grid_point(demo_copy, 8)
    t0 = clock.now - timedelta(hours=1)
    with demo_copy.begin() as conn:
        conn.execute(text("UPDATE units SET last_seen_at = :at, last_seq = :s WHERE id = :u"),
                     {"at": t0 + timedelta(seconds=last[0]), "s": last[1], "u": uid})
    at = t0 + timedelta(seconds=new[0])
    # a point of its own per case, so no case replays another one's history row
    got = app.handle(ReportPosition(unit_id=uid, lon=lon + 1e-6 * (case + 1), lat=lat, at=at,
                                    seq=new[1]))
    want = is_newer(Fix(at, new[1]), Fix(t0 + timedelta(seconds=last[0]), last[1]),
                    reset_s=RESET_S)
    assert got.applied == want


def test_a_ping_a_thousand_km_away_is_refused_a_near_one_flagged(app, demo_copy):
    uid = _unit(demo_copy, 7)
    with demo_copy.connect() as conn:
        x0, y0, x1, y1 = conn.execute(text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
            "(SELECT ST_Extent(geom) e FROM streets) b")).one()
    before = _state(demo_copy, uid)
    with pytest.raises(InvalidCommand, match="辖区范围外约") as err:
        app.handle(ReportPosition(unit_id=uid, lon=(x0 + x1) / 2, lat=y0 - 9.0))
    assert err.value.detail["field"] == "lat"
    with pytest.raises(InvalidCommand) as err:  # swapped axes land in the Indian Ocean
        app.handle(ReportPosition(unit_id=uid, lon=(y0 + y1) / 2, lat=(x0 + x1) / 2 - 40))
    assert err.value.detail["field"] in ("lon", "lat")
    assert _state(demo_copy, uid) == before  # refused: no history row, the unit unmoved
    near = app.handle(ReportPosition(unit_id=uid, lon=x1 + 0.05, lat=(y0 + y1) / 2))
    assert near.applied and 3_000 < near.outside_m < 5_000
