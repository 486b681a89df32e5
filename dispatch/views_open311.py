"""Read side for Open311 integrators: the cases a caller registered, filtered as GeoReport asks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from dispatch.vocab import OPEN_STATES

_SELECT = (
    "SELECT i.code, i.category, i.state, i.outcome, i.description, i.address, i.reported_at, "
    "i.close_deadline, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, "
    "GREATEST(i.reported_at, i.assigned_at, i.acknowledged_at, i.arrived_at, i.resolved_at, "
    "i.followed_up_at, i.closed_at) AS updated_at, "
    "COALESCE(c.name, s.name) AS agency "
    "FROM incidents i LEFT JOIN communities c ON c.id = i.community_id "
    "LEFT JOIN streets s ON s.id = i.street_id ")


def open311_requests(conn: Connection, *, created_by: str | None, codes: list[str] | None = None,
                     categories: list[str] | None = None, start: datetime | None = None,
                     end: datetime | None = None, status: str | None = None,
                     limit: int = 1000) -> list[dict[str, Any]]:
    """Newest first. ``created_by`` limits to what one integration registered (None: all).

    The agency named is the community (or street) the case was located in; an unlocated case
    names none.
    """
    where = ["(CAST(:by AS text) IS NULL OR i.created_by = :by)"]
    params: dict[str, Any] = {"by": created_by, "limit": limit, "open": list(OPEN_STATES)}
    if codes:
        where.append("i.code = ANY(:codes)")
        params["codes"] = codes
    else:
        if categories:
            where.append("i.category = ANY(:cats)")
            params["cats"] = categories
        if start is not None:
            where.append("i.reported_at >= :start")
            params["start"] = start
        if end is not None:
            where.append("i.reported_at <= :end")
            params["end"] = end
        if status == "open":
            where.append("i.state = ANY(:open)")
        elif status == "closed":
            where.append("NOT (i.state = ANY(:open))")
    sql = _SELECT + "WHERE " + " AND ".join(where) + \
        " ORDER BY i.reported_at DESC, i.id DESC LIMIT :limit"
    return [dict(r) for r in conn.execute(text(sql), params).mappings()]
