"""街道吹哨、部门报到 and 会商: the rules, without a database.

A case the community cannot settle is *whistled* up by its street (吹哨): the street names the
departments that must come (司法所, 派出所, 人社所, 住建 …) and a deadline to report (报到).
Each called department reports once; a report after the deadline is recorded as late, never
refused (the department came). A joint consultation (会商) records who took part and what was
decided; held while a whistle is open, it concludes that round (the whistle closes, departments
that never reported are named in the record). One open whistle per case at a time.

When the deadline passes with departments still unreported, the scheduler (a stage row of
kind ``whistle`` in the clocks' table) marks those calls overdue and opens a yellow 督办 naming
them (:func:`overdue`); the round's 会商 (or the case's resolution) closes that 督办.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dispatch import limits
from dispatch.errors import InvalidCommand
from dispatch.model import BEIJING

DEPARTMENTS: dict[str, str] = {
    "judicial_office": "司法所",
    "police_station": "派出所",
    "hrss_office": "人社所",
    "housing": "住建部门",
    "market_regulation": "市场监管所",
    "natural_resources": "自然资源所",
    "petition_office": "信访办",
    "court": "人民法庭",
    "labour_inspection": "劳动保障监察",
    "civil_affairs": "民政所",
    "health": "卫健部门",
    "finance_regulation": "金融监管部门",
}
REPORT_HOURS = 24  # default time the called departments have to report
MIN_REPORT_HOURS = 1
MAX_REPORT_HOURS = 7 * 24
MAX_DEPARTMENTS = 10
DEPARTMENT_CODE = 30  # a department code as sent (known codes are shorter)
MAX_TEXT = 2000  # a 会商's outcome
MAX_NAME = limits.NAME
MAX_PARTICIPANTS = 50  # people at one 会商


def _text(value: str | None, field: str, what: str, *, limit: int = MAX_TEXT) -> str:
    out = (value or "").strip()
    if not out:
        raise InvalidCommand(f"须填写{what}（{field}）", field=field)
    if len(out) > limit:
        raise InvalidCommand(f"{what}（{field}）不超过 {limit} 字", field=field)
    return out


def check_departments(departments: Iterable[str]) -> tuple[str, ...]:
    """Known department codes, each once, 1 to :data:`MAX_DEPARTMENTS`."""
    codes = tuple(dict.fromkeys(str(d).strip() for d in departments))
    if not codes or codes == ("",):
        raise InvalidCommand("吹哨须点名至少一个报到部门（departments）", field="departments")
    unknown = [c for c in codes if c not in DEPARTMENTS]
    if unknown:
        known = "、".join(f"{k}（{v}）" for k, v in DEPARTMENTS.items())
        raise InvalidCommand(f"未知部门：{'、'.join(unknown)}；可选：{known}", field="departments")
    if len(codes) > MAX_DEPARTMENTS:
        raise InvalidCommand(f"一次吹哨最多点名 {MAX_DEPARTMENTS} 个部门", field="departments")
    return codes


def check_whistle(departments: Iterable[str], reason: str | None, hours: float
                  ) -> tuple[tuple[str, ...], str, float]:
    """The departments, the trimmed reason and the report window in hours."""
    codes = check_departments(departments)
    why = _text(reason, "reason", "吹哨理由", limit=limits.REASON)
    if not MIN_REPORT_HOURS <= hours <= MAX_REPORT_HOURS:
        raise InvalidCommand(f"报到时限（report_within_h）须在 {MIN_REPORT_HOURS} 到 "
                             f"{MAX_REPORT_HOURS} 小时之间", field="report_within_h")
    return codes, why, float(hours)


def report_deadline(blown_at: datetime, hours: float) -> datetime:
    return blown_at + timedelta(hours=hours)


@dataclass(frozen=True)
class Participant:
    """One person at a 会商: a name, and the department they came for (if any)."""

    name: str
    department: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "department": self.department,
                "department_label": DEPARTMENTS.get(self.department or "")}


def check_participants(raw: Iterable[Any]) -> tuple[Participant, ...]:
    """Two to :data:`MAX_PARTICIPANTS` people; each a name (or ``{"name", "department"}``),
    the department known."""
    raw = list(raw)
    if len(raw) > MAX_PARTICIPANTS:
        raise InvalidCommand(f"会商参会人员（participants）不超过 {MAX_PARTICIPANTS} 人",
                             field="participants")
    out: list[Participant] = []
    for k, item in enumerate(raw, start=1):
        if isinstance(item, Participant):
            name, dept = item.name, item.department
        elif isinstance(item, Mapping):
            name, dept = str(item.get("name") or ""), item.get("department")
        else:
            name, dept = str(item or ""), None
        name = name.strip()
        if not name:
            raise InvalidCommand(f"参会人员第 {k} 项须有姓名（name）", field="participants")
        if len(name) > MAX_NAME:
            raise InvalidCommand(f"参会人员第 {k} 项姓名不超过 {MAX_NAME} 字", field="participants")
        if dept in ("", None):
            dept = None
        elif str(dept) not in DEPARTMENTS:
            raise InvalidCommand(f"参会人员第 {k} 项的部门未知：{dept}", field="participants")
        out.append(Participant(name, None if dept is None else str(dept)))
    if len(out) < 2:
        raise InvalidCommand("会商须至少两名参会人员（participants）", field="participants")
    return tuple(out)


def check_report_note(note: str | None) -> str | None:
    """A 报到's optional note, trimmed, within :data:`dispatch.limits.NOTE`."""
    return limits.text(note, "报到说明", "note", limit=limits.NOTE)


def check_outcome(outcome: str | None) -> str:
    return _text(outcome, "outcome", "会商结果")


def report_is_late(deadline: datetime, at: datetime) -> bool:
    return at > deadline


@dataclass(frozen=True)
class Overdue:
    """What a passed 报到 deadline does: nothing (``skip`` with the reason) or a yellow 督办
    naming the ``absent`` departments."""

    skip: bool
    reason: str
    absent: tuple[str, ...] = ()
    level: str | None = None


def overdue(*, case_open: bool, whistle_closed: bool, calls: Iterable[Mapping[str, Any]],
            report_by: datetime) -> Overdue:
    """The effect of a whistle's 报到 deadline passing (the calls as stored: ``department``,
    ``reported_at``)."""
    if not case_open:
        return Overdue(True, "案件已办结，报到时限不再计算")
    if whistle_closed:
        return Overdue(True, "本次吹哨已会商结束，报到时限不再计算")
    absent = tuple(str(c["department"]) for c in calls if c.get("reported_at") is None)
    if not absent:
        return Overdue(True, "点名部门均已报到")
    names = "、".join(DEPARTMENTS.get(d, d) for d in absent)
    when = report_by.astimezone(BEIJING).strftime("%m-%d %H:%M")
    return Overdue(False, f"报到超时：{names}未在 {when} 前报到，黄色督办", absent, "yellow")
