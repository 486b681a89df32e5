"""Webhook bodies and signatures: what another system hears of an event, and how it checks it.

Two shapes. A plain subscription gets ``{"event", "case", "occurred_at"}``: the event's fields
(minus the acting account) and the case's public facts (code, category, state, level, street);
parties' names and phones only when the subscription is marked ``trusted`` (a platform inside
the same government network that is allowed to hold them). A 12345-style subscription
(``source`` set, e.g. ``"12345"``) gets the exchange shape (:func:`exchange_body`) for the
cases that came from that source, and only those.

Every delivery is signed: ``X-FQ-Signature: sha256=<hex>`` is HMAC-SHA256 with the
subscription's secret over ``"<X-FQ-Timestamp>.<body bytes>"``; ``X-FQ-Delivery`` is the
outbox row's idempotency key (the same on every retry).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dispatch import limits, vocab
from dispatch.events import Event, IncidentRegistered, StateChanged
from dispatch.privacy import mask_text

if TYPE_CHECKING:
    from dispatch.notices import Contact
    from dispatch.ports_rows import CaseRow, Json

EXCHANGE_EVENTS = (IncidentRegistered, StateChanged)
HIDDEN = ("actor",)  # the acting account's name stays inside
AGREEMENT = {"written": "书面协议", "oral": "口头协议"}


def matches(event_types: Sequence[str], street_ids: Sequence[int], event: Event,
            street_id: int | None) -> bool:
    """A subscription hears ``event``: its type chosen (none chosen: all) and its area."""
    if event_types and event.type not in event_types:
        return False
    return not street_ids or street_id in street_ids


def webhook_body(event: Event, case: CaseRow | None, *, trusted: bool, at: str) -> Json:
    body: Json = {"event": {k: v for k, v in event.as_dict().items() if k not in HIDDEN},
                  "occurred_at": at}
    if case is not None:
        body["case"] = {"id": case["id"], "code": case["code"], "category": case["category"],
                        "state": case["state"], "level": case["level"],
                        "street_id": case.get("street_id"), "priority": case["priority"]}
        if trusted:
            body["case"]["parties"] = [{k: p.get(k) for k in ("name", "phone", "role")}
                                       for p in case.get("parties") or []]
    return body


def result_text(case: CaseRow, closure: Json | None, *, trusted: bool) -> str | None:
    """``resultText``: the outcome's label, then the recorded result (the 办结 note), the
    agreement (a written one's terms, an oral one's terms) and where it was referred, at most
    :data:`dispatch.limits.EXCHANGE_RESULT` characters. For a receiver not marked trusted the
    text is masked as free text is for any reader without the parties (their names, phones, ID
    and door numbers: :func:`dispatch.privacy.mask_text`). None before 办结."""
    outcome = (closure or {}).get("outcome") or case.get("outcome")
    if not outcome:
        return None
    parts = [vocab.OUTCOMES.get(outcome, outcome)]
    if closure:
        terms = closure.get("terms") if closure.get("agreement") == "written" else \
            closure.get("oral_terms") if closure.get("agreement") == "oral" else None
        for label, value in (("办理结果", closure.get("note")), (AGREEMENT.get(
                str(closure.get("agreement")), "协议"), terms), ("转交", closure.get("referred_to"))):
            if value and str(value).strip():
                parts.append(f"{label}：{str(value).strip()}")
    text = "；".join(parts)
    if not trusted:
        names = [p.get("name") or "" for p in case.get("parties") or []]
        names += [p.get("name") or "" for p in (closure or {}).get("agreement_parties") or []
                  if isinstance(p, dict)]
        text = mask_text(text, names) or ""
    return text[:limits.EXCHANGE_RESULT]


def exchange_body(event: Event, case: CaseRow, external_id: str,
                  handling: Sequence[Contact], *, at: str, closure: Json | None = None,
                  trusted: bool = False) -> Json | None:
    """The 12345 exchange's 工单回传: external id, state code and name, result, handled time
    and handling unit; None for events that platform does not follow. ``closure``: the case's
    latest 办结 record (:meth:`dispatch.ports_outbox.Outbox.result`)."""
    if not isinstance(event, EXCHANGE_EVENTS):
        return None
    state = event.to_state if isinstance(event, StateChanged) else case["state"]
    code, name = vocab.EXCHANGE_STATES.get(state, ("30", vocab.INCIDENT_STATES.get(state, state)))
    result = result_text(case, closure, trusted=trusted) if state in vocab.DONE_STATES \
        else None
    return {"externalId": external_id, "caseCode": case["code"], "stateCode": code,
            "stateName": name, "resultText": result, "handledAt": at,
            "handlingUnit": "、".join(c.name for c in handling) or None,
            "eventType": event.type}


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 over ``timestamp + "." + body``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does (and our tests' receivers do)."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def backoff_s(attempts: int, *, base_s: float, cap_s: float) -> float:
    """Seconds before the next try after ``attempts`` failed ones: base × 2^(attempts-1)."""
    return min(cap_s, base_s * 2 ** max(0, attempts - 1))




# the case events a subscription may choose, with the names the admin page shows
CASE_EVENT_TYPES: dict[str, str] = {
    "incident_registered": "受理", "incident_located": "定位", "units_assigned": "分派",
    "state_changed": "状态变化（签收、到场、调解、上报、办结、回访…）",
    "supervision_opened": "督办", "deadline_warned": "临期预警", "deadline_passed": "超期督办",
    "incident_escalated": "上报升级", "follow_up_recorded": "回访", "risk_raised": "风险提示",
    "priority_changed": "紧急程度确认", "duplicate_flagged": "疑似重复",
    "whistle_blown": "吹哨", "department_reported": "部门报到", "whistle_overdue": "报到超期",
    "consultation_held": "会商",
}
