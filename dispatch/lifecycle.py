"""The incident state machine: which transitions are allowed, and why others are refused."""

from __future__ import annotations

from dataclasses import dataclass

from dispatch import vocab
from dispatch.errors import InvalidTransition

LABEL = vocab.INCIDENT_STATES

TRANSITIONS: dict[str, frozenset[str]] = {
    "registered": frozenset({"located", "resolved"}),
    "located": frozenset({"assigned", "escalated", "resolved"}),
    "assigned": frozenset({"assigned", "acknowledged", "located", "escalated", "resolved"}),
    "acknowledged": frozenset({"assigned", "on_scene", "mediating", "escalated", "resolved"}),
    "on_scene": frozenset({"mediating", "escalated", "resolved"}),
    "mediating": frozenset({"escalated", "resolved"}),
    "escalated": frozenset({"assigned", "mediating", "resolved"}),
    "resolved": frozenset({"followed_up", "closed", "located"}),
    "followed_up": frozenset({"closed", "located"}),
    "closed": frozenset(),
}
# Targets reached through their own command, not a bare transition.
VIA_COMMAND = {"registered": "受理登记", "assigned": "派单（assign）", "followed_up": "回访记录"}
# Where units are on the case (assignments active).
WITH_UNITS = frozenset({"assigned", "acknowledged", "on_scene", "mediating", "escalated"})
# States whose entry stamps a timestamp column of ``incidents``.
STAMP = {"assigned": "assigned_at", "acknowledged": "acknowledged_at", "on_scene": "arrived_at",
         "resolved": "resolved_at", "followed_up": "followed_up_at", "closed": "closed_at"}
# Outcomes that need no follow-up visit before closing.
NO_FOLLOWUP = frozenset({"withdrawn", "litigation", "arbitration"})


@dataclass(frozen=True)
class Change:
    """An allowed transition and what it implies."""

    from_state: str
    to_state: str
    action: str  # audit action: transition | reopen | reassign | release
    releases_units: bool
    reopens: bool


def check(from_state: str, to_state: str, *, outcome: str | None = None, note: str | None = None,
          manual: bool = True, level: str = "community", followed_up: bool = False,
          current_outcome: str | None = None) -> Change:
    """The change from ``from_state`` to ``to_state``, or :class:`InvalidTransition` saying why.

    ``manual`` is a bare transition request (API ``/transitions``): targets with their own
    command are refused there. ``level`` is the current handling level (escalation stops at
    city); ``followed_up`` whether a follow-up visit is on record; ``current_outcome`` the
    outcome stored at resolution.
    """
    if to_state not in LABEL:
        raise InvalidTransition(f"未知状态：{to_state}", to=to_state)
    if from_state not in LABEL:
        raise InvalidTransition(f"案件当前状态未知：{from_state}", state=from_state)
    here, there = LABEL[from_state], LABEL[to_state]
    if manual and to_state in VIA_COMMAND:
        raise InvalidTransition(f"不能直接改为「{there}」，请使用{VIA_COMMAND[to_state]}",
                                state=from_state, to=to_state)
    if to_state not in TRANSITIONS[from_state]:
        allowed = "、".join(LABEL[s] for s in sorted(TRANSITIONS[from_state])) or "无（已归档）"
        raise InvalidTransition(f"案件处于「{here}」，不能改为「{there}」；可改为：{allowed}",
                                state=from_state, to=to_state)
    if to_state == "resolved":
        if outcome not in vocab.OUTCOMES:
            names = "、".join(f"{k}（{v}）" for k, v in vocab.OUTCOMES.items())
            raise InvalidTransition(f"办结须注明结果：{names}", state=from_state, to=to_state)
    elif outcome is not None:
        raise InvalidTransition("只有办结时才填写结果", state=from_state, to=to_state)
    if to_state == "escalated":
        if level == "city":
            raise InvalidTransition("已由市级矛调中心处置，无法再上报", state=from_state)
        if not (note and note.strip()):
            raise InvalidTransition("上报上级须说明理由", state=from_state, to=to_state)
    reopens = to_state == "located" and from_state in ("resolved", "followed_up")
    if (reopens or (to_state == "located" and from_state == "assigned")) and not (
            note and note.strip()):
        what = "重新处置" if reopens else "退回派单"
        raise InvalidTransition(f"{what}须说明理由", state=from_state, to=to_state)
    if to_state == "closed" and from_state == "resolved" and not followed_up and (
            current_outcome not in NO_FOLLOWUP):
        raise InvalidTransition("调解结案须先回访，方可归档", state=from_state, to=to_state)
    action = ("reopen" if reopens else "release" if to_state == "located"
              else "reassign" if from_state == to_state else "transition")
    releases = to_state in ("located", "resolved") and from_state in WITH_UNITS
    return Change(from_state, to_state, action, releases, reopens)
