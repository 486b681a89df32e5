"""研判 answers kept per process until the cases change: one answer per (area, period, category …).

An emerging-hotspot answer costs seconds (12 weekly Gi* and a trend test per area) and reads
only the cases; it is kept in a :class:`geo.cache.SignatureCache` per question, rebuilt when
the case table's signature (:func:`analysis.queries.case_signature`: new cases, merges, state
or category changes, relocations) differs from the one it was built under. The signature is
read at most once every :data:`SIGNATURE_S` seconds per database, whichever question asks, so
an answer is at most that much older than the cases.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import Connection, Engine

from analysis.queries import case_signature
from geo.cache import SignatureCache

SIGNATURE_S = 2.0
MAX_ANSWERS = 32  # per database; answers with every area (``all=1``) run to megabytes


class _Signature:
    """The case signature of one database, re-read at most every ``every_s`` seconds."""

    def __init__(self, every_s: float) -> None:
        self.every_s = every_s
        self._value: Hashable = None
        self._at = float("-inf")
        self._lock = threading.Lock()

    def __call__(self, conn: Connection) -> Hashable:
        with self._lock:
            now = time.monotonic()
            if now - self._at >= self.every_s:
                self._value = case_signature(conn)
                self._at = now
            return self._value


class _Answers:
    def __init__(self) -> None:
        self.signature = _Signature(SIGNATURE_S)
        self.caches: dict[Hashable, SignatureCache[Any]] = {}


_BY_ENGINE: weakref.WeakKeyDictionary[Engine, _Answers] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def cached(engine: Engine, conn: Connection, key: Hashable,
           build: Callable[[Connection], Any]) -> Any:
    """The answer to ``key`` built by ``build(conn)``, or the one built under the same cases."""
    with _LOCK:
        answers = _BY_ENGINE.setdefault(engine, _Answers())
        cache = answers.caches.get(key)
        if cache is None:
            if len(answers.caches) >= MAX_ANSWERS:
                answers.caches.pop(next(iter(answers.caches)))  # the oldest question
            cache = SignatureCache(build, answers.signature, check_s=0.0)
            answers.caches[key] = cache
    return cache.get(conn)


def forget(engine: Engine) -> None:
    """Drop every answer kept for this database (tests; a restore)."""
    with _LOCK:
        _BY_ENGINE.pop(engine, None)
