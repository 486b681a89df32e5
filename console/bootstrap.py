"""Wire settings, database and services together once per process (never at import time)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from console.auth import Authenticator
from console.live.sessions import LiveChannels
from console.read_side import APPLICATION_NAME, ReadSide
from console.settings import ConsoleSettings
from dispatch.adapters.road_eta import road_graph_caches
from dispatch.bootstrap import Dispatch
from dispatch.bootstrap import bootstrap as bootstrap_dispatch
from geo import db
from geo.cache import SignatureCache
from geo.geocode_memory import MemoryGazetteer, gazetteer_cache, reverse_in_memory
from geo.geocode_reverse import ReverseResult, reverse_geocode
from geo.locate import Locator, locator_cache
from geo.routing import RoadGraph
from geo.settings import Settings
from layers.tiles import TileSettings


@dataclass
class Served:
    """Where this process's server listens, set once by ``make_server``: the wall export
    renders from here and cookie-authenticated writes must come from one of ``origins``
    (never from what a request's ``Host`` header claims)."""

    scheme: str = "http"
    address: str = "127.0.0.1"
    port: int | None = None
    origins: tuple[str, ...] = ()

    @property
    def local_url(self) -> str | None:
        """The loopback (or listen) address this server answers on, or None before serving."""
        if self.port is None:
            return None
        host = self.address
        if host in ("", "0.0.0.0", "localhost"):
            host = "127.0.0.1"
        elif host == "::":
            host = "[::1]"
        elif ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"{self.scheme}://{host}:{self.port}"


@dataclass(frozen=True)
class App:
    """What request handlers and pages share: settings, the engine, caches, the domain."""

    settings: ConsoleSettings
    engine: Engine
    dispatch: Dispatch
    locators: SignatureCache[Locator] = field(default_factory=locator_cache)
    graphs: dict[str, SignatureCache[RoadGraph]] = field(default_factory=road_graph_caches)
    auth: Authenticator = field(default_factory=Authenticator)
    tiles: TileSettings = field(default_factory=TileSettings)
    """The basemap every page's map draws (``FQ_TILE_URL``, ``FQ_TILE_CRS``, ``FQ_TILE_DIR``)."""
    served: Served = field(default_factory=Served)
    live: LiveChannels = field(default_factory=LiveChannels)
    """The pages' websockets and event streams by session (watching once ``make_server`` ran)."""
    reads: ReadSide | None = None
    """Where read-heavy work reads (``FQ_READ_DATABASE_URL``); None: the primary, ``engine``."""
    gazetteer: SignatureCache[MemoryGazetteer] = field(default_factory=gazetteer_cache)
    """The reverse geocoder's gazetteer in memory (a registered point's label)."""

    def reverse_label(self, lon: float, lat: float) -> ReverseResult:
        """A WGS-84 point's label (``geo.geocode_reverse``'s answer) from the process's locator
        and gazetteer; a connection only when a cache is due its check, or for a point in no
        micro-grid (the database snaps it)."""
        locator, gaz = self.locators.fresh(), self.gazetteer.fresh()
        if locator is not None and gaz is not None:
            found = reverse_in_memory(locator, gaz, lon, lat)
            if found is not None:
                return found
        with self.engine.connect() as conn:
            found = reverse_in_memory(self.locators.get(conn), self.gazetteer.get(conn), lon, lat)
            return found if found is not None else reverse_geocode(conn, lon, lat)

    def read_engine(self) -> Engine:
        """The engine for wall figures, map layers, analyses and exports right now: the replica
        while its lag is within the limit, else the primary (``console.read_side``)."""
        return self.engine if self.reads is None else self.reads.engine()


def bootstrap(settings: Settings | None = None, *, url: str | None = None,
              tiles: TileSettings | None = None) -> App:
    """Make the database ready (local cluster started, migrated) and return the App.

    ``settings`` are the ones built at start (``None``: read the environment now; a bad value
    raises ``ValueError`` with the Chinese reason before anything starts); a ground-only
    :class:`Settings` gets the console's defaults. ``tiles`` overrides ``settings.tiles``."""
    settings = ConsoleSettings.from_env() if settings is None else ConsoleSettings.extend(settings)
    tiles = settings.tiles if tiles is None else tiles
    if url is None:
        url = db.ready_database(settings)
    engine = db.make_engine(url, pool_size=5, max_overflow=5)
    replica = None
    if settings.read_database_url:
        replica = db.make_engine(db.driver_url(settings.read_database_url), pool_size=5,
                                 max_overflow=5, connect_args={
                                     "application_name": APPLICATION_NAME, "connect_timeout": 3})
    locators = locator_cache()
    graphs = road_graph_caches()  # one copy per process: the /route face and the recommender
    return App(settings=settings, engine=engine, locators=locators, graphs=graphs, tiles=tiles,
               dispatch=bootstrap_dispatch(engine, locators=locators, graphs=graphs,
                                           outbox_off=settings.notify.off),
               reads=ReadSide(engine, replica))
