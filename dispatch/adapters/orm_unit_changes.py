"""Migration 0025's marks of unit changes: ``units.changed_xid`` and ``unit_tombstones``.

Both are written by triggers only (the migration holds them): the writing transaction's id on
every inserted or updated unit row, a tombstone per deleted unit (no unit: a TRUNCATE). The
unit cache (``dispatch.adapters.unit_cache``) reads them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Index,
    Integer,
    Table,
    text,
)
from sqlalchemy.types import UserDefinedType

from dispatch.adapters import orm  # noqa: F401  (units, declared first)
from geo.schema import metadata


class Xid8(UserDefinedType[int]):
    """PostgreSQL's 64-bit transaction id."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "xid8"


_units = metadata.tables["units"]
if "changed_xid" not in _units.c:
    _units.append_column(Column("changed_xid", Xid8(), nullable=False,
                                server_default=text("pg_current_xact_id()"),
                                info={"kept_by_trigger": True}))
    Index("ix_units_changed_xid", _units.c.changed_xid)

unit_tombstones = Table(
    "unit_tombstones", metadata,
    Column("id", BigInteger, primary_key=True),
    Column("unit_id", Integer),
    Column("deleted_xid", Xid8(), nullable=False, server_default=text("pg_current_xact_id()")),
)
Index("ix_unit_tombstones_deleted_xid", unit_tombstones.c.deleted_xid)

# migration 0026: tombstones written by transactions below ``below`` were pruned; the prune
# moves it to the ``next_below`` it recorded the time before (dispatch.adapters.unit_cache)
unit_tombstone_horizon = Table(
    "unit_tombstone_horizon", metadata,
    Column("only_row", Boolean, primary_key=True, server_default=text("true")),
    Column("below", Xid8(), nullable=False, server_default=text("'0'::xid8")),
    Column("next_below", Xid8(), nullable=False, server_default=text("'0'::xid8")),
    Column("pruned_at", DateTime(timezone=True)),
    CheckConstraint("only_row", name="single_row"),
)
