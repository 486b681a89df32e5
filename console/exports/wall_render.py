"""The wall PNG: Debian's chromium renders this server's own ``/wall`` (the address it listens on,
never a request's ``Host``) with a short-lived session of the caller's own account, each render
within a hard time limit, one browser at a time behind a short queue.

The caller's cookie, token or key never reach the browser: a fresh session of the same
account (same role, same jurisdiction) is opened for :attr:`WallRenderer.limit_s` plus a
margin and revoked as soon as the picture is taken.
"""

from __future__ import annotations

import asyncio
import importlib.util
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from console.bootstrap import App
from dispatch.access import ROLES, Principal
from dispatch.adapters import accounts as repo

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
WALL_SIZE = {"width": 1920, "height": 1080}
WALL_ROLES = frozenset({"admin", "duty", "leader"})
"""Accounts that may export the wall: the whole-territory roles of the command centre."""
LIMIT_S = 30.0  # a normal render takes 4-8 s on two cores
QUEUE = 2  # requests waiting behind the one rendering; more get 503
RETRY_AFTER_S = 30
WALL_READY_JS = """() => {
  const find = (root) => { for (const el of root.querySelectorAll('*')) {
    if (el.classList && el.classList.contains('lm-root')) { return el }
    if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) { return f } } } return null }
  const map = find(document)
  if (!map || !map.dataset.layers) { return false }
  const st = JSON.parse(map.dataset.layers)
  return ['grids', 'streets', 'communities'].every((n) => st[n] && st[n].status !== 'loading'
                                                   && st[n].status !== 'idle')
}"""


class Busy(Exception):
    """The queue is full: come back after :data:`RETRY_AFTER_S` seconds."""


class Overtime(Exception):
    """The wall did not become ready within the limit."""


def refusal(p: Principal) -> str | None:
    """The Chinese reason this caller may not export the wall, or None."""
    if p.kind != "account" or p.account_id is None:
        return "大屏图片只对账号开放（领导、值班长、管理员），接口密钥不能导出"
    if p.role not in WALL_ROLES:
        allowed = "、".join(ROLES[r] for r in sorted(WALL_ROLES))
        return f"权限不足：{ROLES.get(p.role or '', p.role or '')}不能导出大屏图片（限{allowed}）"
    return None


def shoot(base: str, token: str, *, limit_s: float,
          chromium: Path = CHROMIUM) -> bytes:
    """A 1920×1080 PNG of ``{base}/wall`` seen with the session ``token``; every step shares
    one deadline of ``limit_s`` seconds (browser start included), :class:`Overtime` past it."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    deadline = time.monotonic() + limit_s

    def left() -> float:
        ms = (deadline - time.monotonic()) * 1000
        if ms <= 0:
            raise Overtime
        return ms

    host = base.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0].strip("[]")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS,
                                         timeout=left())
            try:
                context = browser.new_context(viewport={"width": WALL_SIZE["width"],
                                                        "height": WALL_SIZE["height"]},
                                              ignore_https_errors=base.startswith("https:"))
                context.add_cookies([{"name": "fq_session", "value": token, "domain": host,
                                      "path": "/", "httpOnly": True, "sameSite": "Strict"}])
                page = context.new_page()
                page.goto(f"{base}/wall", wait_until="domcontentloaded", timeout=left())
                page.wait_for_function(WALL_READY_JS, timeout=left())
                page.locator(".wb-top[data-updated]").wait_for(timeout=left())
                page.wait_for_timeout(min(500.0, left()))  # the canvases' last frame
                return page.screenshot(type="png", timeout=left())
            finally:
                browser.close()
    except PlaywrightError as err:
        if "Timeout" in type(err).__name__ or "timeout" in str(err).lower():
            raise Overtime from err
        raise


class WallRenderer:
    """One chromium at a time for one server; :data:`QUEUE` more may wait, within the limit."""

    def __init__(self, app: App, *, limit_s: float = LIMIT_S, queue: int = QUEUE,
                 chromium: Path = CHROMIUM) -> None:
        self.app = app
        self.limit_s = limit_s
        self.queue = queue
        self.chromium = chromium
        self.pending = 0
        self._lock: asyncio.Lock | None = None

    @property
    def available(self) -> bool:
        return self.missing is None

    @property
    def missing(self) -> str | None:
        """What this server lacks to draw the wall (Chinese, for the 503), or None."""
        lacks = [what for what, ok in (
            (f"chromium（apt-get install chromium，应在 {self.chromium}）", self.chromium.exists()),
            ("Python 包 playwright（装有 chromium 时 ./run 自动安装 requirements-wall.txt）",
             importlib.util.find_spec("playwright") is not None)) if not ok]
        return "、".join(lacks) if lacks else None

    async def render(self, p: Principal) -> tuple[bytes, float]:
        """The PNG for ``p`` and the seconds it took; :class:`Busy` or :class:`Overtime`.

        Each render has the whole :attr:`limit_s`; a request waits for at most the renders
        ahead of it (at most :attr:`queue`, each ending within its limit)."""
        base = self.app.served.local_url
        if base is None:
            raise RuntimeError("the server's own address is not known (make_server sets it)")
        if self.pending >= 1 + self.queue:
            raise Busy
        self.pending += 1
        t0 = time.monotonic()
        self._lock = self._lock or asyncio.Lock()
        try:
            await asyncio.wait_for(self._lock.acquire(), (self.limit_s + 10.0) * self.queue)
        except TimeoutError:
            self.pending -= 1
            raise Busy from None
        job = asyncio.ensure_future(asyncio.to_thread(self._run, base, p, self.limit_s))
        lock = self._lock

        def done(_: Any) -> None:  # the browser is gone only when the thread ends
            lock.release()
            self.pending -= 1
        job.add_done_callback(done)
        finished, _ = await asyncio.wait({job}, timeout=self.limit_s + 5.0)
        if not finished:
            raise Overtime
        return job.result(), time.monotonic() - t0

    def _run(self, base: str, p: Principal, limit_s: float) -> bytes:
        assert p.account_id is not None
        with self.app.engine.begin() as conn:
            token, _ = repo.open_session(conn, p.account_id, client="page",
                                         ttl=timedelta(seconds=limit_s + 60))
        try:
            return shoot(base, token, limit_s=limit_s, chromium=self.chromium)
        finally:
            with self.app.engine.begin() as conn:
                repo.revoke_token(conn, token)
            self.app.auth.forget(token)
