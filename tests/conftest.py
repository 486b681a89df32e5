"""Shared fixtures: a fresh PostGIS database per test session, never the demo's."""

from __future__ import annotations

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
