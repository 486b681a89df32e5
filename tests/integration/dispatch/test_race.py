"""Racing dispatchers in parallel processes against real PostGIS: no unit double-booked."""

from __future__ import annotations

import multiprocessing as mp
import random
from datetime import datetime

from sqlalchemy import Engine, text

from dispatch.bootstrap import bootstrap
from dispatch.commands import AssignUnits, Party, RegisterIncident
from dispatch.errors import DispatchError
from dispatch.eta import StraightLineEta
from geo import db

from .conftest import grid_point


def _worker(url: str, now: datetime, name: str, jobs: list[tuple[int, int]],
            barrier: mp.synchronize.Barrier | None, out: mp.Queue) -> None:  # type: ignore[type-arg]
    engine = db.make_engine(url, pool_size=1)
    app = bootstrap(engine, clock=lambda: now, eta=StraightLineEta())
    wins, conflicts = [], []
    for incident_id, unit_id in jobs:
        if barrier is not None:
            barrier.wait(timeout=60)
        try:
            app.handle(AssignUnits(incident_id=incident_id, unit_ids=(unit_id,), actor=name))
            wins.append((incident_id, unit_id))
        except DispatchError as err:
            conflicts.append((incident_id, unit_id, err.message, err.detail.get("taken_by")))
    out.put((name, wins, conflicts))
    engine.dispose()


def _incidents(app, engine: Engine, n: int) -> list[int]:  # type: ignore[no-untyped-def]
    ids = []
    for k in range(n):
        lon, lat = grid_point(engine, k % 40)
        ids.append(app.handle(RegisterIncident(
            category="consumer", channel="app", actor="race", lon=lon, lat=lat,
            address=f"竞速路{k}号", auto_dispatch=False,
            parties=(Party(f"赛{k}", f"1360{k:07d}"),))).incident_id)
    return ids


def _units(engine: Engine, n: int) -> list[int]:
    """``n`` free mediators, cut to capacity 1 so every race is for the last place."""
    with engine.begin() as conn:
        ids = list(conn.execute(text(
            "SELECT id FROM units WHERE unit_type = 'mediator' AND status <> 'off_duty' AND "
            "active_load = 0 ORDER BY id LIMIT :n"), {"n": n}).scalars())
        conn.execute(text("UPDATE units SET capacity = 1 WHERE id = ANY(:ids)"), {"ids": ids})
    return ids


def _run(engine: Engine, now: datetime, plans: dict[str, list[tuple[int, int]]],
         barrier: bool) -> list[tuple]:  # type: ignore[type-arg]
    ctx = mp.get_context("fork")
    bar = ctx.Barrier(len(plans)) if barrier else None
    q = ctx.Queue()
    url = engine.url.render_as_string(hide_password=False)
    procs = [ctx.Process(target=_worker, args=(url, now, name, jobs, bar, q))
             for name, jobs in plans.items()]
    engine.dispose()  # no pooled connection crosses the fork
    for p in procs:
        p.start()
    results = [q.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    return results


def _double_booked(engine: Engine, unit_ids: list[int]) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text(
            "SELECT count(*) FROM (SELECT u.id FROM units u JOIN assignments a ON a.unit_id = u.id "
            "AND a.state = 'active' WHERE u.id = ANY(:ids) GROUP BY u.id, u.capacity, "
            "u.active_load HAVING count(*) > u.capacity OR count(*) <> u.active_load) x"),
            {"ids": unit_ids}))


def test_two_dispatchers_one_unit_exactly_one_wins(app, demo_copy, clock):
    units = _units(demo_copy, 12)
    incidents = _incidents(app, demo_copy, 24)
    plans = {"调度员甲": [(incidents[2 * k], u) for k, u in enumerate(units)],
             "调度员乙": [(incidents[2 * k + 1], u) for k, u in enumerate(units)]}
    results = _run(demo_copy, clock.now, plans, barrier=True)
    wins = {name: w for name, w, _ in results}
    conflicts = {name: c for name, _, c in results}
    per_unit = {u: sum(u == w[1] for ws in wins.values() for w in ws) for u in units}
    assert set(per_unit.values()) == {1}, per_unit  # exactly one winner for every unit
    for name, lost in conflicts.items():
        other = ({"调度员甲", "调度员乙"} - {name}).pop()
        for _, _, message, taken_by in lost:
            assert taken_by == other and other in message
    assert _double_booked(demo_copy, units) == 0


def test_ten_processes_storm_units_no_double_booking(app, demo_copy, clock):
    units = _units(demo_copy, 30)
    incidents = _incidents(app, demo_copy, 60)
    rng = random.Random(7)
    plans = {}
    for p in range(10):
        mine = incidents[p * 6:(p + 1) * 6]
        plans[f"调度员{p}"] = [(i, u) for i in mine for u in rng.sample(units, 10)]
    results = _run(demo_copy, clock.now, plans, barrier=False)
    won = [w for _, ws, _ in results for w in ws]
    assert len({u for _, u in won}) == len(won)  # no unit won twice (capacity 1)
    assert _double_booked(demo_copy, units) == 0
    with demo_copy.connect() as conn:
        assigned = conn.scalar(text("SELECT count(DISTINCT incident_id) FROM assignments WHERE "
                                    "unit_id = ANY(:u) AND state = 'active'"), {"u": units})
    assert assigned == len(won)
