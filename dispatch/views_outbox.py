"""The outbox and webhooks as the admin page reads them: counts, recent rows, delivery logs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from dispatch.adapters import orm_outbox  # noqa: F401  (migration 0018)
from dispatch.adapters.webhook_admin import SUBSCRIPTION_COLUMNS
from dispatch.notices import SUPERVISORS_SETTING

ROW_COLUMNS = ("o.id, o.key, o.channel, o.event_type, o.incident_id, o.subscription_id, "
               "o.state, o.attempts, o.next_at, o.last_error, o.last_status, o.created_at, "
               "o.delivered_at")


def _masked(channel: str, recipient: str) -> str:
    """A phone or address as the admin page shows it (138****1234, a***@host)."""
    if channel == "sms" and len(recipient) >= 7:
        return recipient[:3] + "****" + recipient[-4:]
    if channel == "email" and "@" in recipient:
        name, host = recipient.split("@", 1)
        return name[:1] + "***@" + host
    return recipient


def outbox_summary(conn: Connection) -> dict[str, Any]:
    """Counts by channel and state, and the last error of each channel."""
    counts: dict[str, dict[str, int]] = {}
    for row in conn.execute(text(
            "SELECT channel, state, count(*) AS n FROM outbox GROUP BY channel, state")):
        counts.setdefault(str(row.channel), {})[str(row.state)] = int(row.n)
    last = {r.channel: {"error": r.last_error, "at": r.next_at.isoformat()}
            for r in conn.execute(text(
                "SELECT DISTINCT ON (channel) channel, last_error, next_at FROM outbox "
                "WHERE last_error IS NOT NULL AND state <> 'delivered' "
                "ORDER BY channel, next_at DESC"))}
    return {"counts": counts, "last_error": last}


def outbox_rows(conn: Connection, *, state: str | None = None, subscription_id: int | None = None,
                limit: int = 50) -> list[dict[str, Any]]:
    """The newest rows (a subscription's: its delivery log), recipients masked."""
    where: list[str] = []
    args: dict[str, Any] = {"n": limit}
    if state:
        where.append("o.state = :state")
        args["state"] = state
    if subscription_id is not None:
        where.append("o.subscription_id = :sub")
        args["sub"] = subscription_id
    rows = conn.execute(text(
        f"SELECT {ROW_COLUMNS}, o.recipient FROM outbox o "
        + (("WHERE " + " AND ".join(where)) if where else "")
        + " ORDER BY o.id DESC LIMIT :n"), args).mappings()
    out = []
    for r in rows:
        d = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()}
        d["key"] = str(r["key"])
        d["recipient"] = _masked(r["channel"], r["recipient"])
        out.append(d)
    return out


def subscriptions(conn: Connection) -> list[dict[str, Any]]:
    """Every subscription (never its secret) with its delivery counts."""
    rows = conn.execute(text(
        f"SELECT {', '.join('w.' + c.strip() for c in SUBSCRIPTION_COLUMNS.split(','))}, "
        "  count(o.id) FILTER (WHERE o.state = 'delivered') AS delivered, "
        "  count(o.id) FILTER (WHERE o.state = 'pending') AS pending, "
        "  count(o.id) FILTER (WHERE o.state = 'failed') AS failed "
        "FROM webhook_subscriptions w LEFT JOIN outbox o ON o.subscription_id = w.id "
        "GROUP BY w.id ORDER BY w.id")).mappings()
    return [{k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in r.items()}
            for r in rows]


def subscription_exists(conn: Connection, sub_id: int) -> bool:
    return conn.scalar(text("SELECT 1 FROM webhook_subscriptions WHERE id = :id"),
                       {"id": sub_id}) is not None


def supervisors(conn: Connection) -> list[dict[str, Any]]:
    """The stored escalation list (``notify_supervisors``), as the admin edits it."""
    value = conn.scalar(text("SELECT value FROM dispatch_settings WHERE key = :k"),
                        {"k": SUPERVISORS_SETTING})
    people = (value or {}).get("people") if isinstance(value, dict) else None
    return [dict(p) for p in people or [] if isinstance(p, dict)]


def staff(conn: Connection) -> list[dict[str, Any]]:
    """Active staff accounts to pick from (username, display name, role, street)."""
    return [dict(r) for r in conn.execute(text(
        "SELECT username, display_name, role, street_id FROM accounts WHERE active "
        "ORDER BY username")).mappings()]


def streets(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(text("SELECT id, name FROM streets ORDER BY id"))
            .mappings()]
