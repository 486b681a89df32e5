"""Engines, databases and migrations: the local cluster or DATABASE_URL, made ready on demand."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from geo.cluster import LocalCluster
from geo.settings import PROJECT_ROOT, Settings

ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"
NAME_PATTERN = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def cluster_for(settings: Settings) -> LocalCluster | None:
    """The local cluster these settings use, or None when DATABASE_URL names a server."""
    if settings.database_url:
        return None
    return LocalCluster(state_dir=settings.state_dir, port=settings.pg_port, tcp=settings.pg_tcp)


def driver_url(url_text: str) -> str:
    """``url_text`` with psycopg named as its driver (a libpq ``postgresql://`` URL given)."""
    url = make_url(url_text)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def server_url(settings: Settings, dbname: str | None = None) -> str:
    """URL of database ``dbname`` (default: the configured one), starting the local cluster."""
    cluster = cluster_for(settings)
    if cluster is None:
        url = make_url(driver_url(settings.database_url or ""))
        if dbname:
            url = url.set(database=dbname)
        return url.render_as_string(hide_password=False)
    cluster.start()
    return cluster.url(dbname or settings.db_name)


def libpq_url(url: str | Engine) -> str:
    """The libpq form of a SQLAlchemy URL (for psycopg's own LISTEN connections and psql)."""
    text_url = url.url.render_as_string(hide_password=False) if isinstance(url, Engine) else url
    return text_url.replace("postgresql+psycopg://", "postgresql://")


def make_engine(url: str, **kwargs: object) -> Engine:
    return create_engine(url, pool_pre_ping=True, **kwargs)


def create_database(settings: Settings, name: str, *, drop_first: bool = False) -> str:
    """Create database ``name`` on the configured server (idempotent); return its URL."""
    if not NAME_PATTERN.match(name):
        raise ValueError(f"bad database name {name!r}")
    admin = make_engine(server_url(settings, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if drop_first:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0 '
                                  "ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"))
    finally:
        admin.dispose()
    return server_url(settings, name)


def drop_database(settings: Settings, name: str) -> None:
    admin = make_engine(server_url(settings, "postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def migrate(url: str, *, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` with Alembic (idempotent)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ALEMBIC_INI))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.attributes["url"] = url
    command.upgrade(cfg, revision)


def ready_database(settings: Settings, name: str | None = None) -> str:
    """Create (if needed) and migrate the database; return its URL."""
    url = create_database(settings, name or settings.db_name)
    migrate(url)
    return url


def state_path(settings: Settings, *parts: str) -> Path:
    path = settings.state_dir.joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def database_down(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) says the database cannot be reached right now.

    A refused or dropped connection (``OperationalError``, ``InterfaceError``, an invalidated
    connection), an exhausted pool, and a transaction that must be rolled back after its
    connection died; not a constraint violation or a bad query, which stay 4xx/500."""
    import psycopg  # the listener's own connections (console.live.notify) raise its errors

    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, sa_exc.DBAPIError):
            if exc.connection_invalidated or isinstance(
                    exc, sa_exc.OperationalError | sa_exc.InterfaceError):
                return True
        elif isinstance(exc, sa_exc.TimeoutError | sa_exc.PendingRollbackError
                        | psycopg.OperationalError | psycopg.InterfaceError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False
