"""What the desk's case page shows (no Panel): the case view with labels, times in ms, its
countdown marks, its audit timeline, and the actions its state allows.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from console.desk_state import epoch_ms, live_marks
from dispatch import lifecycle, vocab
from dispatch.policy import LEVEL_LABELS, RISK_LABELS, Policy

ACTION_LABELS = {
    "register": "受理登记", "locate": "定位", "assign": "派单", "reassign": "改派",
    "transition": "状态变更", "release": "退回重派", "reopen": "重新处置", "merge": "合并",
    "deadline_warn": "时限预警", "supervise_yellow": "黄牌督办", "supervise_red": "红牌督办",
    "supervise_manual": "人工督办", "deadline_error": "时限处理异常",
    "link_duplicate": "确认重复", "link_related": "关联案件",
}


# ---- what a case allows -------------------------------------------------------------------------

def allowed_actions(case: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Buttons for the case's state, in the order a duty officer reads them. Each names the
    request it makes and the inputs it needs; the server still decides."""
    state = str(case["state"])
    nexts = lifecycle.TRANSITIONS.get(state, frozenset())
    out: list[dict[str, Any]] = []

    def add(key: str, label: str, kind: str, **extra: Any) -> None:
        out.append({"key": key, "label": label, "kind": kind, **extra})

    if state == "registered":
        add("locate", "定位", "locate", tone="primary")
    if state in ("located", "escalated"):
        add("assign", "派单", "assign", reassign=False, tone="primary")
    if state in ("assigned", "acknowledged"):
        add("reassign", "改派", "assign", reassign=True, tone="primary")
    if "acknowledged" in nexts:
        add("acknowledged", "代为签收", "transition", to="acknowledged", note="optional")
    if "on_scene" in nexts:
        add("on_scene", "确认到场", "transition", to="on_scene", note="optional")
    if "mediating" in nexts:
        add("mediating", "开始调解", "transition", to="mediating", note="optional")
    if state in vocab.OPEN_STATES:
        add("supervise", "督办", "supervise", note="required", tone="warn")
    if "escalated" in nexts:
        city = case.get("level") == "city"
        add("escalated", "上报上级", "transition", to="escalated", note="required", tone="warn",
            disabled="已由市级矛调中心处置，无法再上报" if city else None)
    if "resolved" in nexts:
        add("resolved", "办结", "transition", to="resolved", note="optional", outcome=True,
            tone="good")
    if state == "resolved":
        add("followup", "回访", "followup", note="optional", tone="good")
    if "closed" in nexts:
        add("closed", "归档", "transition", to="closed", note="optional")
    if "located" in nexts and state != "registered":  # registered: located by a point only
        label = "退回重派" if state == "assigned" else "重新处置"
        add("located", label, "transition", to="located", note="required", tone="danger")
    return out


def case_display(view: Mapping[str, Any], *, policy: Policy) -> dict[str, Any]:
    """The case page's data: the API's case view with labels, times in ms, marks and actions."""
    times = ("reported_at", "sign_deadline", "close_deadline", "followed_up_at")
    out = {k: v for k, v in view.items() if k not in times}
    out.update({f"{k}_ms": epoch_ms(view.get(k)) for k in times})
    out["category_label"] = vocab.CATEGORIES.get(view["category"], view["category"])
    out["channel_label"] = vocab.CHANNELS.get(view.get("channel") or "", "")
    out["difficulty_label"] = vocab.DIFFICULTIES.get(view.get("difficulty") or "", "")
    out["level_label"] = LEVEL_LABELS.get(view.get("level") or "community", "")
    out["risk_label"] = RISK_LABELS.get(int(view.get("risk_level") or 0), "")
    out["language_label"] = vocab.LANGUAGES.get(view.get("language") or "", "")
    out["outcome_label"] = vocab.OUTCOMES.get(view.get("outcome") or "", "")
    out["clocks"] = live_marks(view, policy=policy)
    out["actions"] = allowed_actions(view)
    out["audit"] = [{**a, "at_ms": epoch_ms(a.get("at")), "at": None,
                     "action_label": ACTION_LABELS.get(a["action"], a["action"]),
                     "from_label": vocab.INCIDENT_STATES.get(a.get("from_state") or "", ""),
                     "to_label": vocab.INCIDENT_STATES.get(a.get("to_state") or "", "")}
                    for a in view.get("audit") or []]
    stamp = ("assigned_at", "acknowledged_at", "arrived_at", "released_at")
    out["assignments"] = [{**{k: v for k, v in a.items() if k not in stamp},
                           **{f"{k}_ms": epoch_ms(a.get(k)) for k in stamp}}
                          for a in view.get("assignments") or []]
    out["supervisions"] = [{**s, "opened_at": None, "opened_ms": epoch_ms(s.get("opened_at")),
                            "closed_ms": epoch_ms(s.get("closed_at")), "closed_at": None}
                           for s in view.get("supervisions") or []]
    out["followups"] = [{**f, "due_ms": epoch_ms(f.get("due_at")),
                         "done_ms": epoch_ms(f.get("done_at")), "due_at": None, "done_at": None}
                        for f in view.get("followups") or []]
    out["links"] = [{**k, "created_at": None} for k in view.get("links") or []]
    return out
