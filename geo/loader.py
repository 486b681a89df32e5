"""Bulk-load a Territory into PostGIS with COPY, all tables in one transaction."""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, time
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geoalchemy2 import Geometry
from pandas.core.dtypes.dtypes import BaseMaskedDtype
from sqlalchemy import Connection, Table, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from geo.schema import SRID, metadata
from geo.territory import TABLE_ORDER, Territory

Progress = Callable[[str, int], None]

# Tables whose names the geocoder searches: loading any of them rebuilds its name table.
_SEARCHED = ("districts", "streets", "communities", "grids", "addr_roads", "compounds", "places",
             "addresses")
# Tables whose ids come from a sequence (serial) and must be moved past the loaded ids.
_SERIAL = ("incidents", "assignments", "incident_closures", "followups", "incident_timers",
           "mediation_sessions")
# Append-only tables (a trigger refuses TRUNCATE): loaded rows are added, never replaced, and
# take their ids from the table's own sequence.
_APPEND_ONLY = ("audit_log",)


def _geometry_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if isinstance(c.type, Geometry)]


def _cell(value: Any, kind: str) -> Any:
    """One Python value as psycopg's COPY wants it (None for missing)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    if kind == "json":
        return json.dumps(value, ensure_ascii=False)
    if kind == "array":
        return list(value)
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, datetime | date | time):
        return value
    return value


def _rows(frame: pd.DataFrame, table: Table) -> tuple[list[str], Iterable[tuple[Any, ...]]]:
    geo_cols = _geometry_columns(table)
    # a NOT NULL column with a server default that the frame leaves empty takes the default
    cols = [c.name for c in table.columns if c.name in frame.columns
            and not (c.server_default is not None and not c.nullable
                     and frame[c.name].isna().all() and len(frame))]
    missing_required = [c.name for c in table.columns
                        if not c.nullable and c.server_default is None and c.name not in cols
                        and not c.primary_key]
    if missing_required:
        raise ValueError(f"{table.name}: missing columns {missing_required}")
    data: list[Any] = []
    for name in cols:
        ctype = table.columns[name].type
        if name in geo_cols:
            geoms = np.asarray(frame[name].values, dtype=object)
            geoms = shapely.set_srid(geoms, SRID)
            data.append(shapely.to_wkb(geoms, hex=True, include_srid=True).tolist())
        else:
            kind = ("json" if isinstance(ctype, JSONB) else
                    "array" if isinstance(ctype, ARRAY) else "plain")
            data.append(_column(frame[name], kind))
    return cols, zip(*data, strict=True)


def _column(values: pd.Series, kind: str) -> list[Any]:
    """One column as COPY wants it, converted whole where its dtype allows (a per-value
    ``_cell`` for 200,000 rows costs seconds)."""
    dtype = values.dtype
    if kind == "plain" and isinstance(dtype, pd.DatetimeTZDtype):
        # ISO text in UTC, formatted by numpy: a Timestamp per value cost most of a big load
        utc = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
        text_ = np.datetime_as_string(utc, unit="us").tolist()
        return [None if t == "NaT" else t + "+00" for t in text_]
    if kind == "plain" and isinstance(dtype, BaseMaskedDtype):
        return list(values.array.to_numpy(dtype=object, na_value=None))  # Int64: int or None
    if kind == "plain" and isinstance(dtype, np.dtype) and dtype.kind in "iub":
        out: list[Any] = values.to_numpy().tolist()  # numpy scalars -> Python ints
        return out
    listed = values.tolist()
    if kind == "plain" and all(type(v) is str for v in listed):
        return listed
    return [_cell(v, kind) for v in listed]


def copy_frame(conn: Connection, table_name: str, frame: pd.DataFrame,
               *, progress: Progress | None = None, into: str | None = None) -> int:
    """COPY one frame into its table (or ``into``, a table shaped like it); returns rows."""
    table = metadata.tables[table_name]
    if isinstance(frame, gpd.GeoDataFrame):
        frame = pd.DataFrame(frame)
    cols, rows = _rows(frame, table)
    raw = conn.connection.driver_connection
    assert raw is not None
    quoted = ", ".join(f'"{c}"' for c in cols)
    n = 0
    target = into or table_name
    with raw.cursor() as cur, cur.copy(f'COPY "{target}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
            if progress and n % 20000 == 0:
                progress(table_name, n)
    return n


@contextlib.contextmanager
def _indexes_built_after(conn: Connection, table: str, rows: int) -> Iterator[None]:
    """For a large load, the table's plain indexes (not those backing a constraint) are
    dropped and built again after the COPY, in the same transaction: one bulk build is
    cheaper than inserting row by row into each B-tree and, above all, a trigram GIN."""
    if rows < 50_000:
        yield
        return
    plain = conn.execute(text(
        "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.schemaname = "
        "current_schema() AND i.tablename = :t AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
        "WHERE c.conindid = to_regclass(quote_ident(i.schemaname) || '.' || "
        "quote_ident(i.indexname)))"), {"t": table}).all()
    for name, _ in plain:
        conn.execute(text(f'DROP INDEX "{name}"'))
    yield
    for _, definition in plain:
        conn.execute(text(str(definition)))


# Tables whose rows decide the flags a trigger keeps on each case (migration 0024).
_KEPT_BY_TRIGGER = {"incidents", "incident_closures", "mediation_steps", "followups"}


@contextlib.contextmanager
def _evidence_after(conn: Connection, tables: Iterable[str]) -> Iterator[None]:
    """Loading any table behind the evidence flags kept on each case (migration 0024): their
    statement triggers wait (``fq.evidence_deferred``, for this transaction only; during a
    large COPY the tables' indexes are dropped, so a trigger's probes would scan them) and the
    flags of every case are computed once after the load, in the same transaction."""
    if not _KEPT_BY_TRIGGER & set(tables):
        yield
        return
    conn.execute(text("SET LOCAL fq.evidence_deferred = on"))
    yield
    conn.execute(text("SET LOCAL fq.evidence_deferred = off"))
    conn.execute(text("SELECT incident_evidence_refresh(NULL)"))


def load_territory(conn: Connection, territory: Territory, *, replace: bool = True,
                   progress: Progress | None = None) -> dict[str, int]:
    """Load every frame of ``territory`` in FK order inside the caller's transaction.

    With ``replace`` the territory tables present in ``territory`` (and everything that
    references them: units, incidents, assignments) are emptied first, so a failure
    anywhere leaves the previous territory in place when the caller rolls back.
    """
    present = [t for t in TABLE_ORDER if t in territory.frames]
    if replace:
        _empty(conn, present)
    counts: dict[str, int] = {}
    with _evidence_after(conn, present):
        for name in present:
            with _indexes_built_after(conn, name, len(territory.frames[name])):
                counts[name] = copy_frame(conn, name, territory.frames[name], progress=progress)
            if progress:
                progress(name, counts[name])
    _finish(conn, counts)
    return counts


def load_parts(conn: Connection, parts: Iterable[Territory], *, references_checked: bool = False,
               progress: Progress | None = None) -> dict[str, int]:
    """Load territories one after another into emptied tables, in the caller's transaction.

    For a territory too large to hold at once (the province: ten prefectures): each part is
    COPYed table by table in FK order and may then be dropped by the caller's generator; the
    plain indexes of every table are dropped first and built once after the last part.
    ``references_checked``: the caller has checked every foreign key of every part (the
    province does, vectorised); where the role may, the per-row FK triggers are then skipped
    for this transaction (``session_replication_role = replica``), which made the COPY of the
    city's 2.1M rows several times slower than the rows themselves. No other trigger fires on
    COPY here (the audit log's refuse UPDATE and TRUNCATE only); each case's evidence flags
    (migration 0024) are computed once at the end (:func:`_evidence_after`).
    """
    counts: dict[str, int] = {}
    if references_checked and conn.scalar(text(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")):
        conn.execute(text("SET LOCAL session_replication_role = replica"))
    with contextlib.ExitStack() as stack:
        stack.enter_context(_evidence_after(conn, _KEPT_BY_TRIGGER))  # its exit: the last
        for i, part in enumerate(parts):
            present = [t for t in TABLE_ORDER if t in part.frames]
            if i == 0:
                _empty(conn, present)
                for name in present:
                    stack.enter_context(_indexes_built_after(conn, name, 1 << 30))
            for name in present:
                counts[name] = counts.get(name, 0) + copy_frame(conn, name, part.frames[name])
                if progress:
                    progress(f"{name} (part {i + 1})", counts[name])
    if references_checked:
        conn.execute(text("SET LOCAL session_replication_role = DEFAULT"))
    _finish(conn, counts)
    return counts


def _empty(conn: Connection, present: list[str]) -> None:
    emptied = [t for t in present if t not in _APPEND_ONLY]
    if emptied:
        names = ", ".join(f'"{t}"' for t in emptied)
        conn.execute(text(f"TRUNCATE {names} CASCADE"))


def _finish(conn: Connection, counts: dict[str, int]) -> None:
    """After a load: the geocoder's names, the serial ids moved past the loaded ones, ANALYZE."""
    if any(t in counts for t in _SEARCHED):
        from geo.geocoder import rebuild_search

        rebuild_search(conn)  # the geocoder's name table, in the same transaction
    for name in _SERIAL:
        if name in counts:
            conn.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"GREATEST((SELECT max(id) FROM \"{name}\"), 1))"))
    conn.execute(text("ANALYZE"))
