"""Case codes on PostGIS under concurrency: gapless, unique, each with its audit rows."""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import Engine, text

from dispatch.bootstrap import bootstrap
from dispatch.commands import Party, RegisterIncident
from dispatch.eta import StraightLineEta
from dispatch.handlers_intake import register_in
from dispatch.model import BEIJING
from geo import db

from .conftest import grid_point

THREADS, EACH = 8, 25


def _command(k: int, point: tuple[float, float] | None) -> RegisterIncident:
    lon, lat = point if point else (None, None)
    return RegisterIncident(
        category="neighbour", channel="hotline", actor="codes", lon=lon, lat=lat,
        address=None if point else f"编号路{k}号", description=f"编号并发 {k}",
        auto_dispatch=False, parties=(Party(f"来电{k}", f"1390{k:07d}"),))


def _codes(engine: Engine, year: int) -> list[tuple[int, str, list[str], list[str]]]:
    """Each case of ``year``: id, code, its audit actions in id order, the codes they name."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT i.id, i.code, array_agg(a.action ORDER BY a.id), "
            "array_agg(COALESCE(a.detail->>'code', '') ORDER BY a.id) FROM incidents i "
            "JOIN audit_log a ON a.entity = 'incident' AND a.entity_id = i.id "
            "WHERE i.code LIKE :p GROUP BY i.id, i.code ORDER BY i.code"),
            {"p": f"{year}-%"}).all()
    return [(r[0], r[1], list(r[2]), list(r[3])) for r in rows]


def test_parallel_registrations_take_codes_one_to_n_each_with_its_audit_rows(
        demo_copy: Engine) -> None:
    """8 threads × 25 registrations in a year with no case yet (so the first ones race for
    the year's counter row too): codes 1..200, no gap, no repeat, and each case audited
    ``register`` (naming its code) before ``locate``."""
    year = 2031
    now = datetime(year, 3, 1, 10, 0, tzinfo=BEIJING)
    url = demo_copy.url.render_as_string(hide_password=False)
    engine = db.make_engine(url, pool_size=THREADS, max_overflow=0)
    app = bootstrap(engine, clock=lambda: now, eta=StraightLineEta())
    points = [grid_point(demo_copy, k) for k in range(10)]
    barrier = threading.Barrier(THREADS)
    returned: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work(t: int) -> None:
        try:
            barrier.wait(timeout=60)
            for j in range(EACH):
                k = t * EACH + j
                reg = app.handle(_command(k, points[k % 10] if k % 5 else None))
                with lock:
                    returned.append(reg.code)
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=300)
    engine.dispose()
    assert not failures, failures
    n = THREADS * EACH
    cases = _codes(demo_copy, year)
    assert [c[1] for c in cases] == [f"{year}-{k:06d}" for k in range(1, n + 1)]
    assert sorted(returned) == [c[1] for c in cases]
    for _, code, actions, named in cases:
        assert actions[0] == "register" and named[0] == code
        assert actions in (["register"], ["register", "locate"])
    located = sum(1 for c in cases if c[2] == ["register", "locate"])
    assert located == n - n // 5  # every fifth case came with an address only


def test_a_registration_rolled_back_gives_its_number_to_the_next(demo_copy: Engine) -> None:
    year = 2033
    now = datetime(year, 5, 1, 9, 0, tzinfo=BEIJING)
    app = bootstrap(demo_copy, clock=lambda: now, eta=StraightLineEta())
    first = app.handle(_command(1, grid_point(demo_copy, 1)))
    with app.uow() as uow:
        undone = register_in(_command(2, grid_point(demo_copy, 2)), uow)
        uow.rollback()
    second = app.handle(_command(3, grid_point(demo_copy, 3)))
    assert (first.code, undone.code, second.code) == (f"{year}-000001", f"{year}-000002",
                                                     f"{year}-000002")
    assert [c[1] for c in _codes(demo_copy, year)] == [f"{year}-000001", f"{year}-000002"]


def test_codes_grow_a_seventh_digit_past_999999(demo_copy: Engine) -> None:
    year, last = 2034, 999_998
    with demo_copy.begin() as conn:
        conn.execute(text("INSERT INTO incident_code_counters (year, last) VALUES (:y, :n)"),
                     {"y": year, "n": last})
    now = datetime(year, 1, 2, 9, 0, tzinfo=BEIJING)
    app = bootstrap(demo_copy, clock=lambda: now, eta=StraightLineEta())
    codes = [app.handle(_command(k, None)).code for k in range(3)]
    assert codes == [f"{year}-999999", f"{year}-1000000", f"{year}-1000001"]
