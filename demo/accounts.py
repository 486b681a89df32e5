"""The demo territory's accounts and Open311 key (demo mode only; never on a real territory)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from dispatch.adapters.accounts import create_account, create_api_key

DEMO_PASSWORD = "demo12345"
DEMO_OPEN311_KEY = "demo-open311-key"


def demo_places(conn: Connection) -> dict[str, Any]:
    """The two busiest streets and a grid worker of the first, to tie demo accounts to."""
    streets: list[int] = list(conn.execute(text(
        "SELECT s.id FROM streets s LEFT JOIN units u ON u.street_id = s.id "
        "GROUP BY s.id ORDER BY count(u.id) DESC, s.id LIMIT 2")).scalars())
    if len(streets) < 2:
        raise RuntimeError("demo accounts need a territory with two streets")
    unit = conn.scalar(text(
        "SELECT id FROM units WHERE street_id = :s AND home_grid_id IS NOT NULL "
        "ORDER BY (unit_type = 'grid_worker') DESC, id LIMIT 1"), {"s": streets[0]})
    if unit is None:
        raise RuntimeError("demo accounts need a unit with a home grid")
    return {"street1": streets[0], "street2": streets[1], "unit": int(unit)}


def ensure_demo_accounts(conn: Connection) -> list[str]:
    """Create the demo accounts and key unless they exist; returns the names created.

    Refuses on a territory that is not illustrative: a real deployment never gets a default
    password or key (its first administrator comes from ``./run create-admin``).
    """
    real = conn.scalar(text("SELECT count(*) FROM streets WHERE NOT illustrative"))
    if real:
        return []
    have: set[str] = set(conn.execute(text("SELECT username FROM accounts")).scalars())
    where = demo_places(conn)
    made: list[str] = []
    specs: list[dict[str, Any]] = [
        {"username": "admin", "role": "admin", "display_name": "系统管理员"},
        {"username": "duty", "role": "duty", "display_name": "市级值班长"},
        {"username": "dispatcher1", "role": "dispatcher", "street_id": where["street1"],
         "display_name": "街道调度员一"},
        {"username": "dispatcher2", "role": "dispatcher", "street_id": where["street2"],
         "display_name": "街道调度员二"},
        {"username": "leader", "role": "leader", "display_name": "领导"},
        {"username": "field1", "role": "field", "unit_id": where["unit"],
         "display_name": "网格员一"},
    ]
    for spec in specs:
        if spec["username"] not in have:
            create_account(conn, password=DEMO_PASSWORD, actor="demo", **spec)
            made.append(spec["username"])
    if not conn.scalar(text("SELECT 1 FROM api_keys WHERE name = 'demo-open311'")):
        create_api_key(conn, name="demo-open311", scopes=["open311"], key=DEMO_OPEN311_KEY,
                       actor="demo")
        made.append("demo-open311")
    return made
