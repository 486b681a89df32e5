"""What the rates count, as SQL over incidents (migrations 0009, 0012): the one definition of
调解成功 and of a recorded 回访, used by the wall, ``/api/v1/stats/*`` and the per-mediator
record alike (a unit test refuses a second definition elsewhere).

调解成功 (mediation success) counts a case 办结 as mediated only with evidence: its closure
record (made with the resolution, so at ``resolved_at``) holds an agreement — a written
调解协议书 on record, or an oral agreement whose terms were written down — and the mediator's
record holds at least one 五步 entry (听、查、议、调、定). A click on 调解成功 alone counts for
nothing.
"""

from __future__ import annotations

from dispatch.vocab import DONE_STATES, sql_list

SUCCESS_DEFINITION = ("结果为“调解成功”，且有调解记录（至少一条五步调解记录：听、查、议、调、定）"
                      "和调解协议（书面调解协议书，或记录在案的口头协议内容）的办结案件")
SUCCESS_SHORT = "有记录有协议的调解成功"  # at most 13 characters: one line on the wall
CLAIMED_DEFINITION = "办结结果选为“调解成功”的案件（不论有无调解记录和协议）"
RESOLVED_DEFINITION = "已办结（含已回访、已归档）且由人选定办结结果的案件"
_DONE = sql_list(DONE_STATES)
SATISFIED_AT_LEAST = 4  # 满意 = 4 (满意) or 5 (非常满意) on the 1-5 scale (回访 and 居民评价)
# a case merged into another as a duplicate counts in no figure
NOT_MERGED = ("NOT EXISTS (SELECT 1 FROM incident_flow f WHERE f.incident_id = i.id "
              "AND f.merged_into IS NOT NULL)")


def resolved(alias: str = "i") -> str:
    """A case 办结 now (reopening leaves it) with the outcome a person chose."""
    return f"({alias}.state IN {_DONE} AND {alias}.outcome IS NOT NULL)"


def agreed(alias: str = "i") -> str:
    """Its closure record holds an agreement, written or oral."""
    return (f"EXISTS (SELECT 1 FROM incident_closures z WHERE z.incident_id = {alias}.id AND "
            f"z.at = {alias}.resolved_at AND z.outcome = 'mediated' AND "
            "z.agreement IS NOT NULL)")


def mediation_record(alias: str = "i") -> str:
    """The mediator recorded the work: at least one 五步 entry."""
    return f"EXISTS (SELECT 1 FROM mediation_steps s WHERE s.incident_id = {alias}.id)"


def claimed(alias: str = "i") -> str:
    """办结 with 调解成功 chosen, evidence or not (shown beside the success, never as it)."""
    return f"({resolved(alias)} AND {alias}.outcome = 'mediated')"


def mediation_success(alias: str = "i") -> str:
    """调解成功 as every figure counts it (see :data:`SUCCESS_DEFINITION`)."""
    return f"({claimed(alias)} AND {agreed(alias)} AND {mediation_record(alias)})"


# 满意度: a score counts when a person recorded the visit (who, and how: 电话/上门/短信).
RECORDED_VISIT = ("EXISTS (SELECT 1 FROM followups v WHERE v.incident_id = i.id AND "
                  "v.done_at = i.followed_up_at AND v.actor IS NOT NULL AND v.method IS NOT NULL)")

# The same evidence kept on the case by trigger (migration 0024; a test compares them with the
# definitions above after a mix of writes): ``evidence_mediation`` = agreed AND
# mediation_record, ``evidence_visit`` = RECORDED_VISIT. One column read instead of three probes.
KEPT_MEDIATION = "evidence_mediation"
KEPT_VISIT = "evidence_visit"


def mediation_success_kept(alias: str = "i") -> str:
    """:func:`mediation_success` read from the kept flag (the case's own columns only)."""
    return f"({claimed(alias)} AND {alias}.{KEPT_MEDIATION})"


def recorded_visit_kept(alias: str = "i") -> str:
    """:data:`RECORDED_VISIT` read from the kept flag."""
    return f"{alias}.{KEPT_VISIT}"
