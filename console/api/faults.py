"""Faults met gracefully: a database that cannot be reached answers 503 with Retry-After, not 500."""

from __future__ import annotations

import html
import json
import logging
import time
from types import TracebackType
from typing import Any

from geo.db import database_down

RETRY_AFTER_S = 5
"""What a client should wait: the scheduler's tick, and about what a PostgreSQL restart takes."""
MESSAGE = f"数据库暂时无法连接，请约 {RETRY_AFTER_S} 秒后重试；已受理的案件不受影响"
log = logging.getLogger(__name__)


class _LogOnce:
    """One warning per outage instead of a traceback per request (1,548 of them in 6 s)."""

    def __init__(self, every_s: float = 30.0) -> None:
        self.every_s = every_s
        self.last = 0.0
        self.count = 0

    def note(self, exc: BaseException) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.last >= self.every_s:
            log.warning("database unreachable: answering 503 (%d so far): %s",
                        self.count, str(exc).splitlines()[0][:200])
            self.last = now


_outage_log = _LogOnce()


class DatabaseFaults:
    """Mixin for Tornado handlers: an uncaught database outage becomes 503 + ``Retry-After``
    with the Chinese message in the API's error shape; anything else is left to Tornado."""

    def log_exception(self, typ: type[BaseException] | None, value: BaseException | None,
                      tb: TracebackType | None) -> None:
        if database_down(value):
            assert value is not None
            _outage_log.note(value)
            return
        super().log_exception(typ, value, tb)  # type: ignore[misc]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        info = kwargs.get("exc_info")
        if info is not None and database_down(info[1]):
            h: Any = self
            h.set_status(503)
            h.set_header("Retry-After", str(RETRY_AFTER_S))
            h.set_header("Cache-Control", "no-store")
            if h.request.path.startswith("/api/"):
                h.set_header("Content-Type", "application/json; charset=utf-8")
                h.finish(json.dumps({"error": {"code": "database_unavailable",
                                               "message": MESSAGE}}, ensure_ascii=False))
            else:  # a page (the login form): a page that says so and tries again by itself
                h.set_header("Content-Type", "text/html; charset=utf-8")
                again = html.escape(h.request.path, quote=True)  # a GET, never a re-POST
                h.finish(f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
                         f'<meta http-equiv="refresh" content="{RETRY_AFTER_S}; url={again}">'
                         f"<title>暂时无法服务</title></head><body><p>{MESSAGE}</p>"
                         "</body></html>")
            return
        super().write_error(status_code, **kwargs)  # type: ignore[misc]
