"""The clock handler: process each due deadline stage exactly once, in its own transaction.

A stage row is claimed with ``FOR UPDATE SKIP LOCKED`` and marked processed in the same
transaction as its effects (warning, 督办 record, reassignment, escalation; for a whistle's
报到 deadline: overdue calls and 督办), so concurrent or repeated ticks and restarts after a
crash process every missed stage once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch import clocks, lifecycle
from dispatch.commands import SYSTEM, AssignUnits, RunClocks
from dispatch.errors import DispatchError
from dispatch.events import DeadlinePassed, DeadlineWarned
from dispatch.handlers_assign import assign, recommend_for
from dispatch.handlers_state import apply
from dispatch.handlers_whistle import process_overdue
from dispatch.results import TickReport

if TYPE_CHECKING:
    from datetime import datetime

    from dispatch.ports import UnitOfWork
    from dispatch.ports_rows import CaseRow, Json, TimerRow


def _reassign(uow: UnitOfWork, row: CaseRow, now: datetime, why: str) -> str:
    """Next best unit(s) instead of those who did not sign; inside a savepoint so a failure
    leaves the supervision record standing."""
    current = tuple(a["unit_id"] for a in uow.units.active_on(row["id"]))
    savepoint = uow.savepoint()
    try:
        rec = recommend_for(row["id"], uow, exclude=current)
        ids = rec.best_unit_ids
        if not ids:
            raise DispatchError("无其他可派力量")
        assign(AssignUnits(incident_id=row["id"], unit_ids=ids, actor=SYSTEM, reason=why,
                           reassign=True), uow, auto=True, commit=False)
        savepoint.commit()
        return "改派至 " + "、".join(map(str, ids))
    except DispatchError as err:
        savepoint.rollback()
        return f"自动改派未成：{err}"


def process(uow: UnitOfWork, timer: TimerRow, now: datetime, report: dict[str, int]
            ) -> None:
    """The effects of one claimed stage (caller commits)."""
    iid, kind, stage = timer["incident_id"], timer["kind"], timer["stage"]
    if kind == "whistle":  # a 报到 deadline: its own rule (dispatch.whistle.overdue)
        process_overdue(uow, timer, now, report)
        return
    row = uow.incidents.get(iid, lock=True)
    assert row is not None  # timers cascade with their incident
    has_units = bool(uow.units.active_on(iid))
    d = clocks.decide(kind, stage, state=row["state"], level=row["level"], policy=uow.policy,
                      has_units=has_units,
                      supervised="yellow" in uow.incidents.supervision_levels(iid, kind))
    detail: Json = {"timer_id": timer["id"], "kind": kind, "stage": stage,
                              "round": timer["round"], "due_at": timer["due_at"]}
    if d.skip:
        uow.incidents.finish_timer(timer["id"], now, "skipped")
        report["skipped"] += 1
        return
    if d.warn:
        uow.incidents.audit(at=now, actor=SYSTEM, action="deadline_warn", entity_id=iid,
                            reason=d.reason, detail=detail)
        uow.emit(DeadlineWarned(iid, kind, timer["due_at"]))
        report["warned"] += 1
    if d.supervision:
        sid = uow.incidents.open_supervision(iid, kind=kind, level=d.supervision, at=now,
                                             by=SYSTEM, reason=d.reason)
        detail["supervision_id"] = sid
        if d.reassign:
            detail["reassign"] = _reassign(uow, row, now, d.reason)
            report["reassigned"] += detail["reassign"].startswith("改派至")
        uow.incidents.audit(at=now, actor=SYSTEM, action=f"supervise_{d.supervision}",
                            entity_id=iid, reason=d.reason, detail=detail)
        uow.emit(DeadlinePassed(iid, kind, d.supervision))
        report["supervised"] += 1
    if d.escalate_to:
        row = uow.incidents.get(iid, lock=True) or row
        try:
            change = lifecycle.check(row["state"], "escalated", note=d.reason, manual=False,
                                     level=row["level"])
        except DispatchError:
            pass  # e.g. not yet located: the red supervision stands alone
        else:
            apply(uow, row, change, actor=SYSTEM, now=now, note=d.reason, detail=detail)
            report["escalated"] += 1
    uow.incidents.finish_timer(timer["id"], now, "done")


def run_clocks(cmd: RunClocks, uow: UnitOfWork) -> TickReport:
    """Process up to ``cmd.limit`` due stages, oldest first; each its own transaction."""
    counts = dict.fromkeys(("processed", "warned", "supervised", "escalated", "reassigned",
                            "skipped"), 0)
    errors: list[str] = []
    for _ in range(cmd.limit):
        with uow:
            now = uow.now()
            timer = uow.incidents.claim_due_timer(now)
            if timer is None:
                break
            try:
                process(uow, timer, now, counts)
            except DispatchError as err:
                uow.rollback()
                errors.append(f"{timer['incident_id']}: {err}")
            else:
                uow.commit()
                counts["processed"] += 1
                continue
        with uow:  # a rule refused: the stage is marked skipped with the reason, not retried
            if uow.incidents.finish_timer(timer["id"], uow.now(), "skipped"):
                uow.incidents.audit(at=uow.now(), actor=SYSTEM, action="deadline_error",
                                    entity_id=timer["incident_id"], reason=errors[-1])
            uow.commit()
    return TickReport(ran=True, errors=errors, **counts)
