"""Follow-up (回访) rules: validate a visit and decide whether dissatisfaction reopens the case."""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.errors import InvalidCommand, InvalidTransition
from dispatch.policy import Policy
from dispatch.vocab import FOLLOWUP_METHODS

SATISFACTION_MIN, SATISFACTION_MAX = 1, 5
MAX_NEIGHBOURS = 100  # 走一家访三家: households asked on one visit


@dataclass(frozen=True)
class FollowUpVerdict:
    reopen: bool
    reason: str


def check_visit(state: str, satisfaction: int | None, neighbours_visited: int | None, *,
                agreement_holds: bool | None = None, method: str | None = None,
                ) -> None:
    """Refuse a visit on a case not yet resolved, or with an answer missing or out of range.

    Every answer is the visitor's own: none is assumed, so a missing one names its field.
    """
    if state != "resolved":
        raise InvalidTransition("只有已办结的案件才能回访", state=state, to="followed_up")
    check_answers(satisfaction, neighbours_visited, agreement_holds=agreement_holds,
                  method=method)


def check_answers(satisfaction: int | None, neighbours_visited: int | None, *,
                  agreement_holds: bool | None = None, method: str | None = None) -> None:
    """The visit's answers alone (no case state): each given, each in range."""
    sat = f"{SATISFACTION_MIN}-{SATISFACTION_MAX}"
    if satisfaction is None:
        raise InvalidCommand(f"回访须选择满意度（{sat} 分）", field="satisfaction")
    if isinstance(satisfaction, bool) or not isinstance(satisfaction, int) or \
            not SATISFACTION_MIN <= satisfaction <= SATISFACTION_MAX:
        raise InvalidCommand(f"满意度须为 {sat} 的整数", field="satisfaction")
    if agreement_holds is None:
        raise InvalidCommand("回访须选择协议是否仍在履行", field="agreement_holds")
    if method is None:
        raise InvalidCommand("回访须选择回访方式（电话/上门/短信）", field="method")
    if method not in FOLLOWUP_METHODS:
        raise InvalidCommand(f"回访方式须为：{'、'.join(f'{k}（{v}）' for k, v in FOLLOWUP_METHODS.items())}",
                             field="method")
    if neighbours_visited is None:
        raise InvalidCommand("回访须填写走访邻里户数（未走访填 0）", field="neighbours_visited")
    if neighbours_visited < 0:
        raise InvalidCommand("走访邻里户数不能为负", field="neighbours_visited")
    if neighbours_visited > MAX_NEIGHBOURS:
        raise InvalidCommand(f"走访邻里户数（neighbours_visited）不超过 {MAX_NEIGHBOURS} 户",
                             field="neighbours_visited")


def verdict(satisfaction: int, agreement_holds: bool, *, policy: Policy) -> FollowUpVerdict:
    """Dissatisfaction (at or below ``reopen_at_or_below``) or a broken agreement reopens."""
    if not agreement_holds:
        return FollowUpVerdict(True, f"回访发现协议未履行（满意度 {satisfaction}），重新处置")
    if satisfaction <= policy.reopen_at_or_below:
        return FollowUpVerdict(True, f"回访不满意（满意度 {satisfaction}），重新处置")
    return FollowUpVerdict(False, f"回访满意度 {satisfaction}，协议履行良好")
