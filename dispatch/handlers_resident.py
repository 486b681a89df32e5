"""Resident report handlers (扫码说事): submit (with the duplicate check), the desk's accept
(→ the normal intake, one transaction with its audit rows) or reject, and /track's additions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from dispatch import lifecycle, limits, resident, tracking, vocab
from dispatch.attachments import check_upload
from dispatch.commands import Party, RegisterIncident
from dispatch.commands_resident import (
    AcceptResidentReport,
    AddResidentInfo,
    RateResident,
    RejectResidentReport,
    SubmitResidentReport,
)
from dispatch.errors import Conflict, InvalidCommand, InvalidTransition, NotFound
from dispatch.events_resident import ResidentDecided, ResidentReported
from dispatch.handlers_intake import chain_ids, register_in
from dispatch.results import Registered

if TYPE_CHECKING:
    from dispatch.ports import UnitOfWork
    from dispatch.ports_rows import Json

RESIDENT_ACTOR = "resident"  # the audit's actor for what a resident does (no account)
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
# A wrong code and an unknown one get this same answer (no enumeration).
UNKNOWN = "查询码无效或不存在，请核对后重试"
NOWHERE: dict[str, int | None] = {"street_id": None, "community_id": None, "grid_id": None}
# an address-only report is accepted only once its place is known (no case half located)
NO_PLACE = ("该报告只有地址“{address}”，无法可靠定位：请在地图上点选或从候选地址中确认位置"
            "（lon/lat）后再受理")


def _located(uow: UnitOfWork, lon: float | None, lat: float | None) -> dict[str, int | None]:
    if lon is None or lat is None:
        return NOWHERE
    loc = uow.locate(lon, lat)
    if not loc.inside:
        return NOWHERE
    chain = chain_ids(loc)
    return {"street_id": chain["street"], "community_id": chain["community"],
            "grid_id": chain["grid"]}


def area_of(uow: UnitOfWork, r: resident.Report) -> dict[str, int | None]:
    """Where a report lies, located once at submission with the intake's locator (so a report
    lies in the street its case will lie in): its point; a point missing or outside the
    territory, its poster's place (``?at=``); neither, nowhere (whole-territory readers only)."""
    area = _located(uow, r.lon, r.lat)
    if area["street_id"] is None and r.place:
        spot = uow.residents.place_point(r.place)
        if spot is not None:
            area = _located(uow, *spot)
    return area


def submit(cmd: SubmitResidentReport, uow: UnitOfWork) -> Json:
    """待审核: a new report and its tracking code; or, if it repeats the same device's or
    phone's report at the same place, that it was received already (the earlier code only for
    the same device)."""
    r = resident.check(category=cmd.category, description=cmd.description,
                       address=cmd.address, lon=cmd.lon, lat=cmd.lat, place=cmd.place,
                       name=cmd.name, phone=cmd.phone, photos=len(cmd.photos))
    uploads = [check_upload(p.content, p.filename) for p in cmd.photos]
    for up in uploads:
        if up.content_type not in IMAGE_TYPES:
            raise InvalidCommand("照片（photos）须为 JPEG、PNG 或 WebP 图片", field="photos")
    now = uow.now()
    priors = uow.residents.recent(device=cmd.device, phone=r.phone,
                                  since=now - timedelta(hours=limits.RESIDENT_DUP_HOURS))
    dup = resident.earlier(r, priors, device=cmd.device, now=now)
    if dup is not None:
        same_device = cmd.device is not None and dup.get("device_hash") == cmd.device
        return {"duplicate": True, "tracking_code": tracking.display(dup["tracking_code"])
                if same_device else None}
    # the code was checked by the resident API; it is spent here, with the report, so a
    # report refused above leaves it usable
    verified = bool(cmd.phone_code and r.phone)
    if verified and not uow.residents.spend_phone_code(r.phone or "", cmd.phone_code or "",
                                                       at=now):
        raise InvalidCommand(resident.CODE_REFUSED, field="phone_code")
    for p, up in zip(cmd.photos, uploads, strict=True):
        uow.residents.store_blob(sha256=up.sha256, content=p.content)
    code = tracking.new_code()
    area = area_of(uow, r)
    rid = uow.residents.add({**area,
        "tracking_code": code, "category": r.category, "description": r.description,
        "address": r.address, "lon": r.lon, "lat": r.lat, "place": r.place, "name": r.name,
        "phone": r.phone, "device_hash": cmd.device, "submitted_at": now,
        "phone_verified": verified,
        "photos": [{"sha256": u.sha256, "content_type": u.content_type, "size": u.size,
                    "filename": u.filename} for u in uploads]})
    uow.incidents.audit(at=now, actor=RESIDENT_ACTOR, action="resident_report",
                        entity="resident_report", entity_id=rid, to_state="pending",
                        detail={"category": r.category, "photos": len(uploads),
                                "place": r.place, "anonymous": r.name is None})
    uow.emit(ResidentReported(report_id=rid, **area))
    uow.commit()
    return {"duplicate": False, "id": rid, "tracking_code": tracking.display(code),
            "phone_verified": verified}


def _pending(uow: UnitOfWork, report_id: int) -> Json:
    row = uow.residents.get(report_id, lock=True)
    if row is None:
        raise NotFound(f"居民报告 {report_id} 不存在", field="report_id")
    if row["status"] != "pending":
        done = "已受理" if row["status"] == "accepted" else "已驳回"
        raise Conflict(f"该居民报告{done}，不能再处理", field="report_id", state=row["status"])
    return row


def accept(cmd: AcceptResidentReport, uow: UnitOfWork) -> Registered:
    """受理: the report becomes a case through the normal intake (channel ``app``, its tracking
    code on the 受理 event), its photos the case's attachments; one transaction."""
    row = _pending(uow, cmd.report_id)
    lon, lat = row["lon"], row["lat"]
    if cmd.lon is not None and cmd.lat is not None:  # the dispatcher picked or confirmed it
        lon, lat = cmd.lon, cmd.lat
    if lon is None or lat is None:
        raise InvalidCommand(NO_PLACE.format(address=row["address"] or ""), field="lon")
    now = uow.now()
    name = row["name"] or ("居民（未留姓名）" if row["phone"] else None)
    parties = (Party(name=name, phone=row["phone"]),) if name else ()
    reg = register_in(RegisterIncident(
        category=cmd.category or row["category"], channel="app", actor=cmd.actor,
        priority=cmd.priority, title=f"居民扫码：{row['description'][:60]}",
        description=row["description"], address=row["address"], lon=lon,
        lat=lat, parties=parties), uow, tracking_code=tracking.display(row["tracking_code"]),
        source={"source": resident.SOURCE, "resident_report": row["id"]})
    assert isinstance(reg, Registered)  # no external id: always a new case
    uow.residents.decide(row["id"], status="accepted", by=cmd.actor, at=now,
                         incident_id=reg.incident_id)
    uow.residents.attach(reg.incident_id, row["photos"] or [], by=RESIDENT_ACTOR, at=now)
    uow.incidents.audit(at=now, actor=cmd.actor, action="resident_accept",
                        entity="resident_report", entity_id=row["id"], from_state="pending",
                        to_state="accepted", detail={"incident_id": reg.incident_id,
                                                     "code": reg.code})
    uow.emit(ResidentDecided(report_id=row["id"], status="accepted", case_id=reg.incident_id))
    uow.commit()
    return reg


def reject(cmd: RejectResidentReport, uow: UnitOfWork) -> Json:
    """不予受理 with the reason the resident reads on /track."""
    reason = limits.text(cmd.reason, "不予受理理由", "reason", limit=limits.REASON,
                         required=True)
    row = _pending(uow, cmd.report_id)
    now = uow.now()
    uow.residents.decide(row["id"], status="rejected", by=cmd.actor, at=now, reason=reason)
    uow.incidents.audit(at=now, actor=cmd.actor, action="resident_reject",
                        entity="resident_report", entity_id=row["id"], from_state="pending",
                        to_state="rejected", reason=reason)
    uow.emit(ResidentDecided(report_id=row["id"], status="rejected"))
    uow.commit()
    return {"id": row["id"], "status": "rejected", "reason": reason}


def _by_code(uow: UnitOfWork, code: str) -> Json:
    canon = tracking.normalise(code)
    row = uow.residents.by_code(canon, lock=True) if canon else None
    if row is None:
        raise NotFound(UNKNOWN, field="code")
    return row


def add_info(cmd: AddResidentInfo, uow: UnitOfWork) -> Json:
    """补充情况: a note on the report, audited on the case once it is one."""
    note = limits.text(cmd.text, "补充情况", "text", limit=limits.RESIDENT_INFO, required=True)
    assert note is not None
    row = _by_code(uow, cmd.code)
    if row["status"] == "rejected":
        raise InvalidTransition("该报告未予受理，不能补充；如有新情况请重新反映",
                                state="rejected")
    now = uow.now()
    nid = uow.residents.add_note(row["id"], note, at=now)
    case = row["incident_id"]
    uow.incidents.audit(at=now, actor=RESIDENT_ACTOR, action="resident_info",
                        entity="incident" if case else "resident_report",
                        entity_id=case or row["id"], reason=note,
                        detail={"resident_report": row["id"], "note_id": nid})
    uow.commit()
    return {"note_id": nid, "added_at": now.isoformat()}


def rate(cmd: RateResident, uow: UnitOfWork) -> Json:
    """评价: once, after 办结; kept as the resident's own, beside (not instead of) the 回访."""
    if not isinstance(cmd.rating, int) or not 1 <= cmd.rating <= 5:
        raise InvalidCommand("评价（rating）须为 1 到 5 星", field="rating")
    note = limits.text(cmd.note, "评价说明", "note", limit=limits.RESIDENT_INFO)
    row = _by_code(uow, cmd.code)
    case = uow.residents.case_state(row["incident_id"]) if row["incident_id"] else None
    if case is None or case["state"] not in vocab.DONE_STATES:
        raise InvalidTransition("案件办结后方可评价", state=case["state"] if case else
                                row["status"])
    if row["rating"] is not None:
        raise Conflict("已评价过，感谢您的反馈", field="rating")
    now = uow.now()
    uow.residents.rate(row["id"], rating=cmd.rating, note=note, at=now)
    uow.incidents.audit(at=now, actor=RESIDENT_ACTOR, action="resident_rating",
                        entity_id=row["incident_id"], reason=note,
                        detail={"rating": cmd.rating, "resident_report": row["id"],
                                "step": lifecycle.RESIDENT_STEPS[lifecycle.resident_step(
                                    case["state"],
                                    followed_up=case["followed_up_at"] is not None)]})
    uow.commit()
    return {"rating": cmd.rating, "rated_at": now.isoformat()}


RESIDENT_HANDLERS: dict[type, Callable[..., Any]] = {
    SubmitResidentReport: submit, AcceptResidentReport: accept, RejectResidentReport: reject,
    AddResidentInfo: add_info, RateResident: rate}
