"""Request bodies of the mediator's record (五步, sessions, agreement, 司法确认, 延期) at the
API's boundary; the domain (:mod:`dispatch.record`) still decides what is allowed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeAlias

from pydantic import BeforeValidator, Field, WithJsonSchema

from console.api.schemas import Body, fix_time


def _time(desc: str) -> Any:
    return Annotated[datetime | None, BeforeValidator(fix_time), WithJsonSchema(
        {"type": "string", "format": "date-time", "description": desc})]


When: TypeAlias = _time("时间（ISO 8601，须带时区）")  # type: ignore[valid-type]


class StepIn(Body):
    """五步之一的记录：听 listen、查 check、议 discuss、调 mediate、定 settle。"""

    step: Literal["listen", "check", "discuss", "mediate", "settle"]
    note: str = Field(min_length=1, max_length=4000, description="记录内容")
    happened_at: When = None
    unit_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class SessionParticipantIn(Body):
    name: str = Field(min_length=1, max_length=60)
    kind: Literal["party", "mediator", "police", "judge", "procurator", "lawyer",
                  "psychologist", "other"]
    note: str | None = Field(default=None, max_length=60)


class SessionIn(Body):
    """调解安排：时间、调解室（或地点）、面对面/背对背、参加人员。"""

    starts_at: When
    ends_at: When
    mode: Literal["joint", "separate"]
    participants: list[SessionParticipantIn] = Field(min_length=1, max_length=40)
    facility_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    place: str | None = Field(default=None, max_length=200)
    note: str | None = Field(default=None, max_length=1000)


class CancelIn(Body):
    reason: str = Field(min_length=1, max_length=500)


class AgreementIn(Body):
    """人民调解协议书的一个版本（更正时须说明理由）。"""

    committee: str = Field(min_length=1, max_length=120, description="调解委员会")
    facts: str = Field(min_length=1, max_length=4000, description="纠纷事实")
    terms: str = Field(min_length=1, max_length=4000, description="协议内容")
    performance: str = Field(min_length=1, max_length=2000, description="履行方式和期限")
    correction: str | None = Field(default=None, max_length=500, description="更正理由")


class JudicialIn(Body):
    status: Literal["applied", "confirmed", "refused"]
    court: str = Field(min_length=1, max_length=120)
    on_date: date
    note: str | None = Field(default=None, max_length=1000)


class ExtensionIn(Body):
    days: int = Field(ge=1, le=30, description="延期天数")
    reason: str = Field(min_length=1, max_length=1000)
    unit_id: int | None = Field(default=None, ge=1, le=2**31 - 1)


class DecisionIn(Body):
    approve: bool
    note: str | None = Field(default=None, max_length=1000)
