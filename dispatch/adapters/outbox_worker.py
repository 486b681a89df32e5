"""The outbox's delivery worker: claims due rows (``FOR UPDATE SKIP LOCKED``), sends, records.

Every console process runs one; a commit in the process wakes it (after a round that found
nothing, wakes within :data:`IDLE_GAP_S` are taken as one). Claiming is one short statement that moves a row's
``next_at`` a lease ahead and counts the attempt, so two processes never take the same row
and no lock is held while a slow gateway answers; if the process dies mid-send (kill -9) the
row is due again when the lease ends and another process (or this one restarted) sends it
again with the same idempotency key. A case's rows for one receiver go out in order: a row
is not claimed while an earlier row of the same case, channel and receiver is pending (so a
receiver never hears 办结 before 受理 of one case, even across retries). Success marks it
``delivered``; a failure schedules the next try after an exponential backoff, and after
``max_attempts`` marks it ``failed`` (an administrator may retry it). Rows for a channel
this deployment has not configured are marked ``skipped`` once, with the reason, never
attempted.

Running in every process rather than in the one scheduler: delivery is I/O-bound and rows of
different cases or receivers are independent, so more processes deliver more, no leader
election is needed, and a process that stops takes nothing down with it (its claimed rows
come back after the lease).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

from dispatch import limits
from dispatch.adapters.senders import Channels, DeliveryFailed, send_webhook
from dispatch.webhook_hosts import allowed
from dispatch.webhooks import backoff_s

log = logging.getLogger(__name__)
# After a round that found nothing, the next waits this long however often it is woken:
# every commit in the process wakes the worker (registrations: dozens a second), and most
# commits stage nothing it can send; a notice waits at most this much longer.
IDLE_GAP_S = 0.2

_CLAIM = text(
    "UPDATE outbox o SET next_at = now() + make_interval(secs => :lease), "
    "  attempts = o.attempts + 1 "
    "FROM (SELECT id FROM outbox p WHERE state = 'pending' AND next_at <= now() "
    "      AND channel = ANY(:channels) "
    # in order per case and receiver: a row waits while an earlier one is pending (being
    # sent, or retrying); a failed or cancelled earlier row no longer holds it back
    "      AND NOT EXISTS (SELECT 1 FROM outbox e WHERE e.state = 'pending' "
    "        AND e.incident_id = p.incident_id AND e.recipient = p.recipient "
    "        AND e.channel = p.channel AND e.id < p.id) "
    "      ORDER BY next_at, id LIMIT :n "
    "      FOR UPDATE SKIP LOCKED) due "
    "WHERE o.id = due.id "
    "RETURNING o.id, o.key, o.channel, o.recipient, o.event_type, o.template, o.payload, "
    "  o.attempts, o.subscription_id, "
    "  (SELECT w.secret FROM webhook_subscriptions w WHERE w.id = o.subscription_id "
    "   AND w.active) AS secret")


class OutboxWorker:
    """Delivers the outbox over ``engine`` through ``channels``; :meth:`start`/:meth:`stop`."""

    def __init__(self, engine: Engine, channels: Channels, *, interval_s: float = 1.0,
                 batch: int = limits.OUTBOX_BATCH, lease_s: float = limits.OUTBOX_LEASE_S,
                 base_s: float = limits.OUTBOX_BACKOFF_S,
                 cap_s: float = limits.OUTBOX_BACKOFF_CAP_S,
                 max_attempts: int = limits.OUTBOX_MAX_ATTEMPTS,
                 webhook_hosts: Callable[[], Iterable[str]] = tuple,
                 idle_gap_s: float = IDLE_GAP_S) -> None:
        self.engine, self.channels = engine, channels
        self.webhook_hosts = webhook_hosts  # the policy's allow-list, read at each delivery
        self.interval_s, self.batch, self.lease_s = interval_s, batch, lease_s
        self.idle_gap_s = idle_gap_s
        self.base_s, self.cap_s, self.max_attempts = base_s, cap_s, max_attempts
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._down = False

    @property
    def enabled(self) -> list[str]:
        return ["webhook"] + [c for c in ("sms", "email") if c not in self.channels.off]

    def _sender(self, row: Any) -> Callable[[], int]:
        if row.channel == "sms" and self.channels.sms is not None:
            return lambda: self.channels.sms.send(row._mapping)  # type: ignore[union-attr]
        if row.channel == "email" and self.channels.email is not None:
            return lambda: self.channels.email.send(row._mapping)  # type: ignore[union-attr]
        return lambda: send_webhook(row._mapping, row.secret)

    def skip_unconfigured(self, conn: Connection | None = None) -> int:
        """Mark pending rows of unconfigured channels ``skipped`` with the reason (once): one
        statement for every such channel (on ``conn``'s transaction when given)."""
        off = self.channels.off
        if not off:
            return 0
        if conn is None:
            with self.engine.begin() as own:
                return self.skip_unconfigured(own)
        return conn.execute(text(
            "UPDATE outbox SET state = 'skipped', last_error = CAST(:why AS jsonb) ->> channel "
            "WHERE state = 'pending' AND channel = ANY(:cs)"),
            {"why": json.dumps(dict(off), ensure_ascii=False), "cs": list(off)}).rowcount or 0

    def run_once(self) -> int:
        """Claim and send one batch; how many rows were attempted."""
        with self.engine.begin() as conn:  # one transaction: the skipped, then the claim
            self.skip_unconfigured(conn)
            rows = conn.execute(_CLAIM, {"lease": self.lease_s, "n": self.batch,
                                         "channels": self.enabled}).all()
        for row in rows:
            if self._stop.is_set():
                break  # unsent claims come back after the lease
            self._deliver(row)
        return len(rows)

    def _deliver(self, row: Any) -> None:
        why = None
        if row.channel == "webhook" and not row.secret:  # disabled or deleted meanwhile
            why = "订阅已停用或删除"
        elif row.channel == "webhook" and not allowed(row.recipient, self.webhook_hosts()):
            why = "接收地址不在 Webhook 允许名单内"  # staged or retried before the list changed
        if why is not None:
            with self.engine.begin() as conn:
                conn.execute(text("UPDATE outbox SET state = 'cancelled', last_error = :why "
                                  "WHERE id = :id"), {"why": why, "id": row.id})
            return
        try:
            status = self._sender(row)()
        except DeliveryFailed as err:
            self._record(row, ok=False, status=err.status, error=err.reason)
        except Exception as err:  # a bug in one row must not stop the others
            log.exception("outbox: sending row %s failed", row.id)
            self._record(row, ok=False, status=None, error=f"{type(err).__name__}: {err}")
        else:
            self._record(row, ok=True, status=status, error=None)

    def _record(self, row: Any, *, ok: bool, status: int | None, error: str | None) -> None:
        with self.engine.begin() as conn:
            if ok:
                conn.execute(text(
                    "UPDATE outbox SET state = 'delivered', delivered_at = now(), "
                    "last_status = :s WHERE id = :id"), {"s": status, "id": row.id})
                return
            final = row.attempts >= self.max_attempts
            wait = backoff_s(row.attempts, base_s=self.base_s, cap_s=self.cap_s)
            conn.execute(text(
                "UPDATE outbox SET state = :state, last_error = :e, last_status = :s, "
                "next_at = now() + make_interval(secs => :wait) WHERE id = :id"),
                {"state": "failed" if final else "pending", "e": error, "s": status,
                 "wait": wait, "id": row.id})

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        def loop() -> None:
            while not self._stop.is_set():
                busy = 0
                try:
                    busy = self.run_once()
                    if self._down:
                        log.warning("outbox: database back, delivering again")
                        self._down = False
                except SQLAlchemyError as err:
                    if not self._down:
                        log.warning("outbox: database unreachable, delivery paused: %s",
                                    str(err).splitlines()[0][:200])
                    self._down = True
                except Exception:
                    log.exception("outbox: delivery round failed")
                if busy == 0:  # wakes within the gap after an empty round make one round
                    self._stop.wait(self.idle_gap_s)
                if busy < self.batch:  # a full batch: take the next one at once
                    self._wake.wait(self.interval_s)
                    self._wake.clear()

        self._stop.clear()
        self._thread = threading.Thread(target=loop, name="fq-outbox", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> bool:
        """End the thread (a send under way finishes or times out first); True if it ended."""
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is None or thread is threading.current_thread():
            return True
        thread.join(timeout_s)
        return not thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()
