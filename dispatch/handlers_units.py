"""Unit handlers: position pings (any CRS, ordered, replays once), status changes, policy edits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch import vocab
from dispatch.commands import ReportPosition, SetUnitStatus, UpdatePolicy
from dispatch.errors import InvalidCommand, NotFound
from dispatch.events import PolicyChanged, UnitMoved, UnitStatusChanged
from dispatch.policy import Policy
from dispatch.results import PositionRecorded, UnitStatusSet
from dispatch.telemetry import (
    REPLAY,
    check_accuracy,
    check_crs,
    check_fix,
    check_inside,
    check_status,
    to_wgs84_point,
    why_not_newer,
)

if TYPE_CHECKING:
    from dispatch.ports import UnitOfWork


def report_position(cmd: ReportPosition, uow: UnitOfWork) -> PositionRecorded:
    """Keep every ping in history (an exact replay once); move the unit only when the ping is
    newer than its last accepted fix (:mod:`dispatch.telemetry`)."""
    lon, lat = to_wgs84_point(cmd.lon, cmd.lat, check_crs(cmd.crs))
    policy = uow.policy
    fix = check_fix(cmd.at, cmd.seq, uow.now(), future_s=policy.position_future_s)
    accuracy = check_accuracy(cmd.accuracy_m)
    last = uow.units.last_fix(cmd.unit_id)
    if last is None:
        raise NotFound(f"处置单位 {cmd.unit_id} 不存在", unit_id=cmd.unit_id)
    off = check_inside(lon, lat, uow.units.territory_bounds(), limit_m=policy.position_outside_m)
    assert fix.at is not None
    recorded, current = uow.units.record_position(
        cmd.unit_id, lon, lat, at=fix.at, seq=fix.seq, accuracy_m=accuracy, crs=cmd.crs,
        reset_s=policy.position_seq_reset_s)
    if current:
        uow.emit(UnitMoved(cmd.unit_id, round(lon, 7), round(lat, 7), fix.at))
    # the reason reads the fix this transaction saw; the UPDATE above decided
    reason = None if current else REPLAY if not recorded else why_not_newer(fix, last)
    uow.commit()
    return PositionRecorded(cmd.unit_id, lon, lat, fix.at, current, applied=current,
                            reason=reason, seq=fix.seq, duplicate=not recorded,
                            outside_m=round(off, 1))


def set_unit_status(cmd: SetUnitStatus, uow: UnitOfWork) -> UnitStatusSet:
    unit = uow.units.get(cmd.unit_id, lock=True)
    if unit is None:
        raise NotFound(f"处置单位 {cmd.unit_id} 不存在", unit_id=cmd.unit_id)
    check_status(unit.status, cmd.status, unit.active_load)
    if cmd.status != unit.status:
        now = uow.now()
        uow.units.set_status(cmd.unit_id, cmd.status)
        uow.incidents.audit(at=now, actor=cmd.actor, action="unit_status", entity="unit",
                            entity_id=cmd.unit_id, from_state=unit.status, to_state=cmd.status,
                            reason=cmd.reason or vocab.UNIT_STATUSES[cmd.status])
        uow.emit(UnitStatusChanged(cmd.unit_id, unit.status, cmd.status))
        uow.commit()
    return UnitStatusSet(cmd.unit_id, unit.status, cmd.status)


def update_policy(cmd: UpdatePolicy, uow: UnitOfWork) -> Policy:
    """Merge the changes over the stored policy, validate, store, audit; every process sees
    it within the policy cache's check interval."""
    if not cmd.actor:
        raise InvalidCommand("须注明修改人", field="actor")
    new = Policy.from_dict(dict(cmd.changes), base=uow.policy)
    now = uow.now()
    uow.units.save_setting("policy", new.to_dict(), at=now, by=cmd.actor)
    uow.incidents.audit(at=now, actor=cmd.actor, action="policy_update", entity="policy",
                        entity_id=None, reason=cmd.reason,
                        detail={"changes": dict(cmd.changes)})
    uow.emit(PolicyChanged(cmd.actor, tuple(sorted(cmd.changes))))
    uow.commit()
    uow.policies.forget()
    return new
