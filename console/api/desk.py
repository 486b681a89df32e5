"""The duty desk's API faces beyond issue 4's: ``GET /api/v1/desk/snapshot`` (the reader's
jurisdiction's desk hub rows, console.live.desk_hub and desk_route), ``GET /api/v1/desk/hub``
(its counters), ``POST /api/v1/desk/precheck`` (duplicates and risk before saving, read-only)
and ``POST /api/v1/incidents/{id}/locate`` (the domain's LocateIncident for an address-only
case), and the case view the desk shows. 督办 is the
domain's Supervise command at ``POST /api/v1/incidents/{id}/supervise`` (console.api.dispatch).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, ClassVar

from sqlalchemy import Connection

from console.api import schemas
from console.api.auth_scope import filter_snapshot
from console.api.dispatch import DispatchHandler, float_or_none
from console.api.jurisdiction import elsewhere, outside
from console.bootstrap import App
from console.live.desk_hub import DeskHub
from console.live.desk_part import desk_parts, part_of
from console.live.desk_registry import desk_hub, part_hubs
from dispatch import views_desk, vocab
from dispatch.access import Principal
from dispatch.adapters.repository import IncidentRepository
from dispatch.risk import NewCase, assess_risk, find_duplicates, prior_since
from dispatch.telemetry import to_wgs84_point
from dispatch.views import incident_detail

__all__ = ["DeskHub", "case_view", "desk_hub", "desk_routes", "precheck"]
log = logging.getLogger(__name__)


def case_view(conn: Connection, incident_id: int) -> dict[str, Any]:
    """The API's case view (``dispatch.views.incident_detail``) with area and unit names."""
    view = incident_detail(conn, incident_id=incident_id)
    view.update(views_desk.case_names(conn, incident_id))
    units = views_desk.unit_labels(conn, {a["unit_id"] for a in view["assignments"]})
    for a in view["assignments"]:
        u = units.get(a["unit_id"], {})
        a.update(unit_code=u.get("code"), unit_name=u.get("name"),
                 unit_type_label=vocab.UNIT_TYPES.get(u.get("unit_type", ""), ""),
                 unit_status_label=vocab.UNIT_STATUSES.get(u.get("status", ""), ""))
    return view


# ---- HTTP faces ----------------------------------------------------------------------------------

class SnapshotHandler(DispatchHandler):
    actions: ClassVar[dict[str, str]] = {"GET": "desk"}

    async def get(self) -> None:
        hub = desk_hub(self.app)
        part = part_of(self.who)  # a street's or district's desk reads its own part
        live = None if part is None else part_hubs(self.app).existing(part)
        read = hub.snapshot if part is None else live.snapshot if live is not None else (
            lambda: desk_parts(self.app).snapshot(part, version=hub.version))
        snap = filter_snapshot(self.who, await asyncio.to_thread(read))
        self.send_json({k: snap[k] for k in ("version", "server_ms", "queue", "units")})


class HubHandler(DispatchHandler):
    """For support staff and tests: how many desks this process feeds, how often it computed."""

    actions: ClassVar[dict[str, str]] = {"GET": "desk"}

    async def get(self) -> None:
        hub = desk_hub(self.app)
        parts = part_hubs(self.app)
        self.send_json({"subscribers": hub.subscribers, "computations": hub.computations,
                        "part_hubs": len(parts.parts()), "part_hubs_made": parts.made,
                        "deltas": hub.deltas, "patches": hub.patches, "version": hub.version,
                        "listening": hub.listening, "refresh_s": hub.refresh_s,
                        **({"trace": traces(hub, parts)} if self.get_query_argument(
                            "trace", None) else {})})


def traces(hub: DeskHub, parts: Any) -> list[dict[str, Any]]:
    """The territory hub's trace rows and each open part hub's, each naming its ``hub``; per
    hub one more row, ``apply_cpu_ms``: the CPU its sessions spent applying deliveries."""
    rows = [dict(r, hub="territory") for r in hub.trace.rows()]
    rows.append({"hub": "territory", "apply_cpu_ms": list(hub.trace.apply_cpu)})
    for part in parts.parts():
        live = parts.existing(part)
        if live is not None:
            name = ",".join(str(s) for s in sorted(part[0])) + (f"+{part[1]}" if part[1] else "")
            rows.extend(dict(r, hub=name) for r in live.trace.rows())
            rows.append({"hub": name, "apply_cpu_ms": list(live.trace.apply_cpu)})
    return rows


def precheck(app: App, body: dict[str, Any], who: Principal | None = None) -> dict[str, Any]:
    """What registration would flag, without writing: the located chain, probable duplicates
    and the risk level, by the domain's own rules over the same earlier cases — those in the
    reader's jurisdiction (``who``). Matches elsewhere (same phone or name, or a probable
    duplicate) are told as the other street and its centre to call: not a lookup of people
    across the city by phone (no case id, name or count)."""
    lon, lat = float_or_none(body, "lon"), float_or_none(body, "lat")
    address = str(body.get("address") or "").strip()[:200] or None
    parties = [p for p in body.get("parties") or [] if isinstance(p, dict)]
    phones = frozenset(str(p["phone"]) for p in parties if p.get("phone"))
    names = frozenset(str(p["name"]) for p in parties if p.get("name"))
    point = (to_wgs84_point(lon, lat, str(body.get("crs") or "wgs84"))
             if lon is not None and lat is not None else None)
    policy = app.dispatch.policy()
    with app.engine.connect() as conn:
        now = views_desk.server_now(conn)
        loc = app.locators.get(conn).locate(*point) if point else None
        new = NewCase(address=address, phones=phones, names=names,
                      description=str(body.get("description") or ""),
                      n_parties=len(parties), reported_at=now)
        priors = IncidentRepository(conn).priors(
            lon=point[0] if point else None, lat=point[1] if point else None, address=address,
            keys=sorted(phones | names),
            since=prior_since(now, policy),
            radius_m=policy.duplicate_radius_m)
        hidden = outside(conn, who, (pr.id for pr in priors)) if who is not None else set()
        matched = {d.other_id for d in find_duplicates(
            new, [pr for pr in priors if pr.id in hidden], policy=policy)}
        matched |= {pr.id for pr in priors if pr.id in hidden
                    and (new.phones & pr.phones or new.names & pr.names)}
        others = elsewhere(conn, who, matched) if who is not None and matched else []
    priors = [pr for pr in priors if pr.id not in hidden]
    dups = find_duplicates(new, priors, policy=policy)
    risk = assess_risk(new, priors, policy=policy, duplicates=[d.other_id for d in dups])
    return {"location": loc.as_dict() if loc else None, "elsewhere": others,
            "duplicates": [{"other_id": d.other_id, "code": d.code, "score": d.score,
                            "reasons": list(d.reasons)} for d in dups],
            "risk": {"level": risk.level, "label": risk.label, "reasons": list(risk.reasons),
                     "threat": risk.threat, "one_case_plan": risk.one_case_plan}}


class PrecheckHandler(DispatchHandler):
    actions: ClassVar[dict[str, str]] = {"POST": "desk"}

    async def post(self) -> None:
        await self.run(lambda: precheck(self.app, self.body_json(schemas.PrecheckIn), self.who))


class LocateHandler(DispatchHandler):
    """定位 an address-only case the geocoder could not place alone (the domain's command)."""

    actions: ClassVar[dict[str, str]] = {"POST": "incident.locate"}

    async def post(self, incident_id: str) -> None:
        def work() -> Any:
            cmd = self.body(schemas.LocateIn).to_command(incident_id=int(incident_id),
                                                         actor=self.actor())
            self.incident(incident_id)
            return self.handle(cmd)
        await self.run(work)


def desk_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    return [
        (r"/api/v1/desk/snapshot", SnapshotHandler, args),
        (r"/api/v1/desk/precheck", PrecheckHandler, args),
        (r"/api/v1/desk/hub", HubHandler, args),
        (r"/api/v1/incidents/(\d{1,9})/locate", LocateHandler, args),
    ]
