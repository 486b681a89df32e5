"""Who is told what when an event commits: the outbox's plan (pure; no I/O, no delivery).

:func:`plan` turns one transaction's events into :class:`Notice` rows that the unit of work
writes into the outbox *in that transaction* (:func:`stage`), so a message exists exactly when
its event committed. The rules (issue 17, item 4):

- a unit, by SMS to the roster's phone and e-mail, on a new task (``units_assigned``) and on
  督办 (``supervision_opened``, ``deadline_passed``), for every unit active on the case;
- a party, by SMS only, on 受理 (``incident_registered``) and 办结 (``state_changed`` to
  ``resolved``), with the tracking code when the event carries one (a resident's case) else
  the case number; one message per party who gave a phone, naming nobody (no other party's
  name or phone ever reaches it);
- a supervisor (the ``notify_supervisors`` setting: name, phone, e-mail, optional street) on
  escalation (``incident_escalated``);
- a webhook subscription on the event types and area it chose (:mod:`dispatch.webhooks` shapes
  the body); a 12345-style subscription (``source`` set) on the state changes of the cases that
  came from that source, in that platform's shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from dispatch import sms_text, vocab
from dispatch.events import (
    DeadlinePassed,
    Event,
    IncidentEscalated,
    IncidentRegistered,
    StateChanged,
    SupervisionOpened,
    UnitsAssigned,
)
from dispatch.policy import LEVEL_LABELS
from dispatch.webhook_hosts import allowed
from dispatch.webhooks import exchange_body, matches, webhook_body

if TYPE_CHECKING:
    from dispatch.ports import UnitOfWork
    from dispatch.ports_rows import CaseRow, Json

CHANNELS = {"sms": "短信", "email": "电子邮件", "webhook": "Webhook"}
# the SMS template key per kind of message (texts and gateway ids: the policy's sms_templates)
TEMPLATES = sms_text.LABELS
SUPERVISORS_SETTING = "notify_supervisors"


@dataclass(frozen=True)
class Contact:
    """Someone to tell: a unit from the roster, or a supervisor from the setting."""

    name: str
    phone: str | None = None
    email: str | None = None
    unit_id: int | None = None
    street_id: int | None = None


@dataclass(frozen=True)
class Subscription:
    """A webhook subscription as the planner needs it (``street_ids`` empty: everywhere)."""

    id: int
    url: str
    event_types: tuple[str, ...] = ()
    street_ids: tuple[int, ...] = ()
    trusted: bool = False
    source: str | None = None


@dataclass(frozen=True)
class Notice:
    """One message to deliver: channel, recipient, the event and its text or body."""

    channel: str  # sms | email | webhook
    recipient: str  # phone, e-mail address or URL
    event_type: str
    payload: Json
    incident_id: int | None = None
    template: str | None = None  # the SMS template key (TEMPLATES)
    subscription_id: int | None = None
    extra: Json = field(default_factory=dict)


def _to_unit(c: Contact, event: Event, key: str, sms: Json, params: Json) -> list[Notice]:
    out = []
    iid = getattr(event, "incident_id", None)
    if c.phone:
        out.append(Notice("sms", c.phone, event.type, sms, iid, key))
    if c.email:
        out.append(Notice("email", c.email, event.type,
                          {"subject": f"【{TEMPLATES[key]}】案件 {params['code']}",
                           "text": sms["text"]}, iid, key))
    return out


def _case_text(case: CaseRow) -> Json:
    return {"code": case["code"], "category": vocab.CATEGORIES.get(case["category"],
                                                                   case["category"]),
            "address": (case.get("address") or "")[:40]}


def for_people(event: Event, case: CaseRow | None, units: Sequence[Contact],
               supervisors: Sequence[Contact], *,
               templates: Mapping[str, Mapping[str, str]] | None = None) -> list[Notice]:
    """The SMS and e-mail notices ``event`` causes (``units``: the ones it concerns), their
    texts from ``templates`` (the policy's ``sms_templates``; default: the defaults)."""
    if case is None:
        return []
    texts = templates or sms_text.DEFAULTS
    p = _case_text(case)
    out: list[Notice] = []
    if isinstance(event, UnitsAssigned):
        sms = sms_text.fill(texts, "task", p)
        for c in units:
            if c.unit_id in event.unit_ids:
                out += _to_unit(c, event, "task", sms, p)
    elif isinstance(event, SupervisionOpened | DeadlinePassed):
        sms = sms_text.fill(texts, "supervise", p)
        for c in units:
            out += _to_unit(c, event, "supervise", sms, p)
    elif isinstance(event, IncidentEscalated):
        level = LEVEL_LABELS.get(event.level, event.level)
        sms = sms_text.fill(texts, "escalated", {**p, "level": level})
        for c in supervisors:
            if c.street_id is None or c.street_id == case.get("street_id"):
                out += _to_unit(c, event, "escalated", sms, p)
    elif isinstance(event, IncidentRegistered) or (
            isinstance(event, StateChanged) and event.to_state == "resolved"):
        kind = "accepted" if isinstance(event, IncidentRegistered) else "resolved"
        ref = getattr(event, "tracking_code", None) or case["code"]
        sms = sms_text.fill(texts, kind, {"ref": ref, "category": p["category"]})
        seen: set[str] = set()
        for party in case.get("parties") or []:
            phone = (party.get("phone") or "").strip()
            if phone and phone not in seen:  # one message per phone, naming nobody
                seen.add(phone)
                out.append(Notice("sms", phone, event.type, sms, case["id"], kind))
    return out


def for_hooks(event: Event, case: CaseRow | None, subs: Sequence[Subscription],
              external: tuple[str, str] | None, handling: Sequence[Contact], at: str,
              closure: Json | None = None) -> list[Notice]:
    """The webhook notices: subscriptions by type and area; the source's exchange shape."""
    out: list[Notice] = []
    for s in subs:
        if s.source is not None:
            if external is None or case is None or external[0] != s.source:
                continue
            body = exchange_body(event, case, external[1], handling, at=at,
                                 closure=closure, trusted=s.trusted)
        elif matches(s.event_types, s.street_ids, event,
                     case.get("street_id") if case else None):
            body = webhook_body(event, case, trusted=s.trusted, at=at)
        else:
            body = None
        if body is not None:
            out.append(Notice("webhook", s.url, event.type, body,
                              getattr(event, "incident_id", None), subscription_id=s.id))
    return out


# A case's row, its active units' contacts, its external id, the units ever sent to it.
CaseFacts = tuple["CaseRow | None", list[Contact], tuple[str, str] | None, list[Contact]]

PEOPLE_EVENTS = (UnitsAssigned, SupervisionOpened, DeadlinePassed, IncidentEscalated,
                 IncidentRegistered, StateChanged)


def stage(uow: UnitOfWork, events: Sequence[Event]) -> int:
    """Write the notices ``events`` cause into ``uow``'s outbox (the same transaction); how
    many. Events without a case (positions, unit status, policy) cause none."""
    case_events = [e for e in events if getattr(e, "incident_id", None) is not None]
    if not case_events:
        return 0
    outbox = uow.outbox
    hosts = uow.policy.webhook_hosts  # a receiver off the allow-list hears nothing more
    subs = [s for s in outbox.subscriptions() if allowed(s.url, hosts)]
    notices: list[Notice] = []
    cache = outbox.many_facts(  # one read for every case told of (a batch's too)
        [e.incident_id for e in case_events  # type: ignore[attr-defined]
         if subs or isinstance(e, PEOPLE_EVENTS)], handling=bool(subs))
    supervisors: list[Contact] | None = None
    at = uow.now().isoformat()
    templates = uow.policy.sms_templates
    for e in case_events:
        iid: int = e.incident_id  # type: ignore[attr-defined]
        if not subs and not isinstance(e, PEOPLE_EVENTS):
            continue
        case, units, external, handling = cache.get(iid, (None, [], None, []))
        if isinstance(e, IncidentEscalated) and supervisors is None:
            supervisors = supervisors_from(uow.units.load_setting(SUPERVISORS_SETTING))
        notices += for_people(e, case, units, supervisors or [], templates=templates)
        closure = (outbox.result(iid) if external and subs and isinstance(e, StateChanged)
                   and e.to_state in vocab.DONE_STATES else None)
        notices += for_hooks(e, case, subs, external, handling, at, closure)
    if notices:
        outbox.add(notices, at=uow.now())
    return len(notices)


def supervisors_from(stored: Any) -> list[Contact]:
    """The ``notify_supervisors`` setting (``{"people": [{name, phone, email, street_id}]}``)."""
    people = (stored or {}).get("people") if isinstance(stored, dict) else None
    return [Contact(name=str(p.get("name") or "督办人"), phone=p.get("phone") or None,
                    email=p.get("email") or None, street_id=p.get("street_id"))
            for p in people or [] if isinstance(p, dict)]
