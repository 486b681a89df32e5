"""The resident page's door (扫码说事): who is asking (client address, honouring
``X-Forwarded-For`` only from a trusted proxy; a device cookie) and how often (sliding windows
per address and per device, limits from :mod:`dispatch.limits`), in this process's memory."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import deque
from typing import Any

DEVICE_COOKIE = "fq_device"
DEVICE_MAX_AGE_DAYS = 365
THROTTLED = "操作过于频繁，请稍后再试（{wait} 秒后）。如情况紧急，请直接拨打 110 或到社区调解室。"


class Windows:
    """Sliding-window counters by key: ``hit(key, (n, seconds))`` says whether one more is
    allowed (and counts it) or how many seconds until it is. Bounded: the oldest keys go first."""

    def __init__(self, *, max_keys: int = 50_000) -> None:
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: tuple[int, int], *, now: float | None = None) -> int:
        """0 when allowed (counted), else the seconds to wait (not counted)."""
        n, window = limit
        t = time.monotonic() if now is None else now
        with self._lock:
            q = self._hits.get(key)
            if q is None:
                if len(self._hits) >= self.max_keys:
                    self._hits.pop(next(iter(self._hits)))
                q = self._hits[key] = deque()
            while q and q[0] <= t - window:
                q.popleft()
            if len(q) >= n:
                return max(1, int(q[0] + window - t) + 1)
            q.append(t)
            return 0

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()


def client_address(handler: Any, trusted: tuple[str, ...]) -> str:
    """The connection's peer; behind a trusted proxy, the last address it appended to
    ``X-Forwarded-For`` (the client as that proxy saw it; what the client wrote is ignored)."""
    peer = str(handler.request.remote_ip or "")
    if peer in trusted:
        forwarded = [a.strip() for a in
                     (handler.request.headers.get("X-Forwarded-For") or "").split(",")
                     if a.strip()]
        for addr in reversed(forwarded):
            if addr not in trusted:
                return addr[:64]
    return peer


def device_of(handler: Any, *, secure: bool) -> str:
    """The browser's device id (a random cookie set on first visit), hashed for storage."""
    raw = handler.get_cookie(DEVICE_COOKIE) or ""
    if len(raw) != 32 or not raw.isalnum():
        raw = secrets.token_hex(16)
        handler.set_cookie(DEVICE_COOKIE, raw, path="/", httponly=True, samesite="Strict",
                           secure=secure, expires_days=DEVICE_MAX_AGE_DAYS)
    return hashlib.sha256(raw.encode()).hexdigest()
