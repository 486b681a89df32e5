"""The outbox and webhook faces of the admin API: /api/v1/admin/outbox, /api/v1/admin/webhooks.

Reads through :mod:`dispatch.views_outbox`, writes through :mod:`dispatch.adapters.webhook_admin`
(each write one transaction with its audit row). A subscription's secret is in the creation
answer only; recipients (phones, addresses) are masked in the rows shown.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from console.api.accounts import AccountsBase
from console.api.schemas_webhooks import WebhookIn
from console.api.supervisors import supervisor_routes
from console.bootstrap import App
from dispatch import views_outbox as views
from dispatch.adapters import webhook_admin as admin
from dispatch.errors import InvalidCommand, NotFound
from dispatch.notices import CHANNELS
from dispatch.webhook_hosts import allowed
from dispatch.webhooks import CASE_EVENT_TYPES

STATES = {"pending": "待发送", "delivered": "已送达", "failed": "失败（已达重试上限）",
          "skipped": "未发送（渠道未配置）", "cancelled": "已取消（订阅停用或删除）"}


def _now() -> datetime:
    return datetime.now(UTC)


class OutboxHandler(AccountsBase):
    """GET the counts by channel and state, why a channel is off, and the newest rows."""

    async def get(self) -> None:
        state = self.get_query_argument("state", None) or None
        limit = self.get_query_argument("limit", "50")

        def work() -> dict[str, Any]:
            if state is not None and state not in STATES:
                raise InvalidCommand(f"state 只能是 {'、'.join(STATES)}", field="state")
            if not limit.isdigit() or not 1 <= int(limit) <= 500:
                raise InvalidCommand("limit 须在 1 到 500 之间", field="limit")
            off = self.app.settings.notify.off
            with self.app.engine.connect() as conn:
                summary = views.outbox_summary(conn)
                rows = views.outbox_rows(conn, state=state, limit=int(limit))
            return {"channels": {c: {"label": label, "configured": c not in off,
                                     "note": off.get(c)} for c, label in CHANNELS.items()},
                    "states": STATES, **summary, "items": rows}
        await self.run(work)


class OutboxRetryHandler(AccountsBase):
    """POST …/{id}/retry: a failed or skipped row goes out again (audited)."""

    async def post(self, row_id: str) -> None:
        rid = int(row_id)

        def step(conn: Any) -> dict[str, Any]:
            if not admin.retry_delivery(conn, rid, actor=self.actor(), at=_now()):
                raise NotFound(f"没有可重发的投递记录 {rid}（只有失败或未发送的可重发）")
            return {"id": rid, "state": "pending"}
        await self.step("outbox_retry", step, entity="outbox", entity_id=rid)


class WebhooksHandler(AccountsBase):
    """GET every subscription (never its secret); POST creates one and shows its secret once."""

    async def get(self) -> None:
        def work() -> dict[str, Any]:
            with self.app.engine.connect() as conn:
                items = views.subscriptions(conn)
            return {"items": items, "total": len(items), "event_types": CASE_EVENT_TYPES}
        await self.run(work)

    async def post(self) -> None:
        body = await self._body(WebhookIn)
        if body is None:
            return

        def step(conn: Any) -> dict[str, Any]:
            if body.get("district_id") and body.get("street_id"):
                raise InvalidCommand("区县与街道只选其一", field="street_id")
            hosts = self.app.dispatch.policy().webhook_hosts
            if not allowed(body["url"], hosts):
                raise InvalidCommand(f"接收地址（url）的主机不在管理员允许的范围内：{'、'.join(hosts)}",
                                     field="url")
            return admin.create_subscription(
                conn, name=body["name"], url=body["url"],
                event_types=body.get("event_types") or [],
                district_id=body.get("district_id"), street_id=body.get("street_id"),
                source=body.get("source"), trusted=bool(body.get("trusted")),
                actor=self.actor(), at=_now())
        await self.step("webhook_create", step, entity="webhook", status=201,
                        detail={k: v for k, v in body.items() if k != "url"})


class WebhookHandler(AccountsBase):
    """DELETE a subscription (its pending deliveries are cancelled; its log stays)."""

    async def delete(self, hook_id: str) -> None:
        hid = int(hook_id)

        def step(conn: Any) -> dict[str, Any]:
            if not admin.delete_subscription(conn, hid, actor=self.actor(), at=_now()):
                raise NotFound(f"订阅 {hid} 不存在")
            return {"id": hid, "deleted": True}
        await self.step("webhook_delete", step, entity="webhook", entity_id=hid)


class WebhookActHandler(AccountsBase):
    """POST …/{id}/disable or …/enable."""

    async def post(self, hook_id: str, act: str) -> None:
        hid = int(hook_id)

        def step(conn: Any) -> dict[str, Any]:
            if not admin.set_subscription_active(conn, hid, act == "enable",
                                                 actor=self.actor(), at=_now()):
                raise NotFound(f"订阅 {hid} 不存在")
            return {"id": hid, "active": act == "enable"}
        await self.step(f"webhook_{act}", step, entity="webhook", entity_id=hid)


class WebhookDeliveriesHandler(AccountsBase):
    """GET a subscription's delivery log (newest first)."""

    async def get(self, hook_id: str) -> None:
        hid = int(hook_id)

        def work() -> dict[str, Any]:
            with self.app.engine.connect() as conn:
                if not views.subscription_exists(conn, hid):
                    raise NotFound(f"订阅 {hid} 不存在")
                items = views.outbox_rows(conn, subscription_id=hid, limit=200)
            return {"items": items, "total": len(items)}
        await self.run(work)


def webhook_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    return [
        (r"/api/v1/admin/outbox", OutboxHandler, args),
        (r"/api/v1/admin/outbox/([0-9]{1,15})/retry", OutboxRetryHandler, args),
        (r"/api/v1/admin/webhooks", WebhooksHandler, args),
        (r"/api/v1/admin/webhooks/([0-9]{1,9})", WebhookHandler, args),
        (r"/api/v1/admin/webhooks/([0-9]{1,9})/(disable|enable)", WebhookActHandler, args),
        (r"/api/v1/admin/webhooks/([0-9]{1,9})/deliveries", WebhookDeliveriesHandler, args),
        *supervisor_routes(app),  # the escalation list (console.api.supervisors)
    ]
