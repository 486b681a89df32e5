"""Request bodies of the mediator's record (五步, sessions, agreement, 司法确认, 延期) at the
API's boundary; the domain (:mod:`dispatch.record`) still decides what is allowed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeAlias

from pydantic import BeforeValidator, Field, WithJsonSchema

from console.api.schemas import Body, Id, check_in, enum_schema, fix_time
from dispatch import commands_record as r
from dispatch import limits, record


def _time(desc: str) -> Any:
    return Annotated[datetime | None, BeforeValidator(fix_time), WithJsonSchema(
        {"type": "string", "format": "date-time", "description": desc})]


When: TypeAlias = _time("时间（ISO 8601，须带时区）")  # type: ignore[valid-type]
Step: TypeAlias = Annotated[str, check_in(record.STEPS, "五步"), enum_schema(record.STEPS, "五步")]
PersonKind: TypeAlias = Annotated[str, check_in(record.PARTICIPANT_KINDS, "身份"),
                                  enum_schema(record.PARTICIPANT_KINDS, "身份")]
Mode: TypeAlias = Annotated[str, check_in(record.MODES, "调解方式"), enum_schema(record.MODES, "调解方式")]
Judicial: TypeAlias = Annotated[str, check_in(record.JUDICIAL, "司法确认状态"),
                                enum_schema(record.JUDICIAL, "司法确认状态")]


class StepIn(Body):
    """五步之一的记录：听 listen、查 check、议 discuss、调 mediate、定 settle。"""

    step: Step
    note: str = Field(min_length=1, max_length=record.MAX_NOTE, description="记录内容")
    happened_at: When = None
    unit_id: Id | None = None

    def to_command(self, *, incident_id: int, actor: str, unit_id: int | None
                   ) -> r.RecordStep:
        return r.RecordStep(incident_id=incident_id, step=self.step, note=self.note,
                            happened_at=self.happened_at, unit_id=unit_id, actor=actor)


class SessionParticipantIn(Body):
    name: str = Field(min_length=1, max_length=limits.NAME)
    kind: PersonKind
    note: str | None = Field(default=None, max_length=record.PERSON_NOTE)


class SessionIn(Body):
    """调解安排：时间、调解室（或地点）、面对面/背对背、参加人员。"""

    starts_at: When
    ends_at: When
    mode: Mode
    participants: list[SessionParticipantIn] = Field(min_length=1, max_length=record.MAX_PEOPLE)
    facility_id: Id | None = None
    place: str | None = Field(default=None, max_length=record.PLACE)
    note: str | None = Field(default=None, max_length=limits.NOTE)

    def to_command(self, *, incident_id: int, actor: str) -> r.BookSession:
        return r.BookSession(
            incident_id=incident_id, starts_at=self.starts_at, ends_at=self.ends_at,
            mode=self.mode, participants=tuple(p.model_dump() for p in self.participants),
            facility_id=self.facility_id, place=self.place, note=self.note, actor=actor)


class CancelIn(Body):
    reason: str = Field(min_length=1, max_length=limits.REASON)

    def to_command(self, *, incident_id: int, session_id: int, actor: str
                   ) -> r.CancelSession:
        return r.CancelSession(incident_id=incident_id, session_id=session_id,
                               reason=self.reason, actor=actor)


class AgreementIn(Body):
    """人民调解协议书的一个版本（更正时须说明理由）。"""

    committee: str = Field(min_length=1, max_length=record.BODY_NAME, description="调解委员会")
    facts: str = Field(min_length=1, max_length=record.MAX_NOTE, description="纠纷事实")
    terms: str = Field(min_length=1, max_length=record.MAX_NOTE, description="协议内容")
    performance: str = Field(min_length=1, max_length=record.PERFORMANCE,
                             description="履行方式和期限")
    correction: str | None = Field(default=None, max_length=limits.REASON,
                                   description="更正理由")

    def to_command(self, *, incident_id: int, actor: str) -> r.WriteAgreement:
        return r.WriteAgreement(incident_id=incident_id, committee=self.committee,
                                facts=self.facts, terms=self.terms,
                                performance=self.performance, correction=self.correction,
                                actor=actor)


class JudicialIn(Body):
    status: Judicial
    court: str = Field(min_length=1, max_length=record.BODY_NAME)
    on_date: date
    note: str | None = Field(default=None, max_length=limits.NOTE)

    def to_command(self, *, incident_id: int, actor: str) -> r.RecordJudicial:
        return r.RecordJudicial(incident_id=incident_id, status=self.status, court=self.court,
                                on_date=self.on_date, note=self.note, actor=actor)


class ExtensionIn(Body):
    days: int = Field(ge=1, le=record.MAX_EXTENSION_DAYS, description="延期天数")
    reason: str = Field(min_length=1, max_length=limits.NOTE)
    unit_id: Id | None = None

    def to_command(self, *, incident_id: int, actor: str, role: str | None,
                   unit_id: int | None) -> r.RequestExtension:
        return r.RequestExtension(incident_id=incident_id, days=self.days, reason=self.reason,
                                  role=role, unit_id=unit_id, actor=actor)


class DecisionIn(Body):
    approve: bool
    note: str | None = Field(default=None, max_length=limits.NOTE)

    def to_command(self, *, incident_id: int, extension_id: int, actor: str,
                   role: str | None) -> r.DecideExtension:
        return r.DecideExtension(incident_id=incident_id, extension_id=extension_id,
                                 approve=self.approve, note=self.note, role=role, actor=actor)
