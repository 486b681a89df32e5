"""Wire settings, database and services together once per process (never at import time)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from geo import db
from geo.cache import SignatureCache
from geo.locate import Locator, locator_cache
from geo.routing import RoadGraph, road_graph_cache
from geo.settings import Settings


@dataclass(frozen=True)
class App:
    """What request handlers and pages share: settings and the database engine."""

    settings: Settings
    engine: Engine
    locators: SignatureCache[Locator] = field(default_factory=locator_cache)
    graphs: dict[str, SignatureCache[RoadGraph]] = field(default_factory=lambda: {
        "drive": road_graph_cache("drive"), "walk": road_graph_cache("walk")})


def bootstrap(settings: Settings | None = None, *, url: str | None = None) -> App:
    """Make the database ready (local cluster started, migrated) and return the App."""
    settings = settings or Settings.from_env()
    if url is None:
        url = db.ready_database(settings)
    engine = db.make_engine(url, pool_size=5, max_overflow=5)
    return App(settings=settings, engine=engine)
