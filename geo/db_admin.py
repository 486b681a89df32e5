"""Whole-database chores for backup and restore: row counts, one exported snapshot, the server's
versions, and a database found, dropped or created empty."""

from __future__ import annotations

from sqlalchemy import Connection, text

from geo.db import NAME_PATTERN

_USER_TABLES = ("FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'spatial_ref_sys'")


def table_counts(conn: Connection) -> dict[str, int]:
    """Exact row counts of every ordinary table in the public schema (PostGIS's own left out)."""
    names: list[str] = list(conn.execute(text(
        f"SELECT tablename {_USER_TABLES} ORDER BY tablename")).scalars())
    return {n: int(conn.scalar(text(f'SELECT count(*) FROM public."{n}"')) or 0) for n in names}


def user_table_count(conn: Connection) -> int:
    """How many tables of ours the database holds (0: an empty database)."""
    return int(conn.scalar(text(f"SELECT count(*) {_USER_TABLES}")) or 0)


def export_snapshot(conn: Connection) -> str:
    """Begin a read-only repeatable-read transaction and export its snapshot (``pg_dump
    --snapshot`` joins it, so counts and dump agree); the caller rolls back when done."""
    conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
    return str(conn.scalar(text("SELECT pg_export_snapshot()")))


def server_facts(conn: Connection) -> tuple[str, str | None, str | None]:
    """PostgreSQL's version, PostGIS's, and the schema's migration revision(s)."""
    row = conn.execute(text(
        "SELECT current_setting('server_version'), "
        "(SELECT extversion FROM pg_extension WHERE extname = 'postgis'), "
        "(SELECT string_agg(version_num, ',') FROM alembic_version)")).one()
    return str(row[0]), row[1], row[2]


def _checked(name: str) -> str:
    if not NAME_PATTERN.match(name):
        raise ValueError(f"bad database name {name!r}")
    return name


def database_exists(admin: Connection, name: str) -> bool:
    return admin.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                        {"n": name}) is not None


def drop_database(admin: Connection, name: str) -> None:
    """Drop it, closing its sessions (``admin`` in autocommit on another database)."""
    admin.execute(text(f'DROP DATABASE "{_checked(name)}" WITH (FORCE)'))


def create_empty_database(admin: Connection, name: str) -> None:
    """An empty UTF-8 database with the C.UTF-8 collation (pg_trgm needs a UTF-8 ctype)."""
    admin.execute(text(f'CREATE DATABASE "{_checked(name)}" TEMPLATE template0 ENCODING '
                       "'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"))
