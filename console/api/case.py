"""The officer's decisions on a case beside its lifecycle: confirm or keep the risk check's
proposed priority (``POST /api/v1/incidents/{id}/priority``) and link, or merge, a duplicate
(``POST /api/v1/incidents/{id}/links``); the domain's DecidePriority and LinkIncidents."""

from __future__ import annotations

from typing import Any, ClassVar

from console.api import schemas
from console.api.dispatch import DispatchHandler
from console.bootstrap import App


class PriorityHandler(DispatchHandler):
    """The officer's answer to the risk check's proposed priority (confirm or keep)."""

    actions: ClassVar[dict[str, str]] = {"POST": "incident.assign"}

    async def post(self, incident_id: str) -> None:
        def work() -> Any:
            cmd = self.body(schemas.PriorityIn).to_command(incident_id=int(incident_id),
                                                           actor=self.actor())
            self.incident(incident_id)
            return self.handle(cmd)
        await self.run(work)


class LinkHandler(DispatchHandler):
    """确认重复 / 关联 / 合并 (the domain's LinkIncidents)."""

    actions: ClassVar[dict[str, str]] = {"POST": "incident.assign"}

    async def post(self, incident_id: str) -> None:
        def work() -> Any:
            cmd = self.body(schemas.LinkIn).to_command(incident_id=int(incident_id),
                                                       actor=self.actor())
            self.incident(incident_id)
            self.incident(cmd.other_id)
            return self.handle(cmd)
        await self.run(work)


def case_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    n = r"(\d{1,9})"
    return [(rf"/api/v1/incidents/{n}/priority", PriorityHandler, args),
            (rf"/api/v1/incidents/{n}/links", LinkHandler, args)]
