"""Intake handlers: register (受理) with duplicates and risk, locate, link or merge."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from dispatch import clocks, lifecycle, limits, vocab
from dispatch.commands import LinkIncidents, LocateIncident, RegisterIncident
from dispatch.errors import InvalidCommand, InvalidTransition, NotFound
from dispatch.events import DuplicateFlagged, IncidentLocated, IncidentRegistered, RiskRaised
from dispatch.model import BEIJING
from dispatch.ports_rows import AuditEntry
from dispatch.results import AlreadyRegistered, Linked, Located, Registered
from dispatch.risk import (
    DuplicateHit,
    NewCase,
    PriorCase,
    RiskAssessment,
    assess_risk,
    find_duplicates,
    prior_since,
    propose_priority,
)
from dispatch.telemetry import to_wgs84_point
from geo.locate import Location

if TYPE_CHECKING:
    from dispatch.policy import Policy
    from dispatch.ports import UnitOfWork
    from dispatch.ports_rows import Json


def _check(cmd: RegisterIncident) -> int:
    if cmd.category not in vocab.CATEGORIES:
        raise InvalidCommand(f"未知的纠纷类别：{cmd.category}", field="category")
    if cmd.channel not in vocab.CHANNELS:
        raise InvalidCommand(f"未知的受理渠道：{cmd.channel}", field="channel")
    if cmd.priority not in vocab.PRIORITY_CODES:
        raise InvalidCommand(f"未知的紧急程度：{cmd.priority}（urgent/high/normal/low）",
                             field="priority")
    if cmd.difficulty not in vocab.DIFFICULTIES:
        raise InvalidCommand(f"未知的难易程度：{cmd.difficulty}", field="difficulty")
    if cmd.language and cmd.language not in vocab.LANGUAGES:
        raise InvalidCommand(f"未知的语言：{cmd.language}", field="language")
    if (cmd.lon is None) != (cmd.lat is None):
        raise InvalidCommand("经度与纬度须同时给出", field="lon")
    if cmd.lon is None and not (cmd.address and cmd.address.strip()):
        raise InvalidCommand("须给出地址或坐标", field="address")
    if not cmd.actor:
        raise InvalidCommand("须注明登记人", field="actor")
    if (cmd.external_id is None) != (cmd.external_source is None):
        raise InvalidCommand("外部编号与来源平台须同时给出", field="external_id")
    if cmd.external_id is not None and cmd.external_source is not None:
        limits.text(cmd.external_source, "来源平台", "external_source",
                    limit=limits.EXTERNAL_SOURCE, required=True)
        limits.text(cmd.external_id, "外部编号", "external_id", limit=limits.EXTERNAL_ID,
                    required=True)
    for p in cmd.parties:
        if not p.name.strip():
            raise InvalidCommand("当事人姓名不能为空", field="parties")
    return vocab.PRIORITY_CODES[cmd.priority]


def chain_ids(loc: Location) -> dict[str, int | None]:
    keys = ("street", "community", "grid", "micro_grid", "police_grid")
    return {k: (p.id if (p := loc.chain.get(k)) else None) for k in keys}


def register(cmd: RegisterIncident, uow: UnitOfWork, *, received: datetime | None = None
             ) -> Registered | AlreadyRegistered:
    """One transaction whose last statement writes the case with its code, clocks, links to
    probable duplicates and audit rows (the counter's lock is held from there to the commit
    only); a case whose external id is known already is that case (nothing written, no
    event). ``received``: when the centre received it, if not now (a registration run again
    alone after its group-commit batch failed)."""
    out = register_in(cmd, uow, received=received)
    if isinstance(out, Registered):
        uow.commit()
    return out


def register_in(cmd: RegisterIncident, uow: UnitOfWork, *, tracking_code: str | None = None,
                source: Json | None = None, received: datetime | None = None
                ) -> Registered | AlreadyRegistered:
    """:func:`register`'s writes inside the caller's transaction (not committed): a resident's
    report accepted at the desk is registered with its tracking code and ``source`` (the
    report it came from, in the audit row)."""
    intake = prepare(cmd, uow, tracking_code=tracking_code, source=source, received=received)
    return intake if isinstance(intake, AlreadyRegistered) else write(intake, uow)


@dataclass(frozen=True)
class Intake:
    """A registration checked and weighed (duplicates, risk, clocks), not yet written."""

    cmd: RegisterIncident
    values: Json
    point: tuple[float, float] | None
    loc: Location | None
    dups: list[DuplicateHit]
    risk: RiskAssessment
    priority: int
    level: str
    proposed: int | None
    sign: list[clocks.TimerSpec]
    close: list[clocks.TimerSpec]
    external: Json
    tracking_code: str | None
    source: Json | None
    priors: tuple[PriorCase, ...] = ()  # the earlier cases it was weighed against


def prepare(cmd: RegisterIncident, uow: UnitOfWork, *, tracking_code: str | None = None,
            source: Json | None = None, received: datetime | None = None
            ) -> Intake | AlreadyRegistered:
    """Everything a registration reads and decides before it writes (nothing written): the
    known external id, the place, earlier cases, risk and clocks."""
    _check(cmd)
    known = already(cmd, uow)
    return known if known is not None else weigh(cmd, uow, tracking_code=tracking_code,
                                                 source=source, received=received)


def already(cmd: RegisterIncident, uow: UnitOfWork) -> AlreadyRegistered | None:
    """The case already registered under the command's external id (which stays locked
    until the transaction ends, so two registrations of one id in two transactions make one
    case; a group-commit batch locks and reads its ids at once, and a repeat within the
    batch is answered with the case its first made), or None."""
    pair = external_of(cmd)
    if pair is None:
        return None
    ext_source, ext = pair
    known = uow.outbox.find_external(ext_source, ext)
    if known is None:
        return None
    row = uow.incidents.get(known)
    assert row is not None
    return AlreadyRegistered(known, row["code"], row["state"], ext_source, ext)


@dataclass(frozen=True)
class Received:
    """A registration as received: checked (no I/O), its point in WGS-84, its time."""

    cmd: RegisterIncident
    priority: int
    point: tuple[float, float] | None
    at: datetime  # when the centre received it: its reported_at, clocks and audit time


def receive(cmd: RegisterIncident, at: datetime) -> Received:
    """The registration checked and its point converted, received at ``at`` (refusals raise
    here, before anything is read)."""
    priority = _check(cmd)
    point = to_wgs84_point(cmd.lon, cmd.lat, cmd.crs) if cmd.lon is not None and \
        cmd.lat is not None else None
    return Received(cmd, priority, point, at)


def external_of(cmd: RegisterIncident) -> tuple[str, str] | None:
    """The command's (external source, external id), trimmed, or None."""
    if cmd.external_source is None or cmd.external_id is None:
        return None
    return cmd.external_source.strip(), cmd.external_id.strip()


def weigh(cmd: RegisterIncident, uow: UnitOfWork, *, tracking_code: str | None = None,
          source: Json | None = None, received: datetime | None = None) -> Intake:
    """A registration checked, placed and weighed against earlier cases (reads only; the
    external id is :func:`already`'s). Its ``reported_at`` is when the centre received it:
    ``received``, else now."""
    return weigh_received(receive(cmd, received if received is not None else uow.now()), uow,
                          tracking_code=tracking_code, source=source)


def weigh_received(got: Received, uow: UnitOfWork, *, tracking_code: str | None = None,
                   source: Json | None = None) -> Intake:
    """:func:`weigh` of a registration already received (a group-commit batch weighs each of
    its own in its transaction, a moment after it was received; its code follows the commit
    order)."""
    cmd, point, policy = got.cmd, got.point, uow.policy
    loc = uow.locate(*point) if point else None
    priors = uow.incidents.priors(lon=point[0] if point else None,
                                  lat=point[1] if point else None, address=cmd.address,
                                  keys=sorted(party_keys(cmd)), since=prior_since(got.at, policy),
                                  radius_m=policy.duplicate_radius_m)
    return judge(cmd, policy, now=got.at, point=point, loc=loc, priors=priors,
                 priority=got.priority, tracking_code=tracking_code, source=source)


def party_keys(cmd: RegisterIncident) -> frozenset[str]:
    """The phones and names earlier cases are searched by."""
    return frozenset(p.phone for p in cmd.parties if p.phone) | frozenset(
        p.name for p in cmd.parties)


def rejudge(it: Intake, more: Sequence[PriorCase], policy: Policy) -> Intake:
    """``it`` weighed again with ``more`` earlier cases beside the ones it read (a group-commit
    batch's earlier registrations, which its read could not see)."""
    return judge(it.cmd, policy, now=it.values["reported_at"], point=it.point, loc=it.loc,
                 priors=[*it.priors, *more], priority=it.priority,
                 tracking_code=it.tracking_code, source=it.source)


def judge(cmd: RegisterIncident, policy: Policy, *, now: datetime,
          point: tuple[float, float] | None, loc: Location | None,
          priors: Sequence[PriorCase], priority: int, tracking_code: str | None,
          source: Json | None) -> Intake:
    """The registration decided from what was read (no I/O): duplicates, risk, clocks, row."""
    inside = loc is not None and loc.inside
    parties = [{k: v for k, v in asdict(p).items() if v is not None} for p in cmd.parties]
    phones = frozenset(p.phone for p in cmd.parties if p.phone)
    names = frozenset(p.name for p in cmd.parties)
    new = NewCase(address=cmd.address, phones=phones, names=names, description=cmd.description,
                  n_parties=len(cmd.parties), reported_at=now)
    dups = find_duplicates(new, priors, policy=policy)
    risk = assess_risk(new, priors, policy=policy, duplicates=[d.other_id for d in dups])
    proposed = propose_priority(priority, risk)  # shown to the officer, never applied silently
    level = policy.level_for(priority, cmd.difficulty, risk.level)
    sign = clocks.sign_clock(now, priority, policy=policy)
    close = clocks.close_clock(now, cmd.difficulty, policy=policy)
    state = "located" if inside else "registered"
    caller = cmd.parties[0] if cmd.parties else None
    pair = external_of(cmd)
    external: Json = {} if pair is None else {"external_source": pair[0],
                                              "external_id": pair[1]}
    values: Json = {
        "channel": cmd.channel, "category": cmd.category,
        "priority": priority, "difficulty": cmd.difficulty,
        "title": (cmd.title or cmd.description or vocab.CATEGORIES[cmd.category])[:200],
        "description": cmd.description, "address": cmd.address, "state": state,
        "risk_level": risk.level, "risk_reasons": list(risk.reasons),
        "risk_basis": [c.as_dict() for c in risk.basis],
        "one_case_plan": risk.one_case_plan, "language": cmd.language,
        "caller_name": caller.name if caller else None,
        "caller_phone": caller.phone if caller else None, "parties": parties,
        "reported_at": now, "sign_deadline": clocks.deadline(sign),
        "close_deadline": clocks.deadline(close), "created_by": cmd.actor, "level": level,
        "auto_dispatch": cmd.auto_dispatch, "proposed_priority": proposed, **external,
    }
    if inside and loc is not None:
        values.update({f"{k}_id": v for k, v in chain_ids(loc).items()})
    return Intake(cmd, values, point, loc, dups, risk, priority, level,
                  proposed, list(sign), list(close), external, tracking_code, source,
                  tuple(priors))


def write(it: Intake, uow: UnitOfWork, *, targets_held: bool = False) -> Registered:
    """A prepared registration written by one last statement, its events emitted (not
    committed). The cases it links to are key-share locked first (unless ``targets_held``:
    a batch locked them all), so the counter row is never held while waiting for them."""
    cmd, dups, risk, loc, point = it.cmd, it.dups, it.risk, it.loc, it.point
    priority, level, proposed, external, source = (it.priority, it.level, it.proposed,
                                                   it.external, it.source)
    sign, close, tracking_code, values = it.sign, it.close, it.tracking_code, it.values
    now, policy = values["reported_at"], uow.policy
    inside = loc is not None and loc.inside
    state = values["state"]
    links = [{"other_id": d.other_id, "kind": "probable", "score": d.score,
              "reasons": list(d.reasons), "at": now, "by": cmd.actor} for d in dups]
    audits = [AuditEntry(at=now, actor=cmd.actor, action="register", entity_id=None,
                         to_state="registered", reason=f"{vocab.CHANNELS[cmd.channel]}受理",
                         detail={"code": None, "priority": priority, "level": level,
                                 "risk": risk.level, "auto_dispatch": cmd.auto_dispatch,
                                 **external,
                                 **({"proposed_priority": proposed} if proposed else {}),
                                 **(source or {})})]
    if inside and loc is not None:
        audits.append(AuditEntry(at=now, actor=cmd.actor, action="locate", entity_id=None,
                                 from_state="registered", to_state="located",
                                 detail={"lon": loc.lon, "lat": loc.lat, **chain_ids(loc)}))
    if links and not targets_held:
        uow.incidents.hold([d.other_id for d in dups])
    # last, one statement: the year's counter row stays locked from here until commit (codes
    # are gapless); the row, clocks, links and audit rows are written with the code
    iid, code = uow.incidents.create(
        values, lon=point[0] if inside and point else None,
        lat=point[1] if inside and point else None, year=now.astimezone(BEIJING).year,
        timers=[*sign, *close], links=links, audits=audits)
    uow.emit(IncidentRegistered(iid, code, cmd.category, priority, risk.level,
                                tuple(d.other_id for d in dups), tracking_code))
    if inside and loc is not None:
        ids = chain_ids(loc)
        uow.emit(IncidentLocated(iid, ids["grid"], ids["police_grid"], ids["street"]))
    for d in dups:
        uow.emit(DuplicateFlagged(iid, d.other_id, "probable"))
    if risk.level:
        uow.emit(RiskRaised(iid, risk.level, risk.reasons))
    auto = cmd.auto_dispatch if cmd.auto_dispatch is not None else policy.auto_dispatches(
        cmd.category, priority)
    return Registered(iid, code, state, priority, level, loc.as_dict() if loc else None,
                      tuple(dups), risk, clocks.deadline(sign), clocks.deadline(close),
                      auto and inside, proposed_priority=proposed)


def locate(cmd: LocateIncident, uow: UnitOfWork) -> Located:
    now = uow.now()
    row = uow.incidents.get(cmd.incident_id, lock=True)
    if row is None:
        raise NotFound(f"案件 {cmd.incident_id} 不存在", incident_id=cmd.incident_id)
    lon, lat = to_wgs84_point(cmd.lon, cmd.lat, cmd.crs)
    loc = uow.locate(lon, lat)
    if not loc.inside:
        raise InvalidCommand("该点不在辖区内，无法定位到网格", field="lon",
                             nearest=loc.as_dict().get("nearest_grid"))
    if row["state"] not in lifecycle.UNSENT:
        raise InvalidTransition(f"案件{vocab.INCIDENT_STATES[row['state']]}，不能重新定位",
                                state=row["state"])
    uow.incidents.locate(cmd.incident_id, lon, lat, chain_ids(loc))
    if row["state"] == "registered":
        uow.incidents.set_state(cmd.incident_id, "registered", "located")
    uow.incidents.audit(at=now, actor=cmd.actor, action="locate", entity_id=cmd.incident_id,
                        from_state=row["state"], to_state="located",
                        detail={"lon": lon, "lat": lat, **chain_ids(loc)})
    ids = chain_ids(loc)
    uow.emit(IncidentLocated(cmd.incident_id, ids["grid"], ids["police_grid"], ids["street"]))
    uow.commit()
    return Located(cmd.incident_id, "located", loc.as_dict())


def link(cmd: LinkIncidents, uow: UnitOfWork) -> Linked:
    """Confirm a duplicate / related link; ``merged`` closes this case into the other."""
    if cmd.kind not in vocab.LINK_KINDS:
        raise InvalidCommand(f"关联类型须为 {' / '.join(vocab.LINK_KINDS)}", field="kind")
    if cmd.incident_id == cmd.other_id:
        raise InvalidCommand("不能与自身关联", field="other_id")
    now = uow.now()
    first, second = sorted((cmd.incident_id, cmd.other_id))
    rows = {i: uow.incidents.get(i, lock=True) for i in (first, second)}
    for i, r in rows.items():
        if r is None:
            raise NotFound(f"案件 {i} 不存在", incident_id=i)
    row, other = rows[cmd.incident_id], rows[cmd.other_id]
    assert row is not None and other is not None
    state = row["state"]
    if cmd.kind == "merged":
        if state not in lifecycle.UNSENT:
            raise InvalidTransition("只有尚未派单的案件才能合并到另一案件", state=state)
        if other["state"] == "closed":
            raise InvalidTransition(f"目标案件 {other['code']} 已归档，不能并入", state=state)
        reason = cmd.reason or f"合并至 {other['code']}"
        uow.incidents.set_state(cmd.incident_id, state, "closed", closed_at=now,
                                merged_into=cmd.other_id, outcome="withdrawn")
        uow.incidents.cancel_timers(cmd.incident_id, ("sign", "close", "followup"), now)
        uow.incidents.audit(at=now, actor=cmd.actor, action="merge", entity_id=cmd.incident_id,
                            from_state=state, to_state="closed", reason=reason,
                            detail={"into": cmd.other_id})
        state = "closed"
    uow.incidents.add_link(cmd.incident_id, cmd.other_id, kind=cmd.kind, at=now, by=cmd.actor,
                           reasons=(cmd.reason,) if cmd.reason else ())
    if cmd.kind != "merged":
        uow.incidents.audit(at=now, actor=cmd.actor, action=f"link_{cmd.kind}",
                            entity_id=cmd.incident_id, reason=cmd.reason,
                            detail={"other_id": cmd.other_id})
    uow.emit(DuplicateFlagged(cmd.incident_id, cmd.other_id, cmd.kind))
    uow.commit()
    return Linked(cmd.incident_id, cmd.other_id, cmd.kind, state)
