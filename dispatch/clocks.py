"""Deadline clocks as pure rules: when each stage falls due and what a due stage does.

A clock (sign-for 签收, closure 办结, follow-up 回访) has three stages stored as timer rows:
``warn`` at ``warn_share`` of the limit, ``yellow`` (督办) at the limit, ``red`` a further
``red_after_share`` of the limit later. The scheduler hands each due row to :func:`decide`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dispatch import vocab
from dispatch.policy import LEVEL_LABELS, LEVELS, Policy

KIND_LABEL = {"sign": "签收", "close": "办结", "followup": "回访", "whistle": "报到"}
# While a clock still matters: signing ends at acknowledgement, closing at resolution. These
# are the one place the clock sets per state live (stats, the map layers and the desk read them).
SIGN_OWED = ("registered", "located", "assigned")
LIVE_STATES = {
    "sign": frozenset(SIGN_OWED),
    "close": frozenset(vocab.OPEN_STATES),
    "followup": frozenset({"resolved"}),
    "whistle": frozenset(vocab.OPEN_STATES),  # a whistle's 报到 deadline (dispatch.whistle)
}
# Some clock runs: open, or resolved and owed its 回访 (what the desk keeps in view).
ON_THE_CLOCK = frozenset().union(*LIVE_STATES.values())


def running(state: str, sign_deadline: Any, close_deadline: Any) -> tuple[str | None, Any]:
    """Which clock a case in ``state`` is on and its deadline: ("sign", t) while sign-for is
    owed, ("close", t) while open, (None, None) once 办结 (the wall's, the map's and the field
    page's overdue rule)."""
    if state in LIVE_STATES["sign"] and sign_deadline is not None:
        return "sign", sign_deadline
    if state in LIVE_STATES["close"] and close_deadline is not None:
        return "close", close_deadline
    return None, None


@dataclass(frozen=True)
class TimerSpec:
    kind: str
    stage: str
    round: int
    due_at: datetime


@dataclass(frozen=True)
class Decision:
    """What to do with a due stage: ``skip`` (the clock no longer matters) or act."""

    skip: bool
    warn: bool = False
    supervision: str | None = None  # yellow | red
    reassign: bool = False
    escalate_to: str | None = None
    reason: str = ""


def plan(kind: str, start: datetime, limit_s: float, *, policy: Policy, round: int = 0
         ) -> list[TimerSpec]:
    """The three stages of one clock that starts at ``start`` and runs ``limit_s`` seconds."""
    limit = timedelta(seconds=limit_s)
    return [TimerSpec(kind, "warn", round, start + limit * policy.warn_share),
            TimerSpec(kind, "yellow", round, start + limit),
            TimerSpec(kind, "red", round, start + limit * (1 + policy.red_after_share))]


def sign_clock(start: datetime, priority: int, *, policy: Policy, round: int = 0
               ) -> list[TimerSpec]:
    return plan("sign", start, policy.sign_seconds(priority), policy=policy, round=round)


def close_clock(start: datetime, difficulty: str, *, policy: Policy, round: int = 0
                ) -> list[TimerSpec]:
    return plan("close", start, policy.close_seconds(difficulty), policy=policy, round=round)


def followup_clock(resolved_at: datetime, *, policy: Policy) -> list[TimerSpec]:
    return plan("followup", resolved_at, policy.followup_days * 86_400.0, policy=policy)


def deadline(specs: list[TimerSpec]) -> datetime:
    return next(s.due_at for s in specs if s.stage == "yellow")


def next_level(level: str) -> str | None:
    i = LEVELS.index(level)
    return LEVELS[i + 1] if i + 1 < len(LEVELS) else None


def decide(kind: str, stage: str, *, state: str, level: str, policy: Policy,
           has_units: bool, supervised: bool = False) -> Decision:
    """The effect of a due stage on a case in ``state`` at handling ``level``.

    ``supervised``: a yellow supervision of this clock is already on record (an earlier
    round ran out), so this limit passing goes straight to red.
    """
    what = KIND_LABEL[kind]
    if state not in LIVE_STATES[kind]:
        return Decision(skip=True, reason=f"案件{vocab.INCIDENT_STATES.get(state, state)}，"
                                          f"{what}时限不再计算")
    if stage == "warn":
        return Decision(skip=False, warn=True, reason=f"{what}时限将到（已用 "
                                                      f"{policy.warn_share:.0%}）")
    if stage == "yellow" and not supervised:
        reassign = kind == "sign" and has_units and policy.reassign_on_sign_expiry
        why = f"{what}超时，黄色督办" + ("，自动改派下一位" if reassign else "")
        return Decision(skip=False, supervision="yellow", reassign=reassign, reason=why)
    up = next_level(level) if policy.escalate_on_red and kind != "followup" else None
    again = "再次超时" if stage == "yellow" else "严重超时"
    why = f"{what}{again}，红色督办" + (f"，上报{LEVEL_LABELS[up]}" if up else "")
    return Decision(skip=False, supervision="red", escalate_to=up, reason=why)
