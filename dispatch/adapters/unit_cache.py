"""The units as the recommender sees them, kept in process and re-read only where rows changed.

Loading ~2,500 units (SQL, ``ST_X``/``ST_Y``, one :class:`UnitFacts` each) took ~38 ms per
recommendation at city scale, and a signature of every unit's row version ~9 ms at province
scale (27,660 units). Instead the cache remembers the snapshot (``pg_current_snapshot()``) of
its last check and asks, through one index, which units were written since by transactions
that snapshot could not see (migration 0025: ``units.changed_xid`` is set by trigger to the
writing transaction's id on every INSERT and UPDATE, whatever statement made it — a position
ping, a status change, an assignment, an import, an administrator's edit in SQL — and a DELETE
or TRUNCATE leaves a row in ``unit_tombstones``). A transaction the snapshot saw running is
asked for by its id until a later snapshot sees it ended, so a change committed after a later
one is never missed. Only the changed rows are re-read and patched into the cached
:class:`~dispatch.rank.UnitTable` (all units, by id); a deletion reads the table again.

Tombstones are pruned (:func:`prune_tombstones`, hourly by the one scheduler): every one written
by a transaction below the horizon's ``below`` is gone, so a cache whose last snapshot's xmin
lies below it may have missed a deletion and reads every unit again (:meth:`Seen.pruned`). The
horizon is the xmin the prune before recorded, so a process that checked within the last period
never reloads; one idle longer reloads once.

The answer is as fresh as the statement that takes the snapshot — what reading the rows
themselves in READ COMMITTED gives. Assignment stays exact regardless: ``UnitRepository.take``
checks status and capacity in its UPDATE, so a unit filled meanwhile is refused there.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Connection, Engine, text

from dispatch.adapters.unit_repo import UNIT_COLS, unit_facts
from dispatch.model import UnitFacts
from dispatch.rank import UnitTable

OWN = "pg_current_xact_id_if_assigned()"
UNSEEN = ("{col} >= CAST(:xmax AS xid8) OR {col} = ANY(CAST(CAST(:xip AS text[]) AS xid8[])) "
          f"OR {{col}} = {OWN}")
MINE = (f"EXISTS (SELECT 1 FROM units WHERE changed_xid = {OWN}) OR EXISTS (SELECT 1 FROM "
        f"unit_tombstones WHERE deleted_xid = {OWN})")  # this transaction wrote units
CHECK_SQL = text(
    f"SELECT pg_current_snapshot()::text, {OWN}::text, {MINE}, ARRAY(SELECT id FROM units "
    "WHERE " + UNSEEN.format(col="changed_xid") + " ORDER BY id), EXISTS (SELECT 1 FROM "
    "unit_tombstones WHERE " + UNSEEN.format(col="deleted_xid") + "), (SELECT below::text "
    "FROM unit_tombstone_horizon)")
PRUNE_EVERY = "1 hour"  # a cache idle longer than this reads every unit once
# the horizon moves to the xmin recorded the time before, the present one is recorded, and the
# tombstones below the new horizon go; at most once per PRUNE_EVERY, whoever calls
PRUNE_SQL = text(f"""
    WITH h AS (
        UPDATE unit_tombstone_horizon SET below = next_below,
               next_below = pg_snapshot_xmin(pg_current_snapshot()), pruned_at = now()
        WHERE pruned_at IS NULL OR pruned_at < now() - interval '{PRUNE_EVERY}'
        RETURNING below),
    gone AS (DELETE FROM unit_tombstones t USING h WHERE t.deleted_xid < h.below RETURNING 1)
    SELECT (SELECT below::text FROM h), (SELECT count(*) FROM gone)""")
log = logging.getLogger(__name__)
SNAPSHOT_SQL = text(f"SELECT pg_current_snapshot()::text, {OWN}::text, {MINE}")
ALL_SQL = text(f"SELECT {UNIT_COLS} FROM units ORDER BY id")
ROWS_SQL = text(f"SELECT {UNIT_COLS} FROM units WHERE id = ANY(CAST(:ids AS int[]))")


@dataclass(frozen=True)
class Seen:
    """What a snapshot could not see: transactions from ``xmax`` on, and those in ``xip``."""

    xmax: str
    xip: tuple[str, ...]
    xmin: str = "0"

    @classmethod
    def of(cls, snapshot: str, own: str | None = None) -> Seen:
        """From ``pg_current_snapshot()``'s text, ``xmin:xmax:xip,xip,…``, taken in a
        transaction with the id ``own`` (a snapshot does not list its own transaction, whose
        later writes it does not see either)."""
        xmin, xmax, xip = snapshot.split(":")
        return cls(xmax, tuple(x for x in xip.split(",") if x) + ((own,) if own else ()), xmin)

    def pruned(self, below: str | None) -> bool:
        """Whether tombstones this snapshot may not have seen were pruned: every transaction
        below its xmin had ended when it was taken, so those below ``below`` (the horizon of
        pruned tombstones) were all seen only when ``below`` is at most its xmin. Then the
        deletions since can be missed: the cache must read every unit again."""
        return below is not None and int(below) > int(self.xmin)

    def params(self) -> dict[str, object]:
        return {"xmax": self.xmax, "xip": list(self.xip)}


def _marks(row: Any) -> tuple[str, str | None, bool]:
    """The snapshot's text, this transaction's id (None: none yet), whether it wrote units."""
    return str(row[0]), None if row[1] is None else str(row[1]), bool(row[2])


class UnitCache:
    """Every unit for one process, as facts and as columns, exact as of each call.

    ``reads`` counts rows re-read, ``rebuilds`` whole-table builds and ``checks`` the change
    checks (for tests and the benchmark). Safe to share between threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: Seen | None = None
        self._table: UnitTable | None = None
        self._candidates: list[UnitFacts] | None = None
        self.reads = self.rebuilds = self.checks = 0

    def table(self, conn: Connection) -> UnitTable:
        """Every unit, by id; ``takes_cases`` marks those on duty with room. A transaction
        that has written units itself gets them as it sees them, and the cache is left as it
        was (what it wrote may still roll back)."""
        with self._lock:  # one index probe, ~0.1 ms: the lock keeps the patches in order
            if self._table is None or self._seen is None:
                snap, own, mine = _marks(conn.execute(SNAPSHOT_SQL).one())
                return self._keep(self._everything(conn), snap, own, mine=mine)
            self.checks += 1
            row = conn.execute(CHECK_SQL, self._seen.params()).one()
            snap, own, mine = _marks(row)
            changed, deleted = [int(i) for i in row[3]], bool(row[4])
            if deleted or self._seen.pruned(row[5]):
                return self._keep(self._everything(conn), snap, own, mine=mine)
            if changed:
                return self._keep(self._patched(conn, self._table, changed), snap, own,
                                  mine=mine)
            self._seen = Seen.of(snap, own)
            return self._table

    def candidates(self, conn: Connection) -> list[UnitFacts]:
        """Units on duty with room, by id (a list shared between callers: do not mutate)."""
        table = self.table(conn)
        with self._lock:
            if self._candidates is not None and self._table is table:
                return self._candidates
            got = [table.units[k] for k in np.flatnonzero(table.takes_cases).tolist()]
            if self._table is table:  # not a transaction's own view
                self._candidates = got
            return got

    def _keep(self, table: UnitTable, snap: str, own: str | None, *, mine: bool
              ) -> UnitTable:
        if not mine:
            self._table, self._seen, self._candidates = table, Seen.of(snap, own), None
        return table

    def _everything(self, conn: Connection) -> UnitTable:
        """Every row again (read after the snapshot was taken: no older than it)."""
        units = [unit_facts(r) for r in conn.execute(ALL_SQL).mappings()]
        self.reads += len(units)
        self.rebuilds += 1
        return UnitTable.of(units)

    def _patched(self, conn: Connection, old: UnitTable, changed: list[int]) -> UnitTable:
        self.reads += len(changed)
        got = {r["id"]: unit_facts(r) for r in conn.execute(
            ROWS_SQL, {"ids": changed}).mappings()}
        ids = np.array(changed, dtype=np.int64)
        at = np.searchsorted(old.id, ids)
        known = at < old.id.size
        known[known] = old.id[at[known]] == ids[known]
        if known.all() and len(got) == len(changed):  # the same units: patch their rows
            return old.with_rows({int(k): got[i] for k, i in zip(at.tolist(), changed,
                                                                  strict=True)})
        units = {u.id: u for u in old.units}  # a new unit (or one gone meanwhile)
        for i in changed:
            units.pop(i, None)
        units.update(got)
        self.rebuilds += 1
        return UnitTable.of([units[i] for i in sorted(units)])

    def forget(self) -> None:
        with self._lock:
            self._seen, self._table, self._candidates = None, None, None


def prune_tombstones(conn: Connection) -> tuple[str, int] | None:
    """Prune the unit tombstones no cache can still need (at most once per
    :data:`PRUNE_EVERY`): the new horizon and the tombstones removed, or None when it is not
    due. Maintenance, not a change to the record: logged, not audited."""
    row = conn.execute(PRUNE_SQL).one()
    return None if row[0] is None else (str(row[0]), int(row[1] or 0))


def prune_job(engine: Engine, *, every_s: float = 60.0) -> Callable[[], object]:
    """The one scheduler's job (console.server.scheduler_jobs): asks the database at most every
    ``every_s`` whether a prune is due (the database decides, so a new leader does not prune
    again early)."""
    last = [float("-inf")]

    def job() -> object:
        if time.monotonic() - last[0] < every_s:
            return None
        last[0] = time.monotonic()
        with engine.begin() as conn:
            done = prune_tombstones(conn)
        if done is not None:
            log.info("maintenance: %d unit tombstones pruned (horizon xid %s)", done[1], done[0])
        return done
    return job
