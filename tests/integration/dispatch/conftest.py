"""A writable copy of the demo database per test module, a fake clock, a wired Dispatch."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Connection, Engine, text

from dispatch.bootstrap import Dispatch, bootstrap
from dispatch.eta import StraightLineEta
from dispatch.model import BEIJING
from geo.settings import Settings
from tests.conftest import demo_copy


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@pytest.fixture(scope="module", name="demo_copy")
def demo_copy_fixture(settings: Settings, base_db: str, demo_territory) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """The demo territory loaded into a fresh database this module may write to."""
    with demo_copy(settings, base_db, demo_territory) as (_, engine):
        yield engine


def next_morning(engine: Engine) -> FakeClock:
    """10:00 Beijing time on the day after the last report in ``engine`` (day shifts on duty):
    later than anything an earlier test of the module wrote, whatever the wall clock says."""
    with engine.connect() as conn:
        last = conn.scalar(text("SELECT max(reported_at) FROM incidents"))
    day = last.astimezone(BEIJING).date() + timedelta(days=1)
    return FakeClock(datetime(day.year, day.month, day.day, 10, 0, tzinfo=BEIJING))


@pytest.fixture
def clock(demo_copy: Engine) -> FakeClock:
    return next_morning(demo_copy)


@pytest.fixture
def app(demo_copy: Engine, clock: FakeClock) -> Dispatch:
    return bootstrap(demo_copy, clock=clock, eta=StraightLineEta(), policy_check_s=0)


@pytest.fixture
def own_copy(settings: Settings, base_db: str, demo_territory) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """A copy of the demo for this test alone: for a change (a policy edit) that the module's
    other tests must not see, whichever order they run in."""
    with demo_copy(settings, base_db, demo_territory, tag="o") as (_, engine):
        yield engine


@pytest.fixture
def own_app(own_copy: Engine) -> Dispatch:
    return bootstrap(own_copy, clock=next_morning(own_copy), eta=StraightLineEta(),
                     policy_check_s=0)


def grid_point(engine: Engine, k: int = 0) -> tuple[float, float]:
    """A point inside the k-th grid (by id)."""
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM grids "
            "ORDER BY id OFFSET :k LIMIT 1) g"), {"k": k}).one()
    return float(row[0]), float(row[1])


def audit_rows(engine: Engine, incident_id: int) -> list[dict]:  # type: ignore[type-arg]
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT action, from_state, to_state, actor, reason, detail FROM audit_log "
            "WHERE entity = 'incident' AND entity_id = :i ORDER BY id"),
            {"i": incident_id}).mappings()]


def state_of(engine: Engine, incident_id: int) -> str:
    with engine.connect() as conn:
        return str(conn.scalar(text("SELECT state FROM incidents WHERE id = :i"),
                               {"i": incident_id}))


class Notifications:
    """What the dispatch channel carried (payloads sent on commit; a rolled-back transaction's
    never are), on a connection of its own outside the engine's pool."""

    def __init__(self, engine: Engine) -> None:
        import psycopg

        url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = psycopg.connect(url, autocommit=True)
        self.seen: list[str] = []
        self.conn.add_notify_handler(lambda n: self.seen.append(n.payload))
        self.conn.execute("LISTEN fq_dispatch")

    def count(self, kind: str, **ids: int) -> int:
        """Events of ``type`` ``kind`` with these ids, received so far."""
        import json

        self.conn.execute("SELECT 1")  # delivers what was sent before this statement
        events = [json.loads(p) for p in self.seen]
        return sum(1 for e in events if e.get("type") == kind
                   and all(e.get(k) == v for k, v in ids.items()))

    def close(self) -> None:
        self.conn.close()


# What a mediated closure must carry (dispatch.lifecycle.check_closure) when no written
# agreement is on record: a chosen outcome, a result note and the oral agreement's terms.
MEDIATED = {"outcome": "mediated", "note": "双方当面协商一致", "oral_terms": "乙方三日内清理楼道堆物"}


def to_scene(app: Dispatch, incident_id: int, *, actor: str = "调解员") -> int:
    """Send the best unit to a located case and have it sign and arrive; its id."""
    from dispatch.commands import AssignUnits, ChangeState

    unit = app.recommend(incident_id).candidates[0].unit.id
    app.handle(AssignUnits(incident_id=incident_id, unit_ids=(unit,), actor="值班员甲"))
    for to in ("acknowledged", "on_scene"):
        app.handle(ChangeState(incident_id=incident_id, to=to, actor=actor))
    return unit


def drift(conn: Connection, tables: set[str]) -> list[object]:
    """What alembic's autogenerate finds different between the migrated database and the ORM's
    metadata, for ``tables`` only (the schema-drift check each migration's test makes)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from geoalchemy2 import alembic_helpers

    from geo.schema import metadata  # the ORM modules' tables are declared on it

    ctx = MigrationContext.configure(conn, opts={
        "compare_type": True, "include_object": alembic_helpers.include_object})

    def touches(op: object) -> bool:
        for part in op if isinstance(op, tuple) else (op,):
            for obj in (part, getattr(part, "table", None)):
                if getattr(obj, "name", None) in tables:
                    return True
        return False

    return [d for d in compare_metadata(ctx, metadata) if touches(d)]
