"""The units as the recommender sees them, kept in process and re-read only where rows changed.

Loading ~2,500 units (SQL, ``ST_X``/``ST_Y``, one :class:`UnitFacts` each) took ~38 ms per
recommendation at city scale. Instead, every request asks PostgreSQL for a signature of the
units' row versions: the count and the sum of a 64-bit hash of each ``(id, xmin)``. ``xmin``
takes a new value on every committed UPDATE or INSERT of a row, whatever statement made it (a
position ping, a status change, an assignment, an administrator's edit in SQL), so a change is
never missed (two changes cancelling in a 64-bit sum: odds of 2⁻⁶⁴). When the signature
differs, one array of the rows' ``(id, xmin)`` keys tells which rows changed; only those are
re-read and patched into the cached :class:`~dispatch.rank.UnitTable` (all units, by id).

The answer is as fresh as the statement that reads the signature — what reading the rows
themselves in READ COMMITTED gives. Assignment stays exact regardless: ``UnitRepository.take``
checks status and capacity in its UPDATE, so a unit filled meanwhile is refused there.
"""

from __future__ import annotations

import threading

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, text

from dispatch.adapters.unit_repo import UNIT_COLS, unit_facts
from dispatch.model import UnitFacts
from dispatch.rank import UnitTable

ROW_KEY = "((id::bigint << 32) | xmin::text::bigint)"
# The same keys without the text round trip of xmin (half the time at province scale, 27,660
# units: ~9 against ~18 ms): age() is int4 arithmetic from this transaction's reference xid,
# so reference − age(xmin) modulo 2³² is xmin itself, the reference being age('3') + 3.
FAST_ROW_KEY = ("((id::bigint << 32) | ((r.ref - age(xmin)) & 4294967295))")
SIGNATURE_SQL = text(f"SELECT count(*), sum(hashint8extended({FAST_ROW_KEY}, 7)) FROM units, "
                     "(SELECT age('3'::xid)::bigint + 3 AS ref) r")
KEYS_SQL = text(f"SELECT array_agg({ROW_KEY} ORDER BY id) FROM units")
ROWS_SQL = text(f"SELECT {UNIT_COLS} FROM units WHERE id = ANY(CAST(:ids AS int[]))")


class UnitCache:
    """Every unit for one process, as facts and as columns, exact as of each call.

    ``reads`` counts rows re-read and ``rebuilds`` whole-table builds (for tests and the
    benchmark). Safe to share between threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._signature: tuple[object, ...] | None = None
        self._keys: NDArray[np.int64] = np.empty(0, dtype=np.int64)
        self._table: UnitTable | None = None
        self._candidates: list[UnitFacts] | None = None
        self.reads = self.rebuilds = 0

    def table(self, conn: Connection) -> UnitTable:
        """Every unit, by id; ``takes_cases`` marks those on duty with room."""
        signature = tuple(conn.execute(SIGNATURE_SQL).one())
        with self._lock:
            if signature == self._signature and self._table is not None:
                return self._table
            keys = np.array(conn.scalar(KEYS_SQL) or [], dtype=np.int64)
            self._table = self._patch(conn, keys)
            self._keys, self._signature, self._candidates = keys, signature, None
            return self._table

    def candidates(self, conn: Connection) -> list[UnitFacts]:
        """Units on duty with room, by id (a list shared between callers: do not mutate)."""
        table = self.table(conn)
        with self._lock:
            if self._candidates is None or self._table is not table:
                self._candidates = [table.units[k] for k in
                                    np.flatnonzero(table.takes_cases).tolist()]
            return self._candidates

    def _patch(self, conn: Connection, keys: NDArray[np.int64]) -> UnitTable:
        ids = keys >> 32
        old = self._table
        if old is not None and np.array_equal(ids, old.id):  # same units: patch changed rows
            rows = np.flatnonzero(keys != self._keys)
            got = self._read(conn, ids[rows])
            if len(got) == rows.size:
                return old.with_rows({int(k): got[int(i)] for k, i in zip(
                    rows.tolist(), ids[rows].tolist(), strict=True)})
        known = {} if old is None else dict(zip(old.id.tolist(), old.units, strict=True))
        old_keys = {} if old is None else dict(zip(old.id.tolist(), self._keys.tolist(),
                                                   strict=True))
        stale = [i for i, k in zip(ids.tolist(), keys.tolist(), strict=True)
                 if old_keys.get(i) != k]
        got = self._read(conn, np.array(stale, dtype=np.int64))
        for i in stale:  # deleted since the keys were read
            known.pop(i, None)
        known.update(got)
        self.rebuilds += 1
        return UnitTable.of([known[i] for i in ids.tolist() if i in known])

    def _read(self, conn: Connection, ids: NDArray[np.int64]) -> dict[int, UnitFacts]:
        if not ids.size:
            return {}
        self.reads += int(ids.size)
        return {r["id"]: unit_facts(r) for r in conn.execute(
            ROWS_SQL, {"ids": ids.tolist()}).mappings()}

    def forget(self) -> None:
        with self._lock:
            self._signature, self._table, self._candidates = None, None, None
            self._keys = np.empty(0, dtype=np.int64)
