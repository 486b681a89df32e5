"""Dispatch faces of the API: incidents, recommendations, assignment, transitions, units, SSE.

Handlers only translate HTTP to the domain's commands and back: every rule lives in
``dispatch``. Writes run in a worker thread (the domain is synchronous SQL); errors come back
as the domain's Chinese reasons with their HTTP status (422 bad field, 404, 409 conflict).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel

from console.api import request_guard, schemas
from console.api.auth_scope import (
    case_for,
    case_list_rows,
    check_incident,
    check_unit,
    filter_units,
    masked_case,
)
from console.api.intake_place import place
from console.api.jurisdiction import cut_duplicates, cut_recommendation, cut_tasks
from console.api.router import ApiHandler
from console.api.schemas import refuse_nul
from console.api.schemas_cases import parse_query
from console.bootstrap import App
from console.live.events import EventHub
from dispatch import commands as c
from dispatch import lifecycle
from dispatch.access import scope_of
from dispatch.errors import DispatchError, Forbidden, InvalidCommand
from dispatch.results import AlreadyRegistered
from dispatch.views import incident_detail, list_units, unit_tasks
from dispatch.views_cases import case_page

MAX_BODY = 64 * 1024
M = TypeVar("M", bound=BaseModel)


class DispatchHandler(ApiHandler):
    """JSON bodies in, the domain's results and errors out."""

    max_body = MAX_BODY

    def body(self, model: type[M]) -> M:
        """The JSON object sent as ``model`` (the boundary's pydantic model): typed and
        bounded once; its ``to_command()`` builds the domain's command from it."""
        return schemas.parse_body(model, self.body_json())

    def body_json(self, model: type[BaseModel] | None = None) -> dict[str, Any]:
        """The JSON object sent, checked against ``model`` (the boundary's pydantic model):
        only the fields given, typed and bounded; the first fault names its field."""
        if len(self.request.body) > MAX_BODY:
            raise InvalidCommand(f"请求体过大（上限 {MAX_BODY // 1024} KB）", field="body")
        body = request_guard.loads(self.request.body or b"{}")  # 400 too deep, 422 long numbers
        if not isinstance(body, dict):
            raise InvalidCommand("请求体须为 JSON 对象", field="body")
        refuse_nul(body)
        if model is None:
            return body
        return schemas.parse_body(model, body).model_dump(exclude_unset=True)

    def actor(self, body: dict[str, Any] | None = None) -> str:
        """The audit's actor: the authenticated username or API key name (never the body's)."""
        return self.who.actor

    async def run(self, fn: Any, *args: Any, status: int = 200, **kwargs: Any) -> None:
        import asyncio

        try:
            result = await asyncio.to_thread(fn, *args, **kwargs)
        except DispatchError as err:
            if isinstance(err, Forbidden):
                await self.audit_refusal(err)
            self.send_json({"error": {"code": err.code, "message": err.message,
                                      **({"field": err.detail["field"]}
                                         if "field" in err.detail else {}),
                                      "detail": {k: v for k, v in err.detail.items()
                                                 if k != "field"}}},
                           status=err.status)
            return
        self.send_json(result.as_dict() if hasattr(result, "as_dict") else result,
                       status=getattr(result, "http_status", status))

    def handle(self, command: Any) -> Any:
        return self.app.dispatch.handle(command)

    def read(self, fn: Any, **kwargs: Any) -> Any:
        with self.app.engine.connect() as conn:
            return fn(conn, **kwargs)

    def incident(self, incident_id: int | str, *, own_task: bool = False) -> list[int]:
        """Refuse (404 / 403) a case outside the caller's jurisdiction; its active units."""
        with self.app.engine.connect() as conn:
            return check_incident(conn, self.who, int(incident_id), self.required_action(),
                                  own_task=own_task)[1]

    def unit(self, unit_id: int | str, *, act: bool = False) -> None:
        with self.app.engine.connect() as conn:
            check_unit(conn, self.who, int(unit_id), self.required_action(), act=act)


def int_field(value: Any, field: str) -> int:
    """An id or count as the database stores it (a 32-bit integer)."""
    said = _said(field)
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise InvalidCommand(f"{said}须为整数", field=field) from None
    if not -(2**31) <= number < 2**31:
        raise InvalidCommand(f"{said}超出范围", field=field)
    return number


def _said(field: str) -> str:
    """How a refusal names a field: its Chinese name with the key (``数量（limit）``)."""
    label = schemas.FIELD_LABELS.get(field) or lifecycle.FIELD_LABELS.get(field)
    return f"{label}（{field}）" if label else field


def float_or_none(body: dict[str, Any], field: str) -> float | None:
    value = body.get(field)
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InvalidCommand(f"{_said(field)}须为数字", field=field) from None


def register_command(body: dict[str, Any], actor: str) -> c.RegisterIncident:
    """A registration from a body built elsewhere (Open311): the same model, checked once."""
    return schemas.parse_body(schemas.IncidentIn, body).to_command(actor=actor)


def placed(app: App, cmd: c.RegisterIncident) -> tuple[c.RegisterIncident, dict[str, Any] | None]:
    """The command with whichever of point and address was missing filled in (geocoding is
    the console's), and the geocoder's answer if it ran."""
    fields = {"address": cmd.address, "lon": cmd.lon, "lat": cmd.lat, "crs": cmd.crs}
    filled, geocoded = place(app.engine, fields, app.reverse_label)
    changed = {k: filled[k] for k in fields if filled.get(k) != fields[k]}
    return (replace(cmd, **changed) if changed else cmd), geocoded


class IncidentsHandler(DispatchHandler):
    actions: ClassVar[dict[str, str]] = {"POST": "incident.create"}

    async def get(self) -> None:
        def work() -> dict[str, Any]:
            query, wanted = parse_query(self.request.query_arguments)
            with self.app.engine.connect() as conn:
                rows, total = case_page(conn, wanted, scope_of(self.who), limit=query.limit,
                                        offset=query.offset)
            return {"items": case_list_rows(self.who, rows), "total": total,
                    "limit": query.limit, "offset": query.offset, "filters": wanted.as_dict()}
        await self.run(work)

    async def post(self) -> None:
        def work() -> Any:
            cmd, geocoded = placed(self.app, self.body(schemas.IncidentIn).to_command(
                actor=self.actor()))
            registered = self.handle(cmd)
            if isinstance(registered, AlreadyRegistered):
                return registered  # the same external id again: that case, 200
            result = registered.as_dict()
            if geocoded is not None:
                result["geocode"] = geocoded
            if scope_of(self.who).unrestricted:  # the whole territory: nothing to cut
                return result
            with self.app.engine.connect() as conn:  # other streets' cases: told, not shown
                return cut_duplicates(conn, self.who, result,
                                      basis=registered.risk.basis)
        await self.run(work, status=201)


def case_actions(who: Any, case: dict[str, Any], units: Any) -> list[dict[str, Any]]:
    """What the caller may do with the case now (dispatch.lifecycle.actions): a field account
    on one of the case's units is offered its unit's acts, everyone else the desk's."""
    field_unit = who.kind == "account" and who.role == "field" and who.unit_id in set(units)
    return [a.as_dict() for a in lifecycle.actions(case, allowed=who.actions,
                                                   field_unit=field_unit)]


class IncidentHandler(DispatchHandler):
    async def get(self, incident_id: str) -> None:
        def work() -> Any:
            units = self.incident(incident_id)
            with self.app.engine.connect() as conn:
                case = incident_detail(conn, int(incident_id))
                out = case_for(conn, self.who, case, units)
            return {**out, "actions": case_actions(self.who, case, units)}
        await self.run(work)


class RecommendationsHandler(DispatchHandler):
    actions: ClassVar[dict[str, str]] = {"GET": "incident.recommend"}

    async def get(self, incident_id: str) -> None:
        limit_arg = self.get_query_argument("limit", "5")

        def work() -> Any:
            self.incident(incident_id)
            limit = int_field(limit_arg, "limit")
            if not 1 <= limit <= 50:
                raise InvalidCommand("limit 须在 1 到 50 之间", field="limit")
            rec = self.app.dispatch.recommend(int(incident_id))
            # the ranking is the domain's; which of those units this reader may send is ours
            full = rec.as_dict(max(limit, len(rec.candidates), len(rec.pairs)))
            with self.app.engine.connect() as conn:
                return cut_recommendation(conn, self.who, full, limit=limit)
        await self.run(work)


class AssignHandler(DispatchHandler):
    actions: ClassVar[dict[str, str]] = {"POST": "incident.assign"}

    async def post(self, incident_id: str) -> None:
        def work() -> Any:
            cmd = self.body(schemas.AssignIn).to_command(incident_id=int(incident_id),
                                                         actor=self.actor())
            self.incident(incident_id)
            for u in cmd.unit_ids:
                self.unit(u)
            return self.handle(cmd)
        await self.run(work)


class TransitionHandler(DispatchHandler):
    actions: ClassVar[dict[str, str]] = {"POST": "incident.transition"}

    async def post(self, incident_id: str) -> None:
        def work() -> Any:
            cmd = self.body(schemas.TransitionIn).to_command(incident_id=int(incident_id),
                                                             actor=self.actor())
            self.incident(incident_id, own_task=True)
            if cmd.unit_id is not None:
                self.unit(cmd.unit_id, act=True)
            return self.handle(cmd)
        await self.run(work)


class FollowUpHandler(DispatchHandler):
    actions: ClassVar[dict[str, str]] = {"POST": "incident.followup"}

    async def post(self, incident_id: str) -> None:
        def work() -> Any:
            cmd = self.body(schemas.FollowUpIn).to_command(incident_id=int(incident_id),
                                                           actor=self.actor())
            self.incident(incident_id, own_task=True)
            return self.handle(cmd)
        await self.run(work)


class UnitsHandler(DispatchHandler):
    async def get(self) -> None:
        status = self.get_query_argument("status", None)
        await self.run(lambda: {"items": filter_units(
            self.who, self.read(list_units, status=status or None))})


class UnitTasksHandler(DispatchHandler):
    async def get(self, unit_id: str) -> None:
        def work() -> Any:
            self.unit(unit_id)
            out = self.read(unit_tasks, unit_id=int(unit_id))
            with self.app.engine.connect() as conn:  # a street's unit on another street's case
                tasks, others = cut_tasks(conn, self.who, int(unit_id), out["tasks"])
                history, _ = cut_tasks(conn, self.who, int(unit_id), out.get("history") or [])
            # the unit is on every one of these cases; masks follow who asks; each task carries
            # the unit's own acts the state machine allows now (the field page renders those)
            allowed = self.who.actions
            out["tasks"] = [{**masked_case(self.who, {**t, **self._area(t["id"])},
                                           [int(unit_id)]),
                             "actions": [a.as_dict() for a in lifecycle.actions(
                                 t, allowed=allowed, field_unit=True)]}
                            for t in tasks]
            out["history"] = [masked_case(self.who, h, [int(unit_id)]) for h in history]
            if others:
                out["elsewhere_tasks"] = others
                out["notes"] = [f"该单位另有 {others} 项任务在您的辖区之外，详情请联系所在街道"]
            return out
        await self.run(work)

    def _area(self, incident_id: int) -> dict[str, Any]:
        from console.api.auth_scope import incident_facts

        with self.app.engine.connect() as conn:
            facts = incident_facts(conn, incident_id)
        return {} if facts is None else {k: v for k, v in facts[0].items() if k != "id"}


class UnitPositionHandler(DispatchHandler):
    actions: ClassVar[dict[str, str]] = {"POST": "unit.position"}

    async def post(self, unit_id: str) -> None:
        def work() -> Any:
            cmd = self.body(schemas.PositionIn).to_command(unit_id=int(unit_id))
            self.unit(unit_id, act=True)
            return self.handle(cmd)
        await self.run(work)


class UnitStatusHandler(DispatchHandler):
    actions: ClassVar[dict[str, str]] = {"POST": "unit.status"}

    async def post(self, unit_id: str) -> None:
        def work() -> Any:
            cmd = self.body(schemas.UnitStatusIn).to_command(unit_id=int(unit_id),
                                                             actor=self.actor())
            self.unit(unit_id, act=True)
            return self.handle(cmd)
        await self.run(work)


def dispatch_routes(app: App, hub: EventHub) -> list[tuple[str, type, dict[str, Any]]]:
    from console.api.case import case_routes  # these build on DispatchHandler
    from console.api.events import EventsHandler
    from console.api.supervise import supervise_routes

    args = {"app": app}
    if hub.context is None:  # live events are routed by the case's or unit's area
        from console.api.auth_scope import event_context

        def context(event: dict[str, Any]) -> dict[str, Any]:
            with app.engine.connect() as conn:
                return event_context(conn, event)
        hub.context = context
    n = r"(\d{1,9})"
    return [
        (r"/api/v1/incidents", IncidentsHandler, args),
        (rf"/api/v1/incidents/{n}", IncidentHandler, args),
        (rf"/api/v1/incidents/{n}/recommendations", RecommendationsHandler, args),
        (rf"/api/v1/incidents/{n}/assign", AssignHandler, args),
        (rf"/api/v1/incidents/{n}/transitions", TransitionHandler, args),
        (rf"/api/v1/incidents/{n}/followup", FollowUpHandler, args),
        *case_routes(app),  # 紧急程度确认, 确认重复/关联/合并 (console.api.case)
        *supervise_routes(app),  # 督办, 吹哨, 报到, 会商 (console.api.supervise)
        (r"/api/v1/units", UnitsHandler, args),
        (rf"/api/v1/units/{n}/tasks", UnitTasksHandler, args),
        (rf"/api/v1/units/{n}/position", UnitPositionHandler, args),
        (rf"/api/v1/units/{n}/status", UnitStatusHandler, args),
        (r"/api/v1/events", EventsHandler, {"app": app, "hub": hub}),
    ]
