"""The incident state machine: what may happen next, to whom, with what evidence, and why not.

Every face asks this module: the API serves :func:`actions` with each case, the desk and the
field page render exactly those, and the handlers :func:`check` a transition (and a closure's
evidence with :func:`check_closure`) before writing it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

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
# Where a case can take (new) units: 派单 from located/escalated, 改派 once units are on it.
ASSIGNABLE = frozenset({"located", "escalated", "assigned", "acknowledged"})
REASSIGN_FROM = frozenset({"assigned", "acknowledged"})
# No unit sent yet: the case can still be (re)located or merged into another.
UNSENT = frozenset({"registered", "located"})
# What the case's units become when it enters a state, and which assignment time it stamps.
UNIT_STATUS_ON = {"acknowledged": "en_route", "on_scene": "on_scene", "mediating": "on_scene"}
UNIT_STAMP = {"acknowledged": "acknowledged_at", "on_scene": "arrived_at"}
# What an open case waits for (the desk's queue tabs): 派单, 签收, 处置 by the units on it.
WAITING_FOR: dict[str, frozenset[str]] = {
    "dispatch": frozenset({"registered", "located", "escalated"}),
    "sign": frozenset({"assigned"}),
    "handling": frozenset({"acknowledged", "on_scene", "mediating"}),
}
# Only cases taken at a centre's window may be settled there (当场化解) without a unit sent.
WINDOW_CHANNELS = frozenset({"walk_in"})
# A withdrawal (撤回) rests on the same evidence as any closure, decided on purpose: a request
# withdrawn by phone may be withdrawn under pressure (family violence, a crowd of unpaid workers),
# and the scene (or the window, 当场化解, with the applicant in front of the officer) is where a
# mediator sees that it is voluntary. The cost is one dispatch; a desk that could close by
# "撤回" unseen could also empty its overdue list that way.
WITHDRAWAL_NEEDS_SCENE = True
# What a closure must carry beyond outcome and note, by outcome.
NEEDS_BY_OUTCOME: dict[str, tuple[str, ...]] = {
    "mediated": ("agreement",), "litigation": ("referred_to",), "arbitration": ("referred_to",)}
# The Chinese names of the inputs an action needs (errors and forms name them so).
FIELD_LABELS: dict[str, str] = {
    "note": "说明", "outcome": "办结结果", "agreement": "调解协议（书面协议书或口头协议内容）",
    "oral_terms": "口头协议内容", "referred_to": "接收机关", "spot_reason": "当场化解理由",
    "unit_ids": "处置单位", "reason": "理由", "level": "督办级别", "lon": "经度",
    "lat": "纬度", "satisfaction": "满意度", "agreement_holds": "协议是否履行",
    "method": "回访方式", "neighbours_visited": "走访邻里户数", "other_id": "关联案件",
    "kind": "关联类型", "priority": "紧急程度",
}


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
    if to_state == "resolved":  # what else a closure needs: check_closure
        if outcome is not None and outcome not in vocab.OUTCOMES:
            names = "、".join(f"{k}（{v}）" for k, v in vocab.OUTCOMES.items())
            raise InvalidTransition(f"办结结果须为：{names}", state=from_state, to=to_state)
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


# ---- closure evidence ---------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Closure:
    """What a 办结 request brings and what the record already holds.

    ``reached_scene``: a unit sent to the case arrived (an assignment with its arrival stamped);
    ``on_the_spot``: the officer settled it at the window (当场化解) and is the mediator;
    ``written_agreement``: a 调解协议书 is on record for the case.
    """

    outcome: str | None
    note: str | None
    reached_scene: bool
    channel: str | None = None
    on_the_spot: bool = False
    spot_reason: str | None = None
    written_agreement: bool = False
    oral_terms: str | None = None
    referred_to: str | None = None


def _given(text: str | None) -> bool:
    return bool(text and text.strip())


def closure_missing(c: Closure) -> list[str]:
    """What a closure still lacks, in Chinese, in the order an officer would supply it."""
    missing: list[str] = []
    if c.on_the_spot:
        if c.channel not in WINDOW_CHANNELS:
            missing.append("当场化解仅限来访窗口受理的案件，其他案件须派单并到场处置")
        elif not _given(c.spot_reason):
            missing.append("当场化解理由")
    elif not c.reached_scene and (WITHDRAWAL_NEEDS_SCENE or c.outcome != "withdrawn"):
        missing.append("处置单位到场记录（须派单、签收并到场后方可办结）")
    if c.outcome is None:
        missing.append("办结结果（须由办结人选择）")
    if not _given(c.note):
        missing.append("办结说明（处理经过与结果）")
    if c.outcome == "mediated" and not (c.written_agreement or _given(c.oral_terms)):
        missing.append("调解协议（书面调解协议书，或写明内容的口头协议）")
    if c.outcome in ("litigation", "arbitration") and not _given(c.referred_to):
        missing.append("接收机关（" + ("受理法院" if c.outcome == "litigation" else "仲裁机构") + "）")
    return missing


def check_closure(c: Closure, *, state: str) -> str:
    """The closure's basis (``on_scene`` or ``on_the_spot``), or a refusal naming what is missing."""
    if c.outcome is not None and c.outcome not in vocab.OUTCOMES:
        raise InvalidTransition(f"未知的办结结果：{c.outcome}", state=state, to="resolved",
                                field="outcome")
    missing = closure_missing(c)
    if missing:
        raise InvalidTransition("不能办结，尚缺：" + "；".join(missing), state=state,
                                to="resolved", missing=missing)
    return "on_the_spot" if c.on_the_spot else "on_scene"


# ---- what may happen next, for whom ------------------------------------------------------------

@dataclass(frozen=True)
class Action:
    """One thing the caller may do now: ``name`` (stable key), ``label`` (Chinese), the inputs it
    ``needs``; ``command`` says which request carries it and ``to`` its target state."""

    name: str
    label: str
    needs: tuple[str, ...]
    command: str  # transition | assign | locate | supervise | followup | link | priority
    to: str | None = None
    disabled: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "label": self.label, "needs": list(self.needs),
                               "command": self.command}
        if self.to:
            out["to"] = self.to
        if self.disabled:
            out["disabled"] = self.disabled
        return {**out, **self.extra}


# The permission (dispatch.access action) each command needs.
PERMISSION = {"transition": "incident.transition", "assign": "incident.assign",
              "locate": "incident.locate", "supervise": "incident.supervise",
              "followup": "incident.followup", "link": "incident.assign",
              "priority": "incident.assign"}
# What a unit does on its own task (the field page); the desk does everything else.
FIELD_ACTS = frozenset({"acknowledged", "on_scene", "mediating", "escalated", "resolved"})


def reached_scene(case: Mapping[str, Any]) -> bool:
    """Whether a unit sent to the case arrived (``reached_scene`` if the reader computed it)."""
    if "reached_scene" in case:
        return bool(case["reached_scene"])
    return any(a.get("arrived_at") is not None for a in case.get("assignments") or ())


def actions(case: Mapping[str, Any], *, allowed: Collection[str], field_unit: bool = False
            ) -> list[Action]:
    """What the caller may do with ``case`` now, in the order a duty officer reads them.

    ``case`` holds ``state`` and, where known, ``level``, ``channel``, ``outcome``,
    ``followed_up_at``, ``assignments`` (or ``reached_scene``), ``links`` and
    ``proposed_priority``. ``allowed`` are the caller's permissions (dispatch.access);
    ``field_unit``: the caller is a unit on this case (the field page), offered its own acts.
    """
    state = str(case.get("state"))
    nexts = TRANSITIONS.get(state, frozenset())
    arrived = reached_scene(case)
    out: list[Action] = []

    def add(a: Action) -> None:
        if PERMISSION[a.command] not in allowed:
            return
        if field_unit and (a.command != "transition" or a.name not in FIELD_ACTS):
            return
        out.append(a)

    resolve_needs = ("outcome", "note")
    by_outcome = {k: list(v) for k, v in NEEDS_BY_OUTCOME.items()}
    if state == "registered":
        add(Action("locate", "定位", ("lon", "lat"), "locate"))
    if state in ASSIGNABLE - REASSIGN_FROM:
        add(Action("assign", "派单", ("unit_ids",), "assign", extra={"reassign": False}))
    if state in REASSIGN_FROM:
        add(Action("reassign", "改派", ("unit_ids", "reason"), "assign",
                   extra={"reassign": True}))
    if case.get("proposed_priority") and state in vocab.OPEN_STATES:
        add(Action("priority", "确认紧急程度", ("priority",), "priority",
                   extra={"proposed": case["proposed_priority"]}))
    if "acknowledged" in nexts:
        add(Action("acknowledged", "签收" if field_unit else "代为签收", (), "transition",
                   "acknowledged"))
    if "on_scene" in nexts:
        add(Action("on_scene", "到场" if field_unit else "确认到场", (), "transition",
                   "on_scene"))
    if "mediating" in nexts and (state != "acknowledged" or arrived):
        add(Action("mediating", "开始调解", (), "transition", "mediating"))
    if state in vocab.OPEN_STATES:
        add(Action("supervise", "督办", ("level", "reason"), "supervise"))
    if "escalated" in nexts:
        city = case.get("level") == "city"
        add(Action("escalated", "上报上级", ("note",), "transition", "escalated",
                   disabled="已由市级矛调中心处置，无法再上报" if city else None))
    if "resolved" in nexts:
        if arrived:
            add(Action("resolved", "办结", resolve_needs, "transition", "resolved",
                       extra={"needs_by_outcome": by_outcome}))
        elif case.get("channel") in WINDOW_CHANNELS and not field_unit:
            add(Action("on_the_spot", "当场化解", (*resolve_needs, "spot_reason"),
                       "transition", "resolved",
                       extra={"needs_by_outcome": by_outcome, "on_the_spot": True}))
    if state == "resolved":
        add(Action("followup", "回访", ("satisfaction", "agreement_holds", "method",
                                      "neighbours_visited"), "followup"))
    if "closed" in nexts:
        owed = (state == "resolved" and not case.get("followed_up_at")
                and case.get("outcome") not in NO_FOLLOWUP)
        add(Action("closed", "归档", (), "transition", "closed",
                   disabled="调解结案须先回访，方可归档" if owed else None))
    if "located" in nexts and state != "registered":
        add(Action("located", "退回重派" if state == "assigned" else "重新处置", ("note",),
                   "transition", "located"))
    if state in UNSENT and any(
            k.get("kind") in ("probable", "duplicate") for k in case.get("links") or ()):
        add(Action("link", "确认重复/关联", ("other_id", "kind"), "link"))
        add(Action("merge", "合并到另一案件", ("other_id",), "link"))
    return out


def waiting_for(state: str) -> str | None:
    """Which of :data:`WAITING_FOR` a case in ``state`` is in (None once resolved)."""
    return next((k for k, states in WAITING_FOR.items() if state in states), None)


# ---- what a resident reads on /track: 受理 → 分派 → 处置 → 办结 → 回访 -------------------------

RESIDENT_STEPS = ("受理", "分派", "处置", "办结", "回访")
RESIDENT_STEP: dict[str, int] = {
    "registered": 0, "located": 0, "assigned": 1, "acknowledged": 1, "on_scene": 2,
    "mediating": 2, "escalated": 2, "resolved": 3, "followed_up": 4, "closed": 3}


def resident_step(state: str, *, followed_up: bool = False) -> int:
    """The index in :data:`RESIDENT_STEPS` a case in ``state`` has reached (an archived case
    counts as followed up only when a visit is on record)."""
    step = RESIDENT_STEP[state]
    return 4 if state == "closed" and followed_up else step
