"""The mediator's record as pure rules: 五步 steps, sessions and room conflicts, agreements,
司法确认 and 延期 (extension) requests and decisions; Chinese refusals naming the field.

The 五步 (听、查、议、调、定) come from the Jiayuguan practice ("一听"了解情况, "二查"摸清事实,
"三议"各方畅谈, "四调"多元解纷, "五定"建档落实). No I/O: handlers load the facts and ask here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dispatch import lifecycle, limits, vocab
from dispatch.errors import InvalidCommand, InvalidTransition

STEPS: dict[str, str] = {"listen": "听", "check": "查", "discuss": "议", "mediate": "调",
                         "settle": "定"}
STEP_HINTS: dict[str, str] = {"listen": "了解情况", "check": "摸清事实", "discuss": "各方畅谈",
                              "mediate": "多元解纷", "settle": "建档落实"}
MODES: dict[str, str] = {"joint": "面对面", "separate": "背对背"}
# Who sits at a session; 三官一律 are the police officer, judge, procurator and lawyer.
PARTICIPANT_KINDS: dict[str, str] = {
    "party": "当事人", "mediator": "调解员", "police": "民警", "judge": "法官",
    "procurator": "检察官", "lawyer": "律师", "psychologist": "心理咨询师", "other": "其他"}
OFFICIALS = frozenset({"police", "judge", "procurator", "lawyer"})
ROOM_KINDS = frozenset({"mediation_room", "mediation_studio", "governance_centre"})
JUDICIAL: dict[str, str] = {"applied": "已申请司法确认", "confirmed": "法院已确认",
                            "refused": "法院不予确认"}
MAX_NOTE = 4000  # a step's record, an agreement's facts and terms
MAX_SESSION = timedelta(hours=12)
MAX_EXTENSION_DAYS = 30
MAX_PEOPLE = 40  # at one session
PERSON_NOTE = 60  # a note beside a participant's name
PLACE = 200
BODY_NAME = 120  # a mediation committee or a court
PERFORMANCE = 2000  # 履行方式和期限
# The level each role decides at: an extension is decided one level above the one asking.
ROLE_RANK: dict[str, int] = {"field": 0, "dispatcher": 1, "duty": 2, "admin": 2}
RANK_LABEL = {0: "网格/单位", 1: "街道", 2: "市级"}


def clean_text(value: object, label: str, field: str, *, limit: int = MAX_NOTE,
               required: bool = True) -> str | None:
    """Trimmed text within ``limit`` (a note by default), required unless told otherwise."""
    return limits.text(value, label, field, limit=limit, required=required)


def _when(value: datetime | None, label: str, field: str, *, now: datetime) -> datetime:
    if value is None:
        return now
    if value.tzinfo is None:
        raise InvalidCommand(f"{label}（{field}）须带时区", field=field)
    return value


def check_step(step: str, note: object, happened_at: datetime | None, *, now: datetime,
               reported_at: datetime) -> tuple[str, str, datetime]:
    """One 五步 entry: a known step, a note, a time between the case's report and now."""
    if step not in STEPS:
        raise InvalidCommand(f"步骤（step）须为 {'、'.join(STEPS)} 之一", field="step")
    text = clean_text(note, f"「{STEPS[step]}」的记录", "note")
    assert text is not None
    at = _when(happened_at, "发生时间", "happened_at", now=now)
    if at > now + timedelta(minutes=5):
        raise InvalidCommand("发生时间（happened_at）不能晚于现在", field="happened_at")
    if at < reported_at - timedelta(minutes=5):
        raise InvalidCommand("发生时间（happened_at）不能早于案件受理", field="happened_at")
    return step, text, at


def steps_checklist(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The five steps in order, each with its entries (oldest first) and whether it is done."""
    out = []
    for code, label in STEPS.items():
        entries = [dict(r) for r in rows if r["step"] == code]
        out.append({"step": code, "label": label, "hint": STEP_HINTS[code],
                    "done": bool(entries), "entries": entries})
    return out


@dataclass(frozen=True)
class Participant:
    name: str
    kind: str
    note: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind,
                **({"note": self.note} if self.note else {})}


def check_participants(raw: Sequence[object]) -> tuple[Participant, ...]:
    """At least one party and one mediator; 三官一律 and others as invited."""
    people: list[Participant] = []
    for i, p in enumerate(raw):
        if not isinstance(p, Mapping):
            raise InvalidCommand(f"参加人员（participants）第{i + 1}项须有姓名和身份",
                                 field="participants")
        name = clean_text(p.get("name"), f"参加人员第{i + 1}项的姓名", "participants",
                          limit=limits.NAME)
        kind = str(p.get("kind") or "")
        if kind not in PARTICIPANT_KINDS:
            raise InvalidCommand(f"参加人员（participants）第{i + 1}项的身份须为 "
                                 f"{'、'.join(PARTICIPANT_KINDS.values())} 之一",
                                 field="participants")
        note = clean_text(p.get("note"), "备注", "participants", limit=PERSON_NOTE,
                          required=False)
        assert name is not None
        people.append(Participant(name, kind, note))
    kinds = {p.kind for p in people}
    if "party" not in kinds:
        raise InvalidCommand("参加人员（participants）须至少有一名当事人", field="participants")
    if "mediator" not in kinds:
        raise InvalidCommand("参加人员（participants）须至少有一名调解员", field="participants")
    if len(people) > MAX_PEOPLE:
        raise InvalidCommand(f"参加人员（participants）不超过 {MAX_PEOPLE} 人",
                             field="participants")
    return tuple(people)


def check_session(starts_at: datetime | None, ends_at: datetime | None, mode: str,
                  place: object, *, facility_kind: str | None) -> tuple[datetime, datetime, str]:
    """A session's span (≤ 12 h, end after start), 面对面 or 背对背, a place or a room."""
    if starts_at is None or ends_at is None:
        field = "starts_at" if starts_at is None else "ends_at"
        raise InvalidCommand(f"{'开始' if field == 'starts_at' else '结束'}时间（{field}）不能为空",
                             field=field)
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidCommand("开始、结束时间（starts_at）须带时区", field="starts_at")
    if ends_at <= starts_at:
        raise InvalidCommand("结束时间（ends_at）须晚于开始时间", field="ends_at")
    if ends_at - starts_at > MAX_SESSION:
        raise InvalidCommand("一次调解不超过 12 小时（ends_at）", field="ends_at")
    if mode not in MODES:
        raise InvalidCommand("调解方式（mode）须为 joint（面对面）或 separate（背对背）",
                             field="mode")
    if facility_kind is not None and facility_kind not in ROOM_KINDS:
        raise InvalidCommand("所选场所（facility_id）不是调解室、调解工作室或矛调中心",
                             field="facility_id")
    text = clean_text(place, "调解地点", "place", limit=PLACE, required=facility_kind is None)
    return starts_at, ends_at, text or ""


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open spans: a session ending at 10:00 leaves the room free for one at 10:00."""
    return a_start < b_end and b_start < a_end


def room_taken(room: str, other: Mapping[str, Any], *, fmt: Any = None) -> str:
    """The refusal naming who booked the room and when."""
    show = fmt or (lambda t: t.strftime("%m-%d %H:%M"))
    return (f"调解室「{room}」该时段已被 {other['booked_by']} 预订（案件 {other['code']}，"
            f"{show(other['starts_at'])}–{show(other['ends_at'])}），请换时段或场所")


def agreement_number(code: str) -> str:
    """``2026-000123`` → ``（2026）人调字第000123号``: one number per case, kept by versions."""
    year, _, seq = code.partition("-")
    return f"（{year}）人调字第{seq or code}号"


AGREEMENT_FIELDS = {"committee": ("调解委员会", BODY_NAME), "facts": ("纠纷事实", MAX_NOTE),
                    "terms": ("协议内容", MAX_NOTE),
                    "performance": ("履行方式和期限", PERFORMANCE)}


def check_agreement(fields: Mapping[str, object], *, version: int, state: str,
                    parties: Sequence[Mapping[str, Any]]) -> dict[str, str | None]:
    """The written agreement's fields; a later version needs the reason it corrects."""
    if state in lifecycle.UNSENT:
        raise InvalidTransition("案件尚未派单处置，不能制作调解协议书", state=state)
    if len([p for p in parties if str(p.get("name") or "").strip()]) < 2:
        raise InvalidCommand("调解协议须有至少两方当事人（parties），请先补全当事人",
                             field="parties")
    out: dict[str, str | None] = {}
    for key, (label, limit) in AGREEMENT_FIELDS.items():
        out[key] = clean_text(fields.get(key), label, key, limit=limit)
    out["correction"] = clean_text(fields.get("correction"), "更正理由", "correction", limit=limits.REASON,
                              required=version > 1)
    return out


def check_judicial(status: str, court: object, on_date: date | None, *, today: date,
                   history: Sequence[str], has_agreement: bool) -> tuple[str, str, date]:
    """司法确认: apply once an agreement exists; the court's answer follows an application."""
    if status not in JUDICIAL:
        raise InvalidCommand("司法确认状态（status）须为 applied、confirmed 或 refused",
                             field="status")
    if not has_agreement:
        raise InvalidTransition("尚无书面调解协议，不能申请司法确认")
    name = clean_text(court, "法院", "court", limit=BODY_NAME)
    assert name is not None
    if on_date is None:
        raise InvalidCommand("日期（on_date）不能为空", field="on_date")
    if on_date > today:
        raise InvalidCommand("日期（on_date）不能晚于今天", field="on_date")
    last = history[-1] if history else None
    if status == "applied" and last in ("applied", "confirmed"):
        raise InvalidTransition(f"司法确认已{JUDICIAL[last][1:] if last else ''}，不能重复申请")
    if status in ("confirmed", "refused") and last != "applied":
        raise InvalidTransition("须先记录已申请司法确认，再记录法院的决定")
    return status, name, on_date


def check_extension_request(days: int, reason: object, *, state: str, pending: bool,
                            role: str | None) -> tuple[int, str]:
    """延期申请: an open case, 1-30 days, a reason, none waiting for a decision."""
    if state not in vocab.OPEN_STATES:
        label = vocab.INCIDENT_STATES.get(state, state)
        raise InvalidTransition(f"案件{label}，不能申请延期", state=state)
    if not isinstance(days, int) or not 1 <= days <= MAX_EXTENSION_DAYS:
        raise InvalidCommand(f"延期天数（days）须为 1 到 {MAX_EXTENSION_DAYS} 的整数",
                             field="days")
    text = clean_text(reason, "延期理由", "reason", limit=limits.NOTE)
    assert text is not None
    if pending:
        raise InvalidTransition("该案件已有待审批的延期申请，请等待上级决定")
    if ROLE_RANK.get(role or "", 0) >= max(ROLE_RANK.values()):
        raise InvalidCommand("市级值班长可直接督办或调整，无上级可审批延期", field="role")
    return days, text


def check_extension_decision(approve: bool, note: object, *, status: str, requester: str,
                             requester_role: str, decider: str, decider_role: str | None
                             ) -> str | None:
    """The level above decides: not the requester, a higher rank; a refusal says why."""
    if status != "pending":
        raise InvalidTransition(f"该延期申请已{'批准' if status == 'approved' else '驳回'}")
    if decider == requester:
        raise InvalidTransition("不能审批本人的延期申请")
    need = ROLE_RANK.get(requester_role, 0) + 1
    if ROLE_RANK.get(decider_role or "", -1) < need:
        raise InvalidTransition(f"延期须由上一级（{RANK_LABEL[min(need, 2)]}）审批")
    return clean_text(note, "驳回理由" if not approve else "审批意见", "note", limit=limits.NOTE,
                 required=not approve)


def extended(deadline: datetime, days: int) -> datetime:
    return deadline + timedelta(days=days)
