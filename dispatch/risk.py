"""Probable duplicates and repeat-dispute risk (民转刑 early warning), as pure rules.

The repository finds the earlier cases near the new one (same address, within tens of metres,
or sharing a party's phone or name); these rules decide what they mean, with Chinese reasons.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from dispatch import vocab
from dispatch.policy import RISK_LABELS, Policy

_AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*(万元|万|元)")
_CROWD = ("群体", "多人", "集体", "聚集", "上访")


@dataclass(frozen=True, kw_only=True)
class NewCase:
    address: str | None
    phones: frozenset[str]
    names: frozenset[str]
    description: str = ""
    n_parties: int = 0
    reported_at: datetime


@dataclass(frozen=True, kw_only=True)
class PriorCase:
    """An earlier case found near the new one; ``distance_m`` None when not located."""

    id: int
    code: str
    state: str
    category: str
    reported_at: datetime
    address: str | None
    distance_m: float | None
    phones: frozenset[str]
    names: frozenset[str]


def prior_since(now: datetime, policy: Policy) -> datetime:
    """How far back earlier cases count (for duplicates or for risk) for a case reported
    at ``now``."""
    return now - timedelta(days=max(policy.risk_window_days, policy.duplicate_days))


def is_prior(prior: PriorCase, *, address: str | None, keys: Set[str], since: datetime,
             radius_m: float) -> bool:
    """Whether ``prior`` counts as an earlier case of a new one at ``address`` whose parties'
    phones and names are ``keys`` (the one rule: the repository's search narrows by it and
    keeps what it says, a group-commit batch applies it to its own earlier cases): reported
    since ``since`` and within ``radius_m`` (``distance_m``: on the WGS-84 spheroid, None when
    either case has no point in the territory), at the very same address, or sharing a phone
    or a name."""
    if prior.reported_at < since:
        return False
    return (prior.distance_m is not None and prior.distance_m <= radius_m) or bool(
        address and prior.address == address) or not keys.isdisjoint(prior.phones | prior.names)


@dataclass(frozen=True)
class DuplicateHit:
    other_id: int
    code: str
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Counted:
    """The earlier cases one risk reason counts (``reason`` is its index in the reasons):
    what a reader who may see only some of them is retold with (:func:`retold`)."""

    reason: int
    kind: str  # "parties" | "place" | "burst"
    level: int
    ids: tuple[int, ...]

    def as_dict(self) -> dict[str, object]:
        return {"reason": self.reason, "kind": self.kind, "level": self.level,
                "ids": list(self.ids)}


@dataclass(frozen=True)
class RiskAssessment:
    level: int  # 0 none, 1 yellow, 2 orange, 3 red
    reasons: tuple[str, ...]
    threat: bool
    one_case_plan: bool  # 一事一策
    basis: tuple[Counted, ...] = ()

    @property
    def label(self) -> str:
        return RISK_LABELS[self.level]


_PUNCT = re.compile(r"[\s,，。、（）()\-—]")


@lru_cache(maxsize=4096)
def _norm(address: str | None) -> str:
    return _PUNCT.sub("", address or "")


def _same_place(new: NewCase, prior: PriorCase, policy: Policy) -> str | None:
    if new.address and _norm(new.address) == _norm(prior.address):
        return "同一地址"
    if prior.distance_m is not None and prior.distance_m <= policy.duplicate_radius_m:
        return f"相距 {prior.distance_m:.0f} 米"
    return None


def _same_people(new: NewCase, prior: PriorCase) -> tuple[str, ...]:
    out = []
    phones = new.phones & prior.phones
    if phones:
        out.append("同一联系电话")
    names = new.names & prior.names
    if names:
        out.append("当事人相同：" + "、".join(sorted(names)))
    return tuple(out)


def find_duplicates(new: NewCase, priors: Iterable[PriorCase], *, policy: Policy
                    ) -> list[DuplicateHit]:
    """Open cases within ``duplicate_days`` at the same place with the same people."""
    since = new.reported_at - timedelta(days=policy.duplicate_days)
    hits = []
    for prior in priors:
        if prior.state not in vocab.OPEN_STATES or prior.reported_at < since:
            continue
        place = _same_place(new, prior, policy)
        people = _same_people(new, prior)
        if place and people:
            score = 0.4 + 0.3 * ("同一联系电话" in people) + 0.3 * any(
                p.startswith("当事人") for p in people)
            hits.append(DuplicateHit(prior.id, prior.code, round(score, 2),
                                     (f"疑似重复：{prior.code}", place, *people)))
    hits.sort(key=lambda h: (-h.score, h.other_id))
    return hits


def amount_yuan(text: str) -> float:
    """The largest sum of money named in ``text`` (元), 0 when none."""
    best = 0.0
    for number, unit in _AMOUNT.findall(text or ""):
        value = float(number) * (10_000 if unit.startswith("万") else 1)
        best = max(best, value)
    return best


def threat_words(text: str, policy: Policy) -> tuple[str, ...]:
    return tuple(w for w in policy.threat_words if w in (text or ""))


def assess_risk(new: NewCase, priors: Sequence[PriorCase], *, policy: Policy,
                duplicates: Iterable[int] = ()) -> RiskAssessment:
    """Risk level with reasons from earlier disputes (not the duplicates of this one), threat
    words, large sums and many people. Red forces paired dispatch and 一事一策."""
    since = new.reported_at - timedelta(days=policy.risk_window_days)
    dup = set(duplicates)
    earlier = [p for p in priors if p.id not in dup and since <= p.reported_at <= new.reported_at]
    same_parties = [p for p in earlier if "同一联系电话" in _same_people(new, p)
                    or len(new.names & p.names) >= 2]
    same_place = [p for p in earlier if _same_place(new, p, policy)]
    level, reasons = 0, list[str]()
    basis: list[Counted] = []

    def raise_to(n: int, why: str, kind: str = "", counted: Sequence[PriorCase] = ()) -> None:
        nonlocal level
        level = max(level, n)
        if counted:
            basis.append(Counted(len(reasons), kind, n, tuple(p.id for p in counted)))
        reasons.append(f"{RISK_LABELS[n]}：{why}")

    k = len(same_parties)
    if k >= policy.repeat_parties_red:
        raise_to(3, f"同一当事人之间已发生 {k} 起纠纷（反复纠纷，民转刑风险）", "parties",
                 same_parties)
    elif k >= policy.repeat_parties_orange:
        raise_to(2, f"同一当事人之间已发生 {k} 起纠纷", "parties", same_parties)
    elif k:
        raise_to(1, f"同一当事人之间曾有纠纷（{same_parties[0].code}）", "parties",
                 same_parties)
    # A burst at one door (cases still open there, reported within the duplicate window) is a
    # question of duplicates to merge, not a rising risk: it is named, and counts no higher.
    dup_since = new.reported_at - timedelta(days=policy.duplicate_days)
    burst = [p for p in same_place if p.state in vocab.OPEN_STATES and p.reported_at >= dup_since]
    in_burst = {p.id for p in burst}  # by id: comparing whole cases was quadratic
    settled = [p for p in same_place if p.id not in in_burst]
    k = len(settled)
    if k >= policy.repeat_address_orange:
        raise_to(2, f"同一地点已发生 {k} 起纠纷", "place", settled)
    elif k >= policy.repeat_address_yellow:
        raise_to(1, f"同一地点已发生 {k} 起纠纷", "place", settled)
    if burst:
        raise_to(1, f"同一地点近 {policy.duplicate_days} 日另有 {len(burst)} 起在办案件"
                    "（疑似同一事件重复报告，请核对关联或合并）", "burst", burst)
    words = threat_words(new.description, policy)
    if words:
        raise_to(3, f"出现威胁性言辞：{'、'.join(words)}")
    money = amount_yuan(new.description)
    if money >= 10 * policy.large_sum_yuan:
        raise_to(2, f"涉案金额约 {money / 10_000:.0f} 万元")
    elif money >= policy.large_sum_yuan:
        raise_to(1, f"涉案金额约 {money / 10_000:.0f} 万元")
    crowd = [w for w in _CROWD if w in (new.description or "")]
    if new.n_parties >= policy.many_people or crowd:
        raise_to(2 if crowd else 1, f"涉及人数较多（{new.n_parties} 人{'，' + crowd[0] if crowd else ''}）")
    if level >= 3:
        reasons.append("须一事一策，警格+网格联动处置")
    return RiskAssessment(level, tuple(reasons), bool(words), level >= 3, tuple(basis))


_RETOLD = {"parties": "同一当事人之间的纠纷", "place": "同一地点的纠纷",
           "burst": "同一地点近期的在办案件"}
_UNCOUNTED = re.compile(r" ?\d+ 起")


def retold(counted: Counted, seen: int) -> str:
    """A counting reason as a reader who may see only ``seen`` of its cases reads it: the
    count cut to those, the others said to lie elsewhere without a number. The level stays
    the case's (decided over all of them)."""
    where = f"您的辖区内 {seen} 起" if seen else "您的辖区内没有"
    return f"{RISK_LABELS[counted.level]}：{_RETOLD.get(counted.kind, '相关纠纷')}{where}，" \
        "其他街道另有记录"


def uncounted(reason: str) -> str:
    """A counting reason stored without its basis (registered before it was kept): the
    number taken out, for a reader who may not see every case it counted."""
    return _UNCOUNTED.sub("多起", reason)


def propose_priority(priority: int, risk: RiskAssessment) -> int | None:
    """The priority the risk check proposes (1 紧急 for red, 2 较急 for orange) when it is more
    urgent than the officer's ``priority``; None when it has nothing to propose. A proposal is
    shown to the officer, who confirms it or keeps their own; it never applies itself."""
    wanted = {3: 1, 2: 2}.get(risk.level)
    return wanted if wanted is not None and wanted < priority else None
