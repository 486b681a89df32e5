"""The officer's decisions on a case beside its lifecycle: confirm or keep the risk check's
proposed priority (``POST /api/v1/incidents/{id}/priority``) and link, or merge, a duplicate
(``POST /api/v1/incidents/{id}/links``); the domain's DecidePriority and LinkIncidents."""

from __future__ import annotations

from typing import Any, ClassVar

from console.api import schemas
from console.api.dispatch import DispatchHandler, int_field
from console.bootstrap import App
from dispatch import commands as c
from dispatch.vocab import PRIORITY_CODES


class PriorityHandler(DispatchHandler):
    """The officer's answer to the risk check's proposed priority (confirm or keep)."""

    actions: ClassVar[dict[str, str]] = {"POST": "incident.assign"}

    async def post(self, incident_id: str) -> None:
        def work() -> Any:
            body = self.body_json(schemas.PriorityIn)
            self.incident(incident_id)
            code = body.get("priority")
            return self.handle(c.DecidePriority(
                incident_id=int(incident_id), priority=PRIORITY_CODES.get(str(code), 0),
                actor=self.actor(body), reason=body.get("reason")))
        await self.run(work)


class LinkHandler(DispatchHandler):
    """确认重复 / 关联 / 合并 (the domain's LinkIncidents)."""

    actions: ClassVar[dict[str, str]] = {"POST": "incident.assign"}

    async def post(self, incident_id: str) -> None:
        def work() -> Any:
            body = self.body_json(schemas.LinkIn)
            self.incident(incident_id)
            other = int_field(body.get("other_id"), "other_id")
            self.incident(other)
            return self.handle(c.LinkIncidents(
                incident_id=int(incident_id), other_id=other, kind=str(body.get("kind") or ""),
                actor=self.actor(body), reason=body.get("reason")))
        await self.run(work)


def case_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    n = r"(\d{1,9})"
    return [(rf"/api/v1/incidents/{n}/priority", PriorityHandler, args),
            (rf"/api/v1/incidents/{n}/links", LinkHandler, args)]
