"""Two console processes behind nginx, for real (``serve --workers 2``, as ``./run serve`` runs it):
a desk opened through the proxy stays on one worker (page and websocket) and sees a case
registered through the other; kill -9 of the worker holding the scheduler's advisory lock hands
the clocks to the survivor, the proxy routes around the dead one, and every overdue clock fires
exactly once (its audit rows counted); ``./run stop`` (``cli stop``) ends the rest.

No timed assertion: every wait is a bounded poll that fails naming what did not happen.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine, text

from console.ops.proxy import nginx_rate
from dispatch import limits
from dispatch.scheduler import LOCK_KEY
from tests.conftest import demo_copy
from tests.e2e.test_desk import VIEW, Desk, call

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")
HOLDER = text(
    "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = :hi "
    "AND l.objid::bigint = :lo AND l.database = "
    "(SELECT oid FROM pg_database WHERE datname = current_database())")
KEY = {"hi": LOCK_KEY >> 32, "lo": LOCK_KEY & 0xFFFF_FFFF}


def wait_until(what: str, check: Callable[[], T | None], *, timeout_s: float = 60.0) -> T:
    deadline = time.monotonic() + timeout_s
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.2)


def free_run(n: int) -> int:
    """A port P with P … P+n-1 all free on loopback."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port + n > 65535:
            continue
        try:
            for p in range(port, port + n):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
            return port
        except OSError:
            continue
    raise RuntimeError("no run of free ports")


@dataclass
class Farm:
    base: str  # through the proxy
    workers: tuple[int, ...]
    engine: Engine
    state: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes]

    def worker_base(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"

    def holder(self) -> int | None:
        """The worker port whose process holds the scheduler's lock."""
        with self.engine.connect() as conn:
            names = conn.scalars(HOLDER, KEY).all()
        assert len(names) <= 1, names
        return int(names[0].rsplit("-", 1)[1]) if names else None

    def pid(self, port: int) -> int:
        return int((self.state / f"console-{port}.pid").read_text())


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics answer: {(name, sorted labels): value}."""
    with urllib.request.urlopen(url, timeout=30) as resp:
        body = resp.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for fam in text_string_to_metric_families(body) for s in fam.samples}


@pytest.fixture(scope="module")
def farm(settings: Any, base_db: str, demo_territory: Any, tmp_path_factory: Any
         ) -> Iterator[Farm]:
    with demo_copy(settings, base_db, demo_territory, tag="wk") as (url, engine):
        state = tmp_path_factory.mktemp("workers")
        port = free_run(3)
        env = {**os.environ, "DATABASE_URL": url, "FQ_DB_NAME": engine.url.database or "",
               "FQ_STATE_DIR": str(state), "PYTHONPATH": str(ROOT)}
        for k in ("FQ_TLS_CERT", "FQ_TLS_KEY", "FQ_HTTP_REDIRECT_PORT", "PORT", "FQ_PORT"):
            env.pop(k, None)
        log = (state / "serve.log").open("wb")
        proc = subprocess.Popen([sys.executable, "-m", "console.ops.cli", "serve", "--workers",
                                 "2", "--port", str(port)], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        f = Farm(f"http://127.0.0.1:{port}", (port + 1, port + 2), engine, state, env, proc)
        try:
            wait_until("the workers and the proxy are ready", lambda: proc.poll() is None and
                       "console ready" in (state / "serve.log").read_text(), timeout_s=600)
            yield f
        finally:
            # ./run stop: the serving process, its workers and nginx
            subprocess.run([sys.executable, "-m", "console.ops.cli", "stop"], cwd=ROOT, env=env,
                           timeout=120, check=False)
            code: int | None = None
            try:
                code = proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
            log.close()
            print((state / "serve.log").read_text()[-3000:])
            assert code == 0, "serve --workers did not stop cleanly on ./run stop"
            assert not list(state.glob("*.pid")) and not (state / "proxy" / "nginx.pid").exists()


def test_a_desk_through_the_proxy_sees_a_case_registered_through_the_other_worker(
        farm: Farm, browser: Any, artifacts: Path) -> None:
    context = browser.new_context(viewport=VIEW, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    desk = Desk(page, farm.base, artifacts)
    page.on("request", lambda r: desk.requests.append(r.url))
    page.on("websocket", lambda ws: desk.requests.append(ws.url))
    page.on("pageerror", lambda exc: desk.errors.append(str(exc)))
    try:
        page.goto(farm.base + "/desk", wait_until="domcontentloaded")
        desk.wait_ready()
        assert any(u.startswith(farm.base.replace("http", "ws") + "/desk/ws")
                   for u in desk.requests), desk.requests[-5:]
        assert all(u.startswith((farm.base, farm.base.replace("http", "ws")))
                   for u in desk.requests if u.startswith(("http", "ws"))), desk.requests

        def connected(port: int) -> float:  # each worker's own figures, on its loopback port
            got = scrape(f"{farm.worker_base(port)}/metrics")
            return got.get(("fq_page_sessions", (("page", "/desk"), ("state", "connected"))), 0.0)

        # sticky: the page and its websocket reached one process (its session lives there)
        serving = wait_until("one worker holds the desk's connected session", lambda: (
            [w for w in farm.workers if connected(w) > 0] or None))
        assert len(serving) == 1, serving
        other = next(w for w in farm.workers if w != serving[0])
        status, case = call(farm.worker_base(other), "/api/v1/incidents", {
            "category": "debt", "channel": "walk_in", "priority": "normal",
            "difficulty": "simple", "description": "另一进程登记的借款纠纷", "address": "天山路128号",
            "auto_dispatch": False, "parties": [{"name": "跨进程", "phone": "13000000001"}]})
        assert status == 201, case
        desk.row(case["code"]).wait_for(timeout=30_000)
        assert connected(serving[0]) > 0 and connected(other) == 0
        assert not desk.errors, desk.errors
    finally:
        context.close()


def test_the_client_address_is_the_proxys_word_not_the_clients(farm: Farm) -> None:
    """The workers take the client's address from nginx's X-Real-IP, and nginx writes it from
    the connection, whatever the client sent: a loopback client claiming to be remote is still
    loopback (so a remote one cannot claim to be loopback). Each worker's figures are at
    /metrics/<n> through the proxy; /metrics alone names no worker."""
    req = urllib.request.Request(f"{farm.base}/metrics/1", headers={
        "X-Test-As": "anonymous", "X-Real-IP": "203.0.113.9", "X-Forwarded-For": "203.0.113.9"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200 and b"fq_http_request_duration_seconds" in resp.read()
    try:
        urllib.request.urlopen(f"{farm.base}/metrics", timeout=30)
        raise AssertionError("/metrics through the proxy should name a worker")
    except urllib.error.HTTPError as err:
        assert err.code == 404


def test_a_flood_without_cookies_meets_nginxs_limit_for_all_workers_the_staff_api_does_not(
        farm: Farm) -> None:
    """Challenges from one address without the route cookie spread over both workers, each
    under its own counter; nginx counts them together (console/ops/proxy.py: nginx_rate) and
    answers its own Chinese 429 past the limit, while a staff call through it still answers."""
    count, _ = limits.RESIDENT_CHALLENGES_PER_ADDRESS
    per_minute, _ = nginx_rate(limits.RESIDENT_CHALLENGES_PER_ADDRESS)
    answers: list[tuple[int, str, str | None]] = []
    started = time.monotonic()
    for _ in range(count + 10):  # urllib keeps no cookie: every request is hashed afresh
        req = urllib.request.Request(f"{farm.base}/api/v1/resident/challenge", method="POST")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                answers.append((resp.status, resp.read().decode(), None))
        except urllib.error.HTTPError as err:
            answers.append((err.code, err.read().decode(), err.headers.get("Retry-After")))
    # the bucket holds `count` and refills while the flood runs
    refills = int((time.monotonic() - started) * per_minute / 60) + 1
    passed = [a for a in answers if a[0] == 201]
    refused = [a for a in answers if a[0] == 429]
    assert refused and count <= len(passed) <= count + refills, (len(passed), refills)
    assert len(passed) + len(refused) == len(answers), \
        [a[:2] for a in answers if a[0] not in (201, 429)]
    for _, body, retry in refused:
        assert json.loads(body) == {"error": {"code": "throttled",
                                              "message": "提交过于频繁，请稍后再试"}}
        assert retry is not None and int(retry) > 0
    status, units = call(farm.base, "/api/v1/units")
    assert status == 200 and units, units


def _urgent_cases(base: str, n: int, tag: str) -> list[int]:
    ids = []
    for k in range(n):
        status, body = call(base, "/api/v1/incidents", {
            "category": "property", "channel": "hotline", "priority": "urgent",
            "difficulty": "simple", "description": f"{tag}物业纠纷{k}", "address": "天山路128号",
            "auto_dispatch": False, "parties": [{"name": f"{tag}{k}", "phone": f"1360000{k:04d}"}]})
        assert status == 201, body
        ids.append(int(body["id"]))
    return ids


def _due_now(engine: Engine, ids: list[int]) -> int:
    """Their sign-for warnings fall due now (as if 24 minutes had passed)."""
    with engine.begin() as conn:
        result: Any = conn.execute(text(
            "UPDATE incident_timers SET due_at = now() - interval '1 second' "
            "WHERE incident_id = ANY(:i) AND kind = 'sign' AND stage = 'warn' "
            "AND processed_at IS NULL"), {"i": ids})
        return int(result.rowcount)


def _warnings(engine: Engine, ids: list[int]) -> dict[int, int]:
    """Audit rows of the warning per timer of these cases."""
    with engine.connect() as conn:
        rows: Any = conn.execute(text(
            "SELECT (detail->>'timer_id')::bigint, count(*) FROM audit_log "
            "WHERE entity = 'incident' AND entity_id = ANY(:i) AND action = 'deadline_warn' "
            "GROUP BY 1"), {"i": ids}).all()
    return {int(t): int(n) for t, n in rows}


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    return False


def test_kill_9_of_the_lock_holder_hands_the_clocks_over_and_each_fires_once(farm: Farm) -> None:
    first = wait_until("a worker holds the scheduler's lock", farm.holder)
    survivor = next(w for w in farm.workers if w != first)
    before = _urgent_cases(farm.base, 3, "甲")
    after = _urgent_cases(farm.base, 3, "乙")
    assert _due_now(farm.engine, before) == 3
    wait_until("the holder fires the first warnings",
               lambda: len(_warnings(farm.engine, before)) == 3)

    os.kill(farm.pid(first), signal.SIGKILL)
    # kill returns before the kernel has closed the worker's listening socket: a connection
    # accepted into its backlog in that instant is reset after the request was sent, a 502
    # that nginx rightly does not send twice. Once the port refuses connections:
    wait_until("the killed worker's port refuses connections", lambda: _refused(first))
    # the proxy routes around the dead worker: no request is lost (a refused connection goes
    # to the next worker; a registration is never sent twice)
    more = _urgent_cases(farm.base, 4, "丙")
    wait_until("the survivor takes the lock", lambda: farm.holder() == survivor, timeout_s=90)
    assert _due_now(farm.engine, after + more) == 7
    wait_until("the survivor fires the other warnings",
               lambda: len(_warnings(farm.engine, after + more)) == 7, timeout_s=90)
    time.sleep(11)  # two more of the survivor's 5-second ticks: nothing may fire again
    fired = _warnings(farm.engine, before + after + more)
    assert len(fired) == 10 and set(fired.values()) == {1}, fired
    metrics = scrape(f"{farm.worker_base(survivor)}/metrics")
    assert metrics[("fq_scheduler_leading", ())] == 1.0
    log = (farm.state / "serve.log").read_text()
    wait_until("the watcher notices the dead worker and takes it out of the proxy",
               lambda: f"worker on port {first} does not answer: taken out of the proxy"
               in (farm.state / "serve.log").read_text())
    # the watcher's two checks (is the process alive, does it answer) run in either order
    wait_until("the watcher reports the killed worker's exit",
               lambda: f"worker on port {first} exited" in (farm.state / "serve.log").read_text())
    conf = (farm.state / "proxy" / "nginx.conf").read_text()
    assert f"server 127.0.0.1:{first} down " in conf and f"server 127.0.0.1:{survivor} max" in conf
    assert "Traceback" not in log
    with urllib.request.urlopen(f"{farm.base}/api/v1/health", timeout=30) as resp:
        assert json.loads(resp.read())["status"] == "ok"
