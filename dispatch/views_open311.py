"""Read side for Open311: the cases an integration registered, filtered as GeoReport asks, and
the public lookup tokens a citizen follows one case by (``open311_tokens``, migration 0013)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from dispatch import tracking
from dispatch.vocab import OPEN_STATES

_SELECT = (
    "SELECT i.code, i.category, i.state, i.outcome, i.description, i.address, i.reported_at, "
    "i.close_deadline, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, "
    "GREATEST(i.reported_at, i.assigned_at, i.acknowledged_at, i.arrived_at, i.resolved_at, "
    "i.followed_up_at, i.closed_at) AS updated_at, "
    "COALESCE(c.name, s.name) AS agency "
    "FROM incidents i LEFT JOIN communities c ON c.id = i.community_id "
    "LEFT JOIN streets s ON s.id = i.street_id ")


def token_hash(token: str) -> str:
    """The stored hash: of the canonical tracking code (as read out or typed, in any case or
    grouping), or of an older 32-hex token as it is."""
    return hashlib.sha256((tracking.normalise(token) or token).encode("utf-8")).hexdigest()


def issue_token(conn: Connection, incident_id: int) -> str:
    """A new public lookup token for a case: a tracking code (60 random bits, the same the
    resident page gives and ``/track/{code}`` reads); only its hash is kept."""
    token = tracking.display(tracking.new_code())
    conn.execute(text("INSERT INTO open311_tokens (incident_id, token_hash) VALUES (:i, :h) "
                      "ON CONFLICT (incident_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, "
                      "created_at = now()"), {"i": incident_id, "h": token_hash(token)})
    return token


def open311_requests(conn: Connection, *, created_by: str | None, codes: list[str] | None = None,
                     categories: list[str] | None = None, start: datetime | None = None,
                     end: datetime | None = None, status: str | None = None,
                     tokens: list[str] | None = None,
                     limit: int = 1000) -> list[dict[str, Any]]:
    """Newest first. ``created_by`` limits to what one integration registered; ``tokens``
    (public lookups) to the cases those tokens were issued for. One of them is required: there
    is no lookup of all cases by their (sequential, guessable) codes.

    The agency named is the community (or street) the case was located in; an unlocated case
    names none.
    """
    if created_by is None and not tokens:
        raise ValueError("an Open311 read names its integration or the cases' tokens")
    where = ["(CAST(:by AS text) IS NULL OR i.created_by = :by)"]
    params: dict[str, Any] = {"by": created_by, "limit": limit, "open": list(OPEN_STATES)}
    if tokens:
        where.append("i.id IN (SELECT t.incident_id FROM open311_tokens t "
                     "WHERE t.token_hash = ANY(:hashes))")
        params["hashes"] = [token_hash(t) for t in tokens]
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
