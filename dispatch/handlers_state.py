"""Lifecycle handlers: a transition with its side effects and audit in one transaction; 回访."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch import clocks, lifecycle, vocab
from dispatch.commands import ChangeState, DecidePriority, RecordFollowUp
from dispatch.errors import Conflict, InvalidCommand, InvalidTransition, NotFound
from dispatch.events import FollowUpRecorded, IncidentEscalated, PriorityChanged, StateChanged
from dispatch.followup import check_visit, verdict
from dispatch.results import FollowedUp, PriorityDecided
from dispatch.results import StateChanged as StateResult

if TYPE_CHECKING:
    from datetime import datetime

    from dispatch.ports import UnitOfWork
    from dispatch.ports_rows import CaseRow, ClosureEvidence, Json


def _load(uow: UnitOfWork, incident_id: int, expected: str | None) -> CaseRow:
    row = uow.incidents.get(incident_id, lock=True)
    if row is None:
        raise NotFound(f"案件 {incident_id} 不存在", incident_id=incident_id)
    if expected and row["state"] != expected:
        raise Conflict(f"案件已被他人处理，当前为「{vocab.INCIDENT_STATES[row['state']]}」",
                       state=row["state"], incident_id=incident_id)
    return row


def restart_clocks(uow: UnitOfWork, row: CaseRow, now: datetime, *,
                   kinds: tuple[str, ...]) -> Json:
    """Cancel the running stages of ``kinds`` and start new rounds from ``now``."""
    policy, iid = uow.policy, row["id"]
    uow.incidents.cancel_timers(iid, kinds, now)
    cols: Json = {}
    for kind in kinds:
        rnd = uow.incidents.next_round(iid, kind)
        plan = (clocks.sign_clock(now, row["priority"], policy=policy, round=rnd) if kind == "sign"
                else clocks.close_clock(now, row["difficulty"], policy=policy, round=rnd))
        uow.incidents.add_timers(iid, plan)
        cols[f"{kind}_deadline"] = clocks.deadline(plan)
    return cols


def apply(uow: UnitOfWork, row: CaseRow, change: lifecycle.Change, *, actor: str,
          now: datetime, note: str | None, outcome: str | None = None,
          unit_id: int | None = None, detail: Json | None = None) -> tuple[int, ...]:
    """Write one allowed change with its effects and audit row (caller commits)."""
    iid, to = row["id"], change.to_state
    cols: Json = {}
    released: list[int] = []
    if to in lifecycle.STAMP:
        cols[lifecycle.STAMP[to]] = now
    if to in lifecycle.UNIT_STAMP:
        uow.units.stamp(iid, lifecycle.UNIT_STAMP[to], now, unit_id)
    if to in lifecycle.UNIT_STATUS_ON:
        uow.units.set_status_of_case_units(iid, lifecycle.UNIT_STATUS_ON[to])
    if change.releases_units:
        released = uow.units.release_all(iid, now, state="declined" if change.action == "release"
                                         else "released")
    if to == "acknowledged":
        uow.incidents.cancel_timers(iid, ("sign",), now)
    elif to == "escalated":
        up = clocks.next_level(row["level"]) or "city"
        cols.update(level=up, escalations=row["escalations"] + 1)
        cols.update(restart_clocks(uow, row, now, kinds=("sign",)))
        uow.emit(IncidentEscalated(iid, up))
    elif to == "resolved":
        cols["outcome"] = outcome
        uow.incidents.cancel_timers(iid, ("sign", "close", "whistle"), now)
        uow.incidents.close_supervisions(iid, now)
        uow.whistles.close_all(iid, now)  # the case is settled: no department still owes a report
        if outcome not in lifecycle.NO_FOLLOWUP:
            plan = clocks.followup_clock(now, policy=uow.policy)
            uow.incidents.add_followup(iid, clocks.deadline(plan))
            uow.incidents.add_timers(iid, plan)
    elif to == "closed":
        uow.incidents.cancel_timers(iid, ("sign", "close", "followup", "whistle"), now)
    elif to == "located":
        cols.update(restart_clocks(uow, row, now, kinds=("sign",) if not change.reopens
                                   else ("sign", "close")))
        if change.reopens:
            uow.incidents.cancel_timers(iid, ("followup",), now)
            cols.update(reopened=row["reopened"] + 1, outcome=None)
    if not uow.incidents.set_state(iid, change.from_state, to, **cols):
        raise Conflict("案件状态已被他人改变，请刷新后重试", incident_id=iid)
    uow.incidents.audit(at=now, actor=actor, action=change.action, entity_id=iid,
                        from_state=change.from_state, to_state=to, reason=note,
                        detail={**(detail or {}), **({"outcome": outcome} if outcome else {}),
                                **({"unit_id": unit_id} if unit_id else {}),
                                **({"released": released} if released else {})})
    uow.emit(StateChanged(iid, change.from_state, to, actor))
    return tuple(released)


def _closure(cmd: ChangeState, row: CaseRow, uow: UnitOfWork) -> ClosureEvidence:
    """The evidence a 办结 rests on (refused, naming what is missing), as its closure row."""
    iid = cmd.incident_id
    written = uow.incidents.has_agreement(iid)  # a 调解协议书 version (0009)
    c = lifecycle.Closure(outcome=cmd.outcome, note=cmd.note,
                          reached_scene=uow.closures.reached_scene(iid), channel=row["channel"],
                          on_the_spot=cmd.on_the_spot, spot_reason=cmd.spot_reason,
                          written_agreement=written, oral_terms=cmd.oral_terms,
                          referred_to=cmd.referred_to)
    basis = lifecycle.check_closure(c, state=row["state"])
    assert cmd.outcome is not None  # check_closure names a missing outcome
    mediated = cmd.outcome == "mediated"
    referred = cmd.outcome in ("litigation", "arbitration")
    return {"outcome": cmd.outcome, "basis": basis, "note": (cmd.note or "").strip(),
            "mediator": cmd.actor if basis == "on_the_spot" else None,
            "spot_reason": (cmd.spot_reason or "").strip() or None if cmd.on_the_spot else None,
            "agreement": ("written" if written else "oral") if mediated else None,
            "oral_terms": (cmd.oral_terms or "").strip() or None if mediated and not written
            else None,
            "referred_to": (cmd.referred_to or "").strip() or None if referred else None}


def change_state(cmd: ChangeState, uow: UnitOfWork) -> StateResult:
    """签收 / 到场 / 调解 / 上报 / 办结 / 归档 / 退回 / 重新处置, refused with a reason if invalid."""
    now = uow.now()
    row = _load(uow, cmd.incident_id, cmd.expected_state)
    change = lifecycle.check(row["state"], cmd.to, outcome=cmd.outcome, note=cmd.note,
                             level=row["level"], followed_up=row["followed_up_at"] is not None,
                             current_outcome=row["outcome"])
    if cmd.unit_id is not None and cmd.unit_id not in {
            a["unit_id"] for a in uow.units.active_on(cmd.incident_id)}:
        raise InvalidTransition(f"处置单位 {cmd.unit_id} 未承办此案", unit_id=cmd.unit_id)
    if cmd.to == "mediating" and row["state"] == "acknowledged" and \
            not uow.closures.reached_scene(cmd.incident_id):
        raise InvalidTransition("处置单位尚未到场，请先确认到场再开始调解",
                                state=row["state"], to=cmd.to)
    closure = _closure(cmd, row, uow) if cmd.to == "resolved" else None
    detail = None
    if closure is not None:
        uow.closures.add(cmd.incident_id, at=now, actor=cmd.actor, **closure)
        detail = {k: v for k, v in closure.items() if v is not None and k != "note"}
        action = "resolve_on_the_spot" if closure["basis"] == "on_the_spot" else None
        if action:
            change = lifecycle.Change(change.from_state, change.to_state, action,
                                      change.releases_units, change.reopens)
    released = apply(uow, row, change, actor=cmd.actor, now=now, note=cmd.note,
                     outcome=cmd.outcome, unit_id=cmd.unit_id, detail=detail)
    uow.commit()
    return StateResult(cmd.incident_id, change.from_state, change.to_state, now, released)


def record_followup(cmd: RecordFollowUp, uow: UnitOfWork) -> FollowedUp:
    """回访 on a resolved case; dissatisfaction or a broken agreement reopens it (two audit
    rows, one transaction)."""
    now = uow.now()
    row = _load(uow, cmd.incident_id, None)
    check_visit(row["state"], cmd.satisfaction, cmd.neighbours_visited,
                agreement_holds=cmd.agreement_holds, method=cmd.method)
    assert cmd.satisfaction is not None and cmd.agreement_holds is not None
    assert cmd.neighbours_visited is not None
    v = verdict(cmd.satisfaction, cmd.agreement_holds, policy=uow.policy)
    uow.incidents.complete_followup(cmd.incident_id, at=now, satisfaction=cmd.satisfaction,
                                    agreement_holds=cmd.agreement_holds,
                                    neighbours=cmd.neighbours_visited, note=cmd.note,
                                    actor=cmd.actor, method=cmd.method)
    uow.incidents.update(cmd.incident_id, satisfaction=cmd.satisfaction,
                         agreement_holds=cmd.agreement_holds)
    visit = lifecycle.check("resolved", "followed_up", manual=False)
    apply(uow, row, visit, actor=cmd.actor, now=now, note=cmd.note or v.reason,
          detail={"satisfaction": cmd.satisfaction, "agreement_holds": cmd.agreement_holds,
                  "neighbours_visited": cmd.neighbours_visited, "method": cmd.method})
    state = "followed_up"
    if v.reopen:
        row = {**row, "state": "followed_up"}
        apply(uow, row, lifecycle.check("followed_up", "located", note=v.reason), actor=cmd.actor,
              now=now, note=v.reason)
        state = "located"
    uow.emit(FollowUpRecorded(cmd.incident_id, cmd.satisfaction, cmd.agreement_holds, v.reopen))
    uow.commit()
    return FollowedUp(cmd.incident_id, state, v.reopen, v.reason)


def decide_priority(cmd: DecidePriority, uow: UnitOfWork) -> PriorityDecided:
    """The officer confirms the risk check's proposed priority or keeps their own (audited
    either way); a changed priority restarts a sign-for clock still running."""
    if cmd.priority not in vocab.PRIORITIES:
        raise InvalidCommand("紧急程度须为 1-4（紧急、较急、一般、轻微）", field="priority")
    now = uow.now()
    row = _load(uow, cmd.incident_id, None)
    proposed = row["proposed_priority"]
    if proposed is None:
        raise InvalidTransition("该案件没有待确认的紧急程度建议", state=row["state"])
    if row["state"] not in vocab.OPEN_STATES:
        raise InvalidTransition(f"案件{vocab.INCIDENT_STATES[row['state']]}，无需确认紧急程度",
                                state=row["state"])
    if cmd.priority not in (proposed, row["priority"]):
        raise InvalidCommand(f"须在建议的「{vocab.PRIORITIES[proposed]}」与原定的"
                             f"「{vocab.PRIORITIES[row['priority']]}」之间选择", field="priority")
    accepted = cmd.priority == proposed
    cols: Json = {"priority": cmd.priority, "proposed_priority": None}
    if accepted and row["state"] in clocks.LIVE_STATES["sign"]:
        cols.update(restart_clocks(uow, {**row, "priority": cmd.priority}, now, kinds=("sign",)))
    uow.incidents.update(cmd.incident_id, **cols)
    uow.incidents.audit(
        at=now, actor=cmd.actor, action="priority_confirm" if accepted else "priority_keep",
        entity_id=cmd.incident_id, reason=cmd.reason or (
            f"采纳风险研判建议：{vocab.PRIORITIES[proposed]}" if accepted else
            f"保持原定紧急程度：{vocab.PRIORITIES[row['priority']]}"),
        detail={"from": row["priority"], "to": cmd.priority, "proposed": proposed,
                "risk_reasons": row["risk_reasons"]})
    uow.emit(PriorityChanged(cmd.incident_id, row["priority"], cmd.priority, cmd.actor))
    uow.commit()
    return PriorityDecided(cmd.incident_id, cmd.priority, proposed, accepted)
