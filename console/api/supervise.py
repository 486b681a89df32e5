"""督办、街道吹哨、部门报到、会商: HTTP faces of the domain's Supervise, BlowWhistle, ReportIn
and HoldConsultation commands (``POST /api/v1/incidents/{id}/supervise | whistle |
whistle/report | consultations``); the rules live in ``dispatch``."""

from __future__ import annotations

from typing import Any, ClassVar

from console.api import schemas
from console.api.dispatch import DispatchHandler
from console.bootstrap import App


class SuperviseHandler(DispatchHandler):
    """督办 (yellow / red) by the duty officer or a leader: the domain's Supervise command."""

    actions: ClassVar[dict[str, str]] = {"POST": "incident.supervise"}

    async def post(self, incident_id: str) -> None:
        def work() -> Any:
            cmd = self.body(schemas.SuperviseIn).to_command(incident_id=int(incident_id),
                                                            actor=self.actor())
            self.incident(incident_id)
            return self.handle(cmd)
        await self.run(work)


class WhistleHandler(DispatchHandler):
    """街道吹哨: ``{"departments": [...], "reason": …, "report_within_h": 24}``."""

    actions: ClassVar[dict[str, str]] = {"POST": "incident.supervise"}

    async def post(self, incident_id: str) -> None:
        def work() -> Any:
            cmd = self.body(schemas.WhistleIn).to_command(incident_id=int(incident_id),
                                                          actor=self.actor())
            self.incident(incident_id)
            return self.handle(cmd)
        await self.run(work)


class WhistleReportHandler(DispatchHandler):
    """部门报到: ``{"department": code, "note": …}`` on the case's open whistle."""

    actions: ClassVar[dict[str, str]] = {"POST": "incident.transition"}

    async def post(self, incident_id: str) -> None:
        def work() -> Any:
            cmd = self.body(schemas.ReportInIn).to_command(incident_id=int(incident_id),
                                                           actor=self.actor())
            self.incident(incident_id)
            return self.handle(cmd)
        await self.run(work)


class ConsultationHandler(DispatchHandler):
    """会商: ``{"participants": [{"name", "department"} | name, ...], "outcome": …}``."""

    actions: ClassVar[dict[str, str]] = {"POST": "incident.supervise"}

    async def post(self, incident_id: str) -> None:
        def work() -> Any:
            cmd = self.body(schemas.ConsultationIn).to_command(incident_id=int(incident_id),
                                                               actor=self.actor())
            self.incident(incident_id)
            return self.handle(cmd)
        await self.run(work, status=201)


def supervise_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    n = r"(\d{1,9})"
    return [
        (rf"/api/v1/incidents/{n}/supervise", SuperviseHandler, args),
        (rf"/api/v1/incidents/{n}/whistle", WhistleHandler, args),
        (rf"/api/v1/incidents/{n}/whistle/report", WhistleReportHandler, args),
        (rf"/api/v1/incidents/{n}/consultations", ConsultationHandler, args),
    ]
