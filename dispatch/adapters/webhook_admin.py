"""Administering webhook subscriptions and outbox rows (the admin API's writes), audited."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, text

from dispatch.adapters import orm_outbox  # noqa: F401  (migration 0018)
from dispatch.adapters.repository import IncidentRepository

SUBSCRIPTION_COLUMNS = ("id, name, url, event_types, district_id, street_id, source, trusted, "
                        "active, created_at, created_by")


def _audit(conn: Connection, *, at: datetime, actor: str, action: str, entity: str,
           entity_id: int | None, detail: dict[str, Any], reason: str | None = None) -> None:
    IncidentRepository(conn).audit(at=at, actor=actor, action=action, entity=entity,
                                   entity_id=entity_id, reason=reason, detail=detail)


def create_subscription(conn: Connection, *, name: str, url: str, event_types: Sequence[str],
                        district_id: int | None, street_id: int | None, source: str | None,
                        trusted: bool, actor: str, at: datetime) -> dict[str, Any]:
    """A new subscription and its secret (returned here once; stored for signing)."""
    secret = secrets.token_hex(24)
    row = conn.execute(text(
        "INSERT INTO webhook_subscriptions (name, url, secret, event_types, district_id, "
        "street_id, source, trusted, created_by, created_at) VALUES (:name, :url, :secret, "
        f":types, :d, :s, :src, :trusted, :actor, :at) RETURNING {SUBSCRIPTION_COLUMNS}"),
        {"name": name, "url": url, "secret": secret, "types": list(event_types),
         "d": district_id, "s": street_id, "src": source, "trusted": trusted,
         "actor": actor, "at": at}).mappings().one()
    out = dict(row)
    _audit(conn, at=at, actor=actor, action="webhook_create", entity="webhook",
           entity_id=out["id"], detail={"name": name, "url": url, "event_types":
                                        list(event_types), "district_id": district_id,
                                        "street_id": street_id, "source": source,
                                        "trusted": trusted})
    return {**out, "secret": secret}


def set_subscription_active(conn: Connection, sub_id: int, active: bool, *, actor: str,
                            at: datetime) -> bool:
    done = conn.execute(text("UPDATE webhook_subscriptions SET active = :a WHERE id = :id "
                             "RETURNING id"), {"a": active, "id": sub_id}).first()
    if done:
        _audit(conn, at=at, actor=actor, action="webhook_enable" if active else
               "webhook_disable", entity="webhook", entity_id=sub_id, detail={})
    return done is not None


def delete_subscription(conn: Connection, sub_id: int, *, actor: str, at: datetime) -> bool:
    """Delete it; its pending deliveries are cancelled (their log rows stay)."""
    conn.execute(text("UPDATE outbox SET state = 'cancelled', last_error = '订阅已删除' "
                      "WHERE subscription_id = :id AND state = 'pending'"), {"id": sub_id})
    done = conn.execute(text("DELETE FROM webhook_subscriptions WHERE id = :id RETURNING name"),
                        {"id": sub_id}).first()
    if done:
        _audit(conn, at=at, actor=actor, action="webhook_delete", entity="webhook",
               entity_id=sub_id, detail={"name": done[0]})
    return done is not None


def retry_delivery(conn: Connection, row_id: int, *, actor: str, at: datetime) -> bool:
    """A failed (or skipped) row back to pending, its attempts counted afresh; audited."""
    done = conn.execute(text(
        "UPDATE outbox SET state = 'pending', attempts = 0, next_at = now() "
        "WHERE id = :id AND state IN ('failed', 'skipped') RETURNING channel, recipient"),
        {"id": row_id}).first()
    if done:
        _audit(conn, at=at, actor=actor, action="outbox_retry", entity="outbox",
               entity_id=row_id, detail={"channel": done[0]})
    return done is not None
