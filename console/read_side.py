"""Where read-heavy work reads: the streaming replica (FQ_READ_DATABASE_URL) while it keeps up.

Wall figures, map layers, analyses and exports read through :meth:`ReadSide.engine`; writes and
every read that must see its own writes keep ``App.engine`` (the primary). The replica's lag is
measured against the primary's own WAL position, never guessed: when it is over
:data:`dispatch.limits.REPLICA_LAG_S`, unknown, or the replica cannot be reached, reads go to
the primary and :meth:`ReadSide.status` says so in Chinese (/admin shows it). Without a replica
every read goes to the primary, as before.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine

from dispatch.limits import REPLICA_LAG_S
from geo import replication
from geo.db import database_down

APPLICATION_NAME = "fq-read"
"""The replica engine's ``application_name``: its sessions in the replica's pg_stat_activity."""
CHECK_EVERY_S = 1.0
SAMPLES = 120  # the primary's positions remembered, one per check: "fresh as of" that long ago


@dataclass(frozen=True)
class ReadStatus:
    """The read side as last measured; :attr:`message` is what /admin shows."""

    configured: bool
    source: str  # "replica" or "primary": where reads go now
    lag_s: float | None  # how far the replica's data trail the primary (None: not known)
    behind_bytes: int | None  # WAL the replica has not replayed yet
    sent_behind_bytes: int | None  # from the primary's pg_stat_replication
    paused: bool
    limit_s: float
    message: str
    checked_at: float  # time.time() of the measurement

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ReadSide:
    """The primary and an optional replica engine; which one reads, checked at most once a second."""

    def __init__(self, primary: Engine, replica: Engine | None, *,
                 limit_s: float = REPLICA_LAG_S, check_every_s: float = CHECK_EVERY_S) -> None:
        self.primary = primary
        self.replica = replica
        self.limit_s = limit_s
        self.check_every_s = check_every_s
        self._lock = threading.Lock()
        self._status: ReadStatus | None = None
        self._checked = 0.0
        self._samples: deque[tuple[float, int]] = deque(maxlen=SAMPLES)

    # ---- which engine -----------------------------------------------------------------------
    def engine(self) -> Engine:
        """The engine a read-heavy read should use now."""
        if self.replica is None:
            return self.primary
        return self.replica if self.status().source == "replica" else self.primary

    def settled(self, timeout_s: float = 1.0) -> Engine:
        """The replica once it has replayed everything the primary holds now (a change just
        heard through NOTIFY is then in it), waiting at most ``timeout_s``; else the primary."""
        if self.replica is None or self.status().source != "replica":
            return self.primary
        try:
            with self.primary.connect() as conn:
                target = replication.lsn_value(replication.primary_lsn(conn))
            deadline = time.monotonic() + timeout_s
            with self.replica.connect() as conn:
                while True:
                    replayed = replication.standby_state(conn).replay_lsn
                    if replayed is not None and replication.lsn_value(replayed) >= target:
                        return self.replica
                    if time.monotonic() > deadline:
                        return self.primary
                    conn.rollback()  # a fresh snapshot for the next look
                    time.sleep(0.02)
        except Exception as exc:  # the replica went away between checks: the primary reads
            if not database_down(exc):
                raise
            return self.primary

    # ---- measuring --------------------------------------------------------------------------
    def status(self, *, fresh: bool = False) -> ReadStatus:
        """The last measurement, taken again when older than ``check_every_s`` (or ``fresh``)."""
        with self._lock:
            if fresh or self._status is None or \
                    time.monotonic() - self._checked >= self.check_every_s:
                self._status = self._measure()
                self._checked = time.monotonic()
            return self._status

    def lag_seconds(self) -> float | None:
        """The replica's lag in seconds (None: no replica or not known) — for a metrics gauge."""
        return None if self.replica is None else self.status().lag_s

    def _status_of(self, source: str, message: str, **kw: Any) -> ReadStatus:
        base: dict[str, Any] = {"lag_s": None, "behind_bytes": None, "sent_behind_bytes": None,
                                "paused": False}
        return ReadStatus(configured=self.replica is not None, source=source,
                          limit_s=self.limit_s, message=message, checked_at=time.time(),
                          **{**base, **kw})

    def _measure(self) -> ReadStatus:
        if self.replica is None:
            return self._status_of("primary", "未配置只读副本（FQ_READ_DATABASE_URL）：全部从主库读取")
        try:
            with self.primary.connect() as conn:
                current = replication.primary_lsn(conn)
                streams = replication.senders(conn)
        except Exception as exc:
            if not database_down(exc):
                raise
            return self._status_of("primary", "主库无法连接：无法判断副本延迟，读取仍走主库")
        now = time.monotonic()
        self._samples.append((now, replication.lsn_value(current)))
        try:
            with self.replica.connect() as conn:
                st = replication.standby_state(conn)
        except Exception as exc:
            if not database_down(exc):
                raise
            return self._status_of("primary", "只读副本无法连接：统计、图层、研判与导出改从主库读取")
        if not st.in_recovery or st.replay_lsn is None:
            return self._status_of("primary", "FQ_READ_DATABASE_URL 指向的不是只读副本（未处于恢复状态，"
                                              "可能已被提升为主库）：读取改走主库")
        lag, behind = self._lag(st, replication.lsn_value(current), now)
        sent = max((s["sent_behind_bytes"] or 0 for s in streams), default=None)
        known = {"lag_s": lag, "behind_bytes": behind, "sent_behind_bytes": sent,
                 "paused": st.paused}
        paused = "（副本回放已暂停）" if st.paused else ""
        if lag is None or lag > self.limit_s:
            shown = "数据延迟未知" if lag is None else f"数据延迟 {lag:.0f} 秒"
            return self._status_of("primary", f"只读副本{shown}{paused}，超过 {self.limit_s:g} 秒上限："
                                              "统计、图层、研判与导出改从主库读取", **known)
        return self._status_of("replica", f"只读副本正常：数据延迟 {lag:.1f} 秒{paused}"
                                          f"（上限 {self.limit_s:g} 秒）", **known)

    def _lag(self, st: replication.StandbyState, current: int, now: float
             ) -> tuple[float | None, int]:
        """Seconds the replica's data trail the primary, and the bytes. The replica is fresh as of
        the last time we saw the primary at a position it has replayed; the age of its last
        replayed transaction bounds it too (on an idle primary that age grows, so it alone would
        raise a false alarm)."""
        assert st.replay_lsn is not None
        replayed = replication.lsn_value(st.replay_lsn)
        behind = max(0, current - replayed)
        if behind == 0:
            return 0.0, 0
        seen = [t for t, lsn in self._samples if lsn <= replayed]
        bounds = [b for b in (now - max(seen) if seen else None, st.replay_age_s) if b is not None]
        return (max(0.0, min(bounds)) if bounds else None), behind
