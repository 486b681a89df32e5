"""Shared fixtures: a fresh PostGIS database per test session, never the demo's."""

from __future__ import annotations

import contextlib
import os
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from console.settings import ConsoleSettings
from geo import db
from geo.settings import Settings

SHARED_DATA = Path(os.environ.get("FQ_SHARED_DATA")  # a checkout elsewhere than beside shared/
                   or Path(__file__).resolve().parents[2] / "shared" / "data")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
DEMO_USERS = ("admin", "duty", "dispatcher1", "dispatcher2", "leader", "field1")
DEMO_PASSWORD = "demo12345"
# One bearer token per demo account for this test run, the same in every demo database, so
# tests (urllib, the browser's cookie) are logged in without a login round trip each.
TOKENS = {u: f"test-{u}-{uuid.uuid4().hex}" for u in DEMO_USERS}
AS_USER = "X-Test-As"  # a request header the test opener turns into that user's token
SERVED: dict[str, str] = {}  # base URL of a running test console -> its database URL


class _LoggedIn(urllib.request.BaseHandler):
    """urllib: requests to the test servers carry ``duty``'s token (``admin``'s under
    /api/v1/admin/) unless they bring their own credentials, name another demo user in
    ``X-Test-As`` or ask for ``anonymous``."""

    handler_order = 100

    def http_request(self, req: urllib.request.Request) -> urllib.request.Request:
        url = urllib.parse.urlsplit(req.full_url)
        default = "admin" if url.path.startswith("/api/v1/admin/") else "duty"
        who = req.get_header(AS_USER.capitalize()) or default
        req.remove_header(AS_USER.capitalize())
        host = url.hostname
        if (host in ("127.0.0.1", "localhost") and who != "anonymous"
                and not req.has_header("Authorization") and not req.has_header("X-api-key")):
            req.add_unredirected_header("Authorization", f"Bearer {TOKENS[who]}")
        return req


urllib.request.install_opener(urllib.request.build_opener(_LoggedIn()))


def add_test_accounts(conn) -> None:  # type: ignore[no-untyped-def]
    """The demo accounts and key, and this run's fixed session tokens (:data:`TOKENS`)."""
    from demo.accounts import ensure_demo_accounts
    from dispatch.adapters.accounts import open_session

    ensure_demo_accounts(conn)
    for user, token in TOKENS.items():
        account_id = conn.scalar(text("SELECT id FROM accounts WHERE username = :u"), {"u": user})
        open_session(conn, account_id, token=token)


def as_user(user: str) -> dict[str, str]:
    """Headers that make a urllib request to a test server come from ``user``."""
    return {AS_USER: user}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        # schemathesis 4 under pytest 9 gives every API operation's item the same node id;
        # pytest-xdist schedules by node id and ran only the first of them (79 of 81 lost)
        label = getattr(item, "operation_label", None)
        if label and not item.nodeid.endswith("]"):
            from _pytest.nodeid import coerce_node_id  # pytest 9: the id is a NodeId

            item._id = coerce_node_id(f"{item.nodeid}[{label}]")  # type: ignore[attr-defined]
        parts = Path(str(item.fspath)).parts
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)
        if "e2e" in parts:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return ConsoleSettings.from_env()  # a Settings, with the console's own (tests/e2e/test_https.py)


@pytest.fixture(scope="session")
def base_db(settings: Settings) -> Iterator[str]:
    """An empty, migrated database that per-test databases are copied from."""
    name = f"fq_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = db.create_database(settings, name, drop_first=True)
    db.migrate(url)
    yield name
    for _, template in _TEMPLATES.values():
        db.drop_database(settings, template)
    _TEMPLATES.clear()
    db.drop_database(settings, name)


# territory's id -> (territory, the database holding it that no one connects to)
_TEMPLATES: dict[int, tuple[object, str]] = {}


def loaded_template(settings: Settings, base_db: str, territory) -> str:  # type: ignore[no-untyped-def]
    """A database holding ``territory`` and the test accounts, loaded once per session and never
    connected to again: each writable copy is then a file copy (``CREATE DATABASE … TEMPLATE``),
    seconds instead of a territory load each."""
    from geo.loader import load_territory

    found = _TEMPLATES.get(id(territory))
    if found is not None:
        return found[1]
    name = f"{base_db}_t{len(_TEMPLATES)}"
    engine = db.make_engine(_copy_db(settings, base_db, name))
    try:
        with engine.begin() as conn:
            load_territory(conn, territory)
            add_test_accounts(conn)
    finally:
        engine.dispose()  # a template must have no connections when it is copied
    _TEMPLATES[id(territory)] = (territory, name)
    return name


def _copy_db(settings: Settings, template: str, name: str) -> str:
    admin = db.make_engine(db.server_url(settings, "postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return db.server_url(settings, name)


@pytest.fixture
def empty_engine(settings: Settings, base_db: str) -> Iterator[Engine]:
    """A fresh migrated database with no data, dropped after the test."""
    name = f"{base_db}_{uuid.uuid4().hex[:6]}"
    engine = db.make_engine(_copy_db(settings, base_db, name))
    yield engine
    engine.dispose()
    db.drop_database(settings, name)


@pytest.fixture(scope="session")
def demo_territory(settings: Settings):  # type: ignore[no-untyped-def]
    """The demo territory, generated once per code version and cached under .state/cache.

    Parallel workers (pytest-xdist) take turns on a file lock: the first builds the cache, the
    others wait and read it instead of building (and writing) it at the same time."""
    import fcntl

    from demo.seed import cached_demo

    cache = settings.state_dir / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / "territory.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        territory = cached_demo(cache, size="demo", seed=settings.seed, say=lambda m: None)
        if _days_old(territory) > MAX_DEMO_AGE_DAYS:  # its history ends at the day it was built
            for old in cache.glob(f"territory-demo-{settings.seed}-*.pickle"):
                old.unlink()
            territory = cached_demo(cache, size="demo", seed=settings.seed, say=lambda m: None)
        return territory


# Tests that read the database's now() against the demo's history (the wall's 7- and 30-day
# windows, today's trend bar) need a history that reaches near today: a cache built more than
# this many days ago is built again (its year of history ends on the day it was generated).
MAX_DEMO_AGE_DAYS = 3


def _days_old(territory) -> int:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    last = territory.frames["incidents"]["reported_at"].max()
    return (datetime.now(UTC) - last.to_pydatetime()).days


@pytest.fixture(scope="session")
def demo_engine(settings: Settings, base_db: str, demo_territory) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """A database holding the demo territory, shared read-only by a session's tests."""
    name = f"{base_db}_demo"
    engine = db.make_engine(_copy_db(settings, loaded_template(settings, base_db, demo_territory),
                                     name))
    yield engine
    engine.dispose()
    db.drop_database(settings, name)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_console(settings: Settings, url: str) -> Iterator[str]:
    """The real console (pages, API, static files) on a free port over database ``url``."""
    import asyncio
    import threading
    import time
    import urllib.request

    from console.bootstrap import bootstrap
    from console.server import make_server

    app = bootstrap(settings, url=url)
    port = free_port()
    holder: dict = {}

    def serve() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        server = make_server(app, port=port, address="127.0.0.1")
        holder["server"] = server
        server.start()
        server.io_loop.start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/v1/health", timeout=5).read()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    SERVED[base] = url
    try:
        yield base
    finally:
        SERVED.pop(base, None)
        server = holder["server"]
        server.io_loop.add_callback(server.io_loop.stop)
        thread.join(timeout=10)
        from console.live.hub_base import stop_live

        stop_live(app)  # no hub or listener thread outlives it (its database may be dropped next)
        app.engine.dispose()


@pytest.fixture(scope="session")
def live_server(settings: Settings, demo_engine: Engine) -> Iterator[str]:
    """The real console over the shared demo database: read-only tests only."""
    with serve_console(settings, demo_engine.url.render_as_string(hide_password=False)) as base:
        yield base


@contextlib.contextmanager
def demo_copy(settings: Settings, base_db: str, territory, *, tag: str = "w"  # type: ignore[no-untyped-def]
              ) -> Iterator[tuple[str, Engine]]:
    """A fresh database holding ``territory`` that the caller may write to; dropped after."""
    name = f"{base_db}_{tag}{uuid.uuid4().hex[:6]}"
    url = _copy_db(settings, loaded_template(settings, base_db, territory), name)
    engine = db.make_engine(url)
    try:
        yield url, engine
    finally:
        engine.dispose()
        db.drop_database(settings, name)


@pytest.fixture(scope="module")
def writable_server(settings: Settings, base_db: str, demo_territory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The real console over a private copy of the demo, for tests that write."""
    with demo_copy(settings, base_db, demo_territory) as (url, _), \
            serve_console(settings, url) as base:
        yield base
