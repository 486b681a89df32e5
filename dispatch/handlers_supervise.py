"""督办 by a person: a yellow or red supervision on an open case, audited in its transaction.

The clocks open 督办 on their own when a deadline passes (:mod:`dispatch.handlers_clock`);
this is the duty officer's or a leader's: it presses the clock the case is under now (sign-for
before the units sign, closure after), names who and why, and is refused on a case already
resolved or closed, with a bad level or no reason, or when the same (or a stronger) one is
already open on that clock.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dispatch import clocks, limits, vocab
from dispatch.commands import Supervise
from dispatch.errors import Conflict, InvalidCommand, InvalidTransition, NotFound
from dispatch.events import SupervisionOpened
from dispatch.results import Supervised

if TYPE_CHECKING:
    from dispatch.ports import UnitOfWork

SUPERVISION_LEVELS = {"yellow": "黄牌", "red": "红牌"}
MAX_REASON = limits.REASON


def check_supervise(cmd: Supervise) -> str:
    """The command's own fields (no database): the trimmed reason, or a refusal."""
    if cmd.level not in SUPERVISION_LEVELS:
        raise InvalidCommand("督办级别 level 须为 yellow（黄牌）或 red（红牌）", field="level")
    reason = (cmd.reason or "").strip()
    if not reason:
        raise InvalidCommand("督办须说明理由（reason）", field="reason")
    if len(reason) > MAX_REASON:
        raise InvalidCommand(f"督办理由 reason 不超过 {MAX_REASON} 字", field="reason")
    return reason


def supervise(cmd: Supervise, uow: UnitOfWork) -> Supervised:
    """Open the supervision, its audit row and event; the bus commits them together."""
    reason = check_supervise(cmd)
    row = uow.incidents.get(cmd.incident_id, lock=True)
    if row is None:
        raise NotFound(f"案件 {cmd.incident_id} 不存在", incident_id=cmd.incident_id)
    state = row["state"]
    if state not in vocab.OPEN_STATES:
        raise InvalidTransition(f"案件{vocab.INCIDENT_STATES.get(state, state)}，不能督办",
                                state=state, incident_id=cmd.incident_id)
    kind = "sign" if state in clocks.LIVE_STATES["sign"] else "close"
    open_levels = set(uow.incidents.supervision_levels(cmd.incident_id, kind))
    if cmd.level in open_levels or (cmd.level == "yellow" and "red" in open_levels):
        have = "red" if "red" in open_levels else cmd.level
        raise Conflict(f"该案件已有未结的{SUPERVISION_LEVELS[have]}督办，无需重复督办",
                       incident_id=cmd.incident_id, level=have, kind=kind)
    now = uow.now()
    sid = uow.incidents.open_supervision(cmd.incident_id, kind=kind, level=cmd.level, at=now,
                                         by=cmd.actor, reason=reason)
    uow.incidents.audit(at=now, actor=cmd.actor, action="supervise_manual",
                        entity_id=cmd.incident_id, reason=reason,
                        detail={"supervision_id": sid, "kind": kind, "level": cmd.level,
                                "state": state})
    uow.emit(SupervisionOpened(cmd.incident_id, kind, cmd.level, cmd.actor))
    uow.commit()
    return Supervised(cmd.incident_id, sid, kind, cmd.level, now)
