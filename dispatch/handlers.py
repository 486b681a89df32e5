"""The command → handler table (the message bus's map); handlers take ``(command, uow)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dispatch.commands import (
    AssignUnits,
    AutoDispatch,
    BlowWhistle,
    ChangeState,
    DecidePriority,
    HoldConsultation,
    LinkIncidents,
    LocateIncident,
    RecordFollowUp,
    RegisterIncident,
    ReportIn,
    ReportPosition,
    RunClocks,
    SetUnitStatus,
    Supervise,
    UpdatePolicy,
)
from dispatch.handlers_assign import assign, auto_dispatch
from dispatch.handlers_clock import run_clocks
from dispatch.handlers_intake import link, locate, register
from dispatch.handlers_record import RECORD_HANDLERS
from dispatch.handlers_resident import RESIDENT_HANDLERS
from dispatch.handlers_state import change_state, decide_priority, record_followup
from dispatch.handlers_supervise import supervise
from dispatch.handlers_units import report_position, set_unit_status, update_policy
from dispatch.handlers_whistle import blow_whistle, hold_consultation, report_in
from dispatch.supervisors import SUPERVISOR_HANDLERS

HANDLERS: dict[type, Callable[..., Any]] = {
    RegisterIncident: register,
    LocateIncident: locate,
    AssignUnits: assign,
    AutoDispatch: auto_dispatch,
    ChangeState: change_state,
    DecidePriority: decide_priority,
    RecordFollowUp: record_followup,
    LinkIncidents: link,
    ReportPosition: report_position,
    SetUnitStatus: set_unit_status,
    UpdatePolicy: update_policy,
    RunClocks: run_clocks,
    Supervise: supervise,
    BlowWhistle: blow_whistle,
    ReportIn: report_in,
    HoldConsultation: hold_consultation,
    **RECORD_HANDLERS,  # 五步, sessions, agreements, 司法确认, attachments, 延期
    **RESIDENT_HANDLERS,  # 扫码说事: submit, accept/reject at the desk, /track's additions
    **SUPERVISOR_HANDLERS,  # 督办人名单 (notify_supervisors)
}
# These open their own transactions (several per command); the bus opens one for the rest.
OWN_TRANSACTIONS: frozenset[type] = frozenset({AutoDispatch, RunClocks})
