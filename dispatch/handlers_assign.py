"""Assignment handlers: recommend, assign / reassign (race-safe), auto-dispatch with retries."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from dispatch import clocks, lifecycle, limits, vocab
from dispatch.adapters.repository import facts
from dispatch.commands import SYSTEM, AssignUnits, AutoDispatch
from dispatch.errors import Conflict, InvalidCommand, InvalidTransition, NotFound, UnitUnavailable
from dispatch.eta import EtaColumns, eta_columns
from dispatch.events import StateChanged, UnitsAssigned
from dispatch.recommend import Recommendation, exclusions_for, recommend
from dispatch.results import Assigned

if TYPE_CHECKING:
    from datetime import datetime

    from numpy.typing import NDArray

    from dispatch.model import IncidentFacts
    from dispatch.policy import Policy
    from dispatch.ports import UnitOfWork
    from dispatch.ports_rows import CaseRow
    from dispatch.rank import UnitTable

def recommend_for(incident_id: int, uow: UnitOfWork, *, exclude: tuple[int, ...] = (),
                  full: bool = False) -> Recommendation:
    """Ranked candidates (and pairs) for a located case; read-only.

    ETAs are first asked only up to the policy's ETA horizon (a unit farther earns no ETA
    points, so its score is the same either way; the road run stops there and units that
    cannot be that near by straight distance are not timed at all). Such a unit sorts after
    every unit within the horizon of equal score; should one of them still be shown (a single
    or a pair member), every ETA is asked again without the cut-off and the units ranked
    again: the answer is always the full computation's (``full=True``: that alone, every
    ETA without the cut-off, as tests and benchmarks compare)."""
    row = uow.incidents.get(incident_id)
    if row is None:
        raise NotFound(f"案件 {incident_id} 不存在", incident_id=incident_id)
    if row["lon"] is None or row["lat"] is None:
        raise InvalidTransition("案件尚未定位，无法推荐处置力量", state=row["state"])
    policy, now = uow.policy, uow.now()
    inc = facts(row, policy=policy)
    table = uow.candidate_table()
    among = table.takes_cases
    # ETAs only for the units that may be offered: no other's is read
    why = exclusions_for(inc, table, policy=policy, now=now, exclude=exclude, among=among)
    placed = np.flatnonzero(table.placed & (why == -1))
    if not placed.size:
        return recommend(inc, table, {}, policy=policy, now=now, exclude=exclude,
                         eta_s=np.full(len(table), np.nan), among=among, why=why)
    pts = np.column_stack((table.lon[placed], table.lat[placed]))
    foot, at = table.on_foot[placed], (row["lon"], row["lat"])
    cut = None if full else policy.weights.eta_horizon_s
    found = eta_columns(uow.eta, pts, foot, at, within_s=cut)
    rec = _ranked(inc, table, placed, found, among, why, policy=policy, now=now,
                  exclude=exclude)
    beyond = table.id[placed][found.method == "beyond"]
    if np.isin(rec.shown_unit_ids, beyond).any():  # a far unit is shown: its ETA, all exact
        rec = _ranked(inc, table, placed, eta_columns(uow.eta, pts, foot, at), among, why,
                      policy=policy, now=now, exclude=exclude)
    return rec


def _ranked(inc: IncidentFacts, table: UnitTable, placed: NDArray[np.int64], found: EtaColumns,
            among: NDArray[np.bool_], why: NDArray[np.int64], *, policy: Policy, now: datetime,
            exclude: tuple[int, ...]) -> Recommendation:
    eta_s = np.full(len(table), np.nan)
    eta_s[placed] = found.seconds
    return recommend(inc, table, found.by_id(table.id[placed]), policy=policy, now=now,
                     exclude=exclude, eta_s=eta_s, among=among, why=why)


def _refuse_unit(uow: UnitOfWork, unit_id: int) -> UnitUnavailable | NotFound:
    unit = uow.units.get(unit_id)
    if unit is None:
        return NotFound(f"处置单位 {unit_id} 不存在", unit_id=unit_id)
    who = uow.units.who_took(unit_id)
    name = f"{vocab.UNIT_TYPES.get(unit.unit_type, '')}{unit.name}（{unit.code}）"
    if unit.status == "off_duty":
        return UnitUnavailable(f"{name}已下班，不能派单", unit_id=unit_id, status=unit.status)
    took = (f"已被 {who.get('assigned_by') or '他人'} 派往案件 {who.get('incident_code')}"
            if who.get("incident_code") else "已满负荷")
    return UnitUnavailable(f"{name}{took}（在办 {unit.active_load}/{unit.capacity}）",
                           unit_id=unit_id, taken_by=who.get("assigned_by"),
                           incident_id=who.get("incident_id"),
                           incident_code=who.get("incident_code"))


def _needs_reason(cmd: AssignUnits, row: CaseRow, uow: UnitOfWork) -> str | None:
    if cmd.actor == SYSTEM:
        return None
    if cmd.reassign:
        return "改派须说明理由"
    wants_auto = row["auto_dispatch"] if row["auto_dispatch"] is not None else \
        uow.policy.auto_dispatches(row["category"], row["priority"])
    if wants_auto:
        return "该案件按策略由系统自动派单，人工指定须说明理由"
    return None


def assign(cmd: AssignUnits, uow: UnitOfWork, *, auto: bool = False,
           reasons: tuple[str, ...] = (), commit: bool = True) -> Assigned:
    """Send units to a case in one transaction with its audit; any unit refused → nothing."""
    ids = tuple(dict.fromkeys(cmd.unit_ids))
    if not ids or len(ids) > limits.UNITS_PER_DISPATCH:
        raise InvalidCommand(f"须选择 1-{limits.UNITS_PER_DISPATCH} 个处置单位", field="unit_ids")
    now = uow.now()
    row = uow.incidents.get(cmd.incident_id, lock=True)  # one dispatcher per case at a time
    if row is None:
        raise NotFound(f"案件 {cmd.incident_id} 不存在", incident_id=cmd.incident_id)
    state = row["state"]
    if cmd.expected_state and state != cmd.expected_state:
        raise Conflict(f"案件已被他人处理，当前为「{vocab.INCIDENT_STATES[state]}」",
                       state=state, incident_id=cmd.incident_id)
    current = uow.units.active_on(cmd.incident_id)
    if state in lifecycle.REASSIGN_FROM and not cmd.reassign:
        by = current[0]["assigned_by"] if current else "他人"
        raise Conflict(f"案件已由 {by} 派单（{len(current)} 个单位），如需改派请选择改派并说明理由",
                       state=state, taken_by=by, unit_ids=[a["unit_id"] for a in current])
    if state not in lifecycle.ASSIGNABLE:
        raise InvalidTransition(f"案件处于「{vocab.INCIDENT_STATES[state]}」，不能派单",
                                state=state, to="assigned")
    need = _needs_reason(cmd, row, uow)
    if need and not (cmd.reason and cmd.reason.strip()):
        raise InvalidCommand(need, field="reason")
    released: list[int] = []
    if cmd.reassign or state == "escalated":
        released = uow.units.release_all(cmd.incident_id, now,
                                         unit_ids=[a["unit_id"] for a in current
                                                   if a["unit_id"] not in ids])
    keep = {a["unit_id"] for a in current} - set(released)
    for uid in sorted(set(ids) - keep):  # fixed order: two pairs never deadlock
        if not uow.units.take(uid):
            raise _refuse_unit(uow, uid)
    for k, uid in enumerate(ids):
        if uid not in keep:
            uow.units.assign(cmd.incident_id, uid, role="lead" if k == 0 else "pair", at=now,
                             by=cmd.actor)
    policy = uow.policy
    sign_deadline = row["sign_deadline"]
    if state != "located" or cmd.reassign:  # a new sign-for clock for the new units
        uow.incidents.cancel_timers(cmd.incident_id, ("sign",), now)
        rnd = uow.incidents.next_round(cmd.incident_id, "sign")
        plan = clocks.sign_clock(now, row["priority"], policy=policy, round=rnd)
        uow.incidents.add_timers(cmd.incident_id, plan)
        sign_deadline = clocks.deadline(plan)
    if not uow.incidents.set_state(cmd.incident_id, state, "assigned", assigned_at=now,
                                   sign_deadline=sign_deadline, acknowledged_at=None):
        raise Conflict("案件状态已被他人改变，请刷新后重试", incident_id=cmd.incident_id)
    action = "reassign" if state in lifecycle.REASSIGN_FROM else "assign"
    uow.incidents.audit(at=now, actor=cmd.actor, action=action, entity_id=cmd.incident_id,
                        from_state=state, to_state="assigned",
                        reason=cmd.reason or ("系统自动派单" if auto else None),
                        detail={"unit_ids": list(ids), "released": released, "auto": auto,
                                "recommendation": list(reasons)})
    uow.emit(UnitsAssigned(cmd.incident_id, ids, cmd.actor, auto, tuple(released)))
    uow.emit(StateChanged(cmd.incident_id, state, "assigned", cmd.actor))
    if commit:
        uow.commit()
    return Assigned(cmd.incident_id, ids, "assigned", sign_deadline, tuple(released), auto,
                    reasons)


def auto_dispatch(cmd: AutoDispatch, uow: UnitOfWork) -> Assigned:
    """Assign the best recommendation; when someone takes a unit first, try the next best
    (each try its own transaction), up to the policy's ``auto_tries``."""
    exclude = list(cmd.exclude)
    last: Exception | None = None
    tries, attempt = 1, 0
    while attempt < tries:
        attempt += 1
        with uow:
            tries = max(1, uow.policy.auto_tries)
            rec = recommend_for(cmd.incident_id, uow, exclude=tuple(exclude))
            ids = rec.best_unit_ids
            if not ids:
                why = "、".join(f"{k} {v} 人" for k, v in rec.excluded.items()) or "无候选"
                raise UnitUnavailable(f"没有可派的处置力量（{why}）", excluded=rec.excluded)
            top = rec.pairs[0].reasons[:2] if rec.paired and rec.pairs else \
                rec.candidates[0].reasons
            try:
                return assign(AssignUnits(incident_id=cmd.incident_id, unit_ids=ids,
                                          actor=cmd.actor, reason=cmd.reason,
                                          reassign=cmd.reassign), uow, auto=True, reasons=top)
            except UnitUnavailable as err:  # taken meanwhile: next best
                last = err
                taken = err.detail.get("unit_id")
                exclude.extend([int(str(taken))] if taken is not None else ids)
    assert last is not None
    raise last

