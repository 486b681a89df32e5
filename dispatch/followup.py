"""Follow-up (回访) rules: validate a visit and decide whether dissatisfaction reopens the case."""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.errors import InvalidCommand, InvalidTransition
from dispatch.policy import Policy


@dataclass(frozen=True)
class FollowUpVerdict:
    reopen: bool
    reason: str


def check_visit(state: str, satisfaction: int, neighbours_visited: int) -> None:
    """Refuse a visit on a case not yet resolved, or with values out of range."""
    if state != "resolved":
        raise InvalidTransition("只有已办结的案件才能回访", state=state, to="followed_up")
    if not isinstance(satisfaction, int) or not 1 <= satisfaction <= 5:
        raise InvalidCommand("满意度须为 1-5 的整数", field="satisfaction")
    if neighbours_visited < 0:
        raise InvalidCommand("走访邻居数不能为负", field="neighbours_visited")


def verdict(satisfaction: int, agreement_holds: bool, *, policy: Policy) -> FollowUpVerdict:
    """Dissatisfaction (at or below ``reopen_at_or_below``) or a broken agreement reopens."""
    if not agreement_holds:
        return FollowUpVerdict(True, f"回访发现协议未履行（满意度 {satisfaction}），重新处置")
    if satisfaction <= policy.reopen_at_or_below:
        return FollowUpVerdict(True, f"回访不满意（满意度 {satisfaction}），重新处置")
    return FollowUpVerdict(False, f"回访满意度 {satisfaction}，协议履行良好")
