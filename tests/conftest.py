"""Shared fixtures: a fresh PostGIS database per test session, never the demo's."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from geo import db
from geo.settings import Settings

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        if "integration" in parts:
            item.add_marker(pytest.mark.integration)
        if "e2e" in parts:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def base_db(settings: Settings) -> Iterator[str]:
    """An empty, migrated database that per-test databases are copied from."""
    name = f"fq_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = db.create_database(settings, name, drop_first=True)
    db.migrate(url)
    yield name
    db.drop_database(settings, name)


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
    """The demo territory, generated once per code version and cached under .state/cache."""
    from dispatch.seed import cached_demo

    return cached_demo(settings.state_dir / "cache", size="demo", seed=settings.seed,
                       say=lambda m: None)


@pytest.fixture(scope="session")
def demo_engine(settings: Settings, base_db: str, demo_territory) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """A database holding the demo territory, shared read-only by a session's tests."""
    from geo.loader import load_territory

    name = f"{base_db}_demo"
    engine = db.make_engine(_copy_db(settings, base_db, name))
    with engine.begin() as conn:
        load_territory(conn, demo_territory)
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
    try:
        yield base
    finally:
        server = holder["server"]
        server.io_loop.add_callback(server.io_loop.stop)
        thread.join(timeout=10)
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
    from geo.loader import load_territory

    name = f"{base_db}_{tag}{uuid.uuid4().hex[:6]}"
    url = _copy_db(settings, base_db, name)
    engine = db.make_engine(url)
    try:
        with engine.begin() as conn:
            load_territory(conn, territory)
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
