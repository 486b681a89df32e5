"""Who is calling: the principal of a request from its session cookie, bearer token or API key.

Pages carry the ``fq_session`` cookie (HttpOnly, SameSite=Strict) set by ``/login``; API
clients send ``Authorization: Bearer <token>`` from ``POST /api/v1/auth/token`` or
``X-API-Key``. Tokens are looked up in ``auth_sessions`` (hashed) and cached for a few
seconds, so a revoked session stops working within :data:`CACHE_S` on other processes and at
once on this one.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from dispatch.access import Principal
from dispatch.adapters import accounts as repo

log = logging.getLogger(__name__)
COOKIE = "fq_session"
CACHE_S = 5.0
# Routes open without credentials (exact paths; static files are served by Panel).
PUBLIC_PATHS = frozenset({"/api/v1/health", "/api/v1/auth/token", "/login", "/logout"})
# Open311 checks its own ``api_key`` parameter (the GeoReport v2 convention).
PUBLIC_PREFIXES = ("/open311/", "/api/v1/resident/")  # 扫码说事: residents have no account


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def credentials(headers: Any, cookie: str | None) -> tuple[str, str] | None:
    """``("token", t)``, ``("key", k)`` or None, from the request's headers and cookie."""
    auth = headers.get("Authorization") or ""
    if auth[:7].lower() == "bearer " and auth[7:].strip():
        return "token", auth[7:].strip()
    key = headers.get("X-API-Key")
    if key:
        return "key", key.strip()
    if cookie:
        return "token", cookie
    return None


class Authenticator:
    """Resolves credentials to principals (database look-up, briefly cached)."""

    def __init__(self, *, cache_s: float = CACHE_S) -> None:
        self.cache_s = cache_s
        self._cache: dict[tuple[str, str], tuple[float, Principal | None]] = {}
        self._lock = threading.Lock()
        # told of every forget (console.live.sessions closes the ended sessions' channels)
        self.listeners: list[Callable[[str | None], None]] = []

    def resolve(self, engine: Engine, kind: str, value: str) -> Principal | None:
        if not value or len(value) > 512:
            return None
        key = (kind, repo.token_hash(value))
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit is not None and now - hit[0] < self.cache_s:
            return hit[1]
        with engine.connect() as conn:
            p = (repo.principal_for_token(conn, value) if kind == "token"
                 else repo.principal_for_api_key(conn, value))
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key] = (now, p)
        return p

    def forget(self, value: str | None = None) -> None:
        """Drop a token from the cache (logout), or everything (password change)."""
        with self._lock:
            if value is None:
                self._cache.clear()
            else:
                self._cache.pop(("token", repo.token_hash(value)), None)
        for listener in list(self.listeners):
            try:
                listener(value)
            except Exception:  # a listener must not turn a logout into a 500
                log.exception("auth listener failed")

    def of_request(self, engine: Engine, handler: Any) -> Principal | None:
        creds = credentials(handler.request.headers, handler.get_cookie(COOKIE))
        return None if creds is None else self.resolve(engine, *creds)

    async def of_request_async(self, engine: Engine, handler: Any) -> Principal | None:
        creds = credentials(handler.request.headers, handler.get_cookie(COOKIE))
        if creds is None:
            return None
        return await asyncio.to_thread(self.resolve, engine, *creds)


async def audit_access(engine: Engine, **row: Any) -> None:
    """Write an access audit row (login, refusal, unmasking); a failure is logged, not raised."""
    def work() -> None:
        with engine.begin() as conn:
            repo.audit(conn, **row)
    try:
        await asyncio.to_thread(work)
    except Exception:  # auditing must not turn a refusal into a 500
        log.exception("access audit failed")


def lookup_api_key(app: Any, key: str) -> dict[str, Any] | None:
    """An active API key's ``name``, ``scopes`` and ``street_id`` (for faces that take the key
    as a parameter, like Open311), or None."""
    p = app.auth.resolve(app.engine, "key", key) if key else None
    if p is None:
        return None
    return {"name": p.name, "scopes": sorted(p.scopes), "street_id": p.street_id,
            "principal": p}


def safe_next(target: str | None) -> str | None:
    """A same-site path to go back to after login, or None (never another host).

    Browsers strip TAB, CR and LF from a ``Location`` and read ``\\`` as ``/``, so
    ``/\t/evil.example`` or ``/\\evil.example`` would become ``//evil.example``: any control
    character, backslash or space, and anything whose percent-decoding holds one or starts
    ``//``, is refused outright rather than cleaned."""
    if not target or len(target) > 2000 or not target.startswith("/"):
        return None
    decoded = urllib.parse.unquote(target)
    for text in (target, decoded):
        if text.startswith("//") or any(ch == "\\" or ch.isspace() or ord(ch) < 0x20
                                        or 0x7F <= ord(ch) < 0xA0 for ch in text):
            return None
    parts = urllib.parse.urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if target.startswith(("/login", "/logout")):
        return None
    return urllib.parse.quote(target, safe="/?&=#%:@!$'()*+,;~-._")  # ASCII for Location
