"""What the desk's case page shows (no Panel): the case view with labels, times in ms, its
countdown marks, its audit timeline, and the actions the domain allows the officer now.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from console.desk.state import epoch_ms, live_marks
from dispatch import lifecycle, vocab
from dispatch.access import ROLE_ACTIONS
from dispatch.policy import LEVEL_LABELS, RISK_LABELS, Policy

ACTION_LABELS = {
    "register": "受理登记", "locate": "定位", "assign": "派单", "reassign": "改派",
    "transition": "状态变更", "release": "退回重派", "reopen": "重新处置", "merge": "合并",
    "deadline_warn": "时限预警", "supervise_yellow": "黄牌督办", "supervise_red": "红牌督办",
    "supervise_manual": "人工督办", "deadline_error": "时限处理异常",
    "link_duplicate": "确认重复", "link_related": "关联案件", "refused": "操作被拒绝",
    "resolve_on_the_spot": "当场化解", "priority_confirm": "采纳建议紧急程度",
    "priority_keep": "保持原定紧急程度",
}


# ---- what a case allows -------------------------------------------------------------------------

# The desk's presentation of the domain's actions (dispatch.lifecycle.actions decides which).
TONE = {"locate": "primary", "assign": "primary", "reassign": "primary", "priority": "warn",
        "supervise": "warn", "escalated": "warn", "resolved": "good", "on_the_spot": "good",
        "followup": "good", "located": "danger"}
KIND = {"transition": "transition", "assign": "assign", "locate": "locate",
        "supervise": "supervise", "followup": "followup", "link": "link",
        "priority": "priority"}
# Without a signed-in officer (tests, a page built by hand): a duty officer's permissions.
DESK_DEFAULT = ROLE_ACTIONS["duty"]


def allowed_actions(case: Mapping[str, Any], *, allowed: Collection[str] | None = None
                    ) -> list[dict[str, Any]]:
    """The desk's buttons: exactly the actions the domain allows the officer now
    (:func:`dispatch.lifecycle.actions`), with how the page asks for their inputs."""
    out: list[dict[str, Any]] = []
    for a in lifecycle.actions(case, allowed=DESK_DEFAULT if allowed is None else allowed):
        d = a.as_dict()
        d.update(key=a.name, kind=KIND[a.command], tone=TONE.get(a.name),
                 note="required" if "note" in a.needs else "optional")
        if a.to == "resolved":
            d["outcome"] = True
        out.append(d)
    return out


def case_display(view: Mapping[str, Any], *, policy: Policy,
                 allowed: Collection[str] | None = None) -> dict[str, Any]:
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
    out["actions"] = allowed_actions(view, allowed=allowed)
    out["proposed_priority_label"] = vocab.PRIORITIES.get(view.get("proposed_priority") or 0, "")
    out["closures"] = [{**c, "at": None, "at_ms": epoch_ms(c.get("at")),
                        "outcome_label": vocab.OUTCOMES.get(c.get("outcome") or "", "")}
                       for c in view.get("closures") or []]
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
    out["resident_ratings"] = [{**r, "rated_at": None, "rated_ms": epoch_ms(r.get("rated_at"))}
                               for r in view.get("resident_ratings") or []]
    return out
