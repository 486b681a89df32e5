"""督办、街道吹哨、部门报到、会商: HTTP faces of the domain's Supervise, BlowWhistle, ReportIn
and HoldConsultation commands (``POST /api/v1/incidents/{id}/supervise | whistle |
whistle/report | consultations``); the rules live in ``dispatch``."""

from __future__ import annotations

from typing import Any, ClassVar

from console.api import schemas
from console.api.dispatch import DispatchHandler, float_or_none
from console.bootstrap import App
from dispatch import commands as c
from dispatch.errors import InvalidCommand


class SuperviseHandler(DispatchHandler):
    """督办 (yellow / red) by the duty officer or a leader: the domain's Supervise command."""

    actions: ClassVar[dict[str, str]] = {"POST": "incident.supervise"}

    async def post(self, incident_id: str) -> None:
        def work() -> Any:
            body = self.body_json(schemas.SuperviseIn)
            self.incident(incident_id)
            return self.handle(c.Supervise(incident_id=int(incident_id),
                                           level=str(body.get("level") or ""),
                                           reason=str(body.get("reason") or ""),
                                           actor=self.actor(body)))
        await self.run(work)


class WhistleHandler(DispatchHandler):
    """街道吹哨: ``{"departments": [...], "reason": …, "report_within_h": 24}``."""

    actions: ClassVar[dict[str, str]] = {"POST": "incident.supervise"}

    async def post(self, incident_id: str) -> None:
        def work() -> Any:
            body = self.body_json(schemas.WhistleIn)
            self.incident(incident_id)
            departments = body.get("departments")
            if not isinstance(departments, list) or not all(
                    isinstance(d, str) for d in departments):
                raise InvalidCommand("departments 须为部门代码列表", field="departments")
            hours = float_or_none(body, "report_within_h")
            return self.handle(c.BlowWhistle(
                incident_id=int(incident_id), departments=tuple(departments),
                reason=str(body.get("reason") or ""), actor=self.actor(body),
                report_within_h=24.0 if hours is None else hours))
        await self.run(work)


class WhistleReportHandler(DispatchHandler):
    """部门报到: ``{"department": code, "note": …}`` on the case's open whistle."""

    actions: ClassVar[dict[str, str]] = {"POST": "incident.transition"}

    async def post(self, incident_id: str) -> None:
        def work() -> Any:
            body = self.body_json(schemas.ReportInIn)
            self.incident(incident_id)
            note = body.get("note")
            return self.handle(c.ReportIn(
                incident_id=int(incident_id), department=str(body.get("department") or ""),
                actor=self.actor(body), note=None if note is None else str(note)))
        await self.run(work)


class ConsultationHandler(DispatchHandler):
    """会商: ``{"participants": [{"name", "department"} | name, ...], "outcome": …}``."""

    actions: ClassVar[dict[str, str]] = {"POST": "incident.supervise"}

    async def post(self, incident_id: str) -> None:
        def work() -> Any:
            body = self.body_json(schemas.ConsultationIn)
            self.incident(incident_id)
            people = body.get("participants")
            if not isinstance(people, list):
                raise InvalidCommand("participants 须为参会人员列表", field="participants")
            return self.handle(c.HoldConsultation(
                incident_id=int(incident_id), participants=tuple(people),
                outcome=str(body.get("outcome") or ""), actor=self.actor(body)))
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
