"""Dispatch policy as typed data: deadlines, warning share, unit types per category, pairing,
auto-dispatch, ranking weights, staleness, duplicate and risk thresholds, the people's star
scheme and the per-case subsidy amounts.

Administrators edit it without code: :meth:`Policy.to_dict` / :meth:`Policy.from_dict` round-trip
through JSON (stored under key ``policy`` in ``dispatch_settings``); unknown keys and bad values
are refused with a Chinese reason.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

from dispatch import sms_text, vocab, webhook_hosts
from dispatch.errors import InvalidCommand

LEVELS = ("community", "street", "district", "city")
LEVEL_LABELS = {"community": "社区调解室", "street": "街道矛调中心", "district": "区县矛调中心",
                "city": "市级矛调中心"}
RISK_LABELS = {0: "无", 1: "黄色", 2: "橙色", 3: "红色"}

_GENERAL: tuple[str, ...] = ("mediator", "grid_worker")


def _types() -> dict[str, tuple[str, ...]]:
    out: dict[str, tuple[str, ...]] = dict.fromkeys(vocab.CATEGORIES, _GENERAL)
    for cat in ("labour", "construction", "debt", "finance", "land"):
        out[cat] = (*_GENERAL, "lawyer")
    for cat in ("family", "marriage"):
        out[cat] = (*_GENERAL, "psychologist")
    out["traffic"] = ("auxiliary_police", "community_police", "mediator", "grid_worker")
    out["medical"] = ("mediator", "lawyer", "grid_worker")
    return out


@dataclass(frozen=True)
class Weights:
    """Ranking points (higher is better); reasons quote them."""

    eta: float = 40.0  # full points at 0 s, none at ``eta_horizon_s``
    eta_horizon_s: float = 3600.0
    skill: float = 20.0  # a mediator whose specialities include the category
    type_rank: float = 10.0  # the category's first suitable type, less for later ones
    language: float = 15.0  # speaks the parties' language or dialect
    no_language: float = -10.0
    own_grid: float = 20.0  # the incident grid's own grid worker
    own_police_grid: float = 20.0  # the police grid's own officer
    same_community: float = 8.0
    same_street: float = 4.0
    load: float = -10.0  # times the share of capacity in use
    level_match: float = 10.0
    on_call: float = -5.0
    stale: float = -15.0  # position older than ``stale_position_s`` (or none)


@dataclass(frozen=True)
class Stars:
    """The star scheme for mediators and grid workers (:mod:`analysis.people` applies it).

    A person with fewer than ``min_cases`` 办结 cases in the period gets no star (样本不足).
    Otherwise the score is the weighted mean of the parts the record has, each 0-1: 调解成功
    (有据) ÷ 办结; (满意度 − 1) ÷ 4 over recorded follow-ups; 1 − 超期 ÷ 经办; 按时签收 ÷ 派单.
    A part with no data (no follow-up, no assignment to sign) is left out and the weights of the
    others renormalised. Stars: score ≥ ``cut_5`` five, ≥ ``cut_4`` four, ≥ ``cut_3`` three,
    ≥ ``cut_2`` two, else one.
    """

    min_cases: int = 5
    w_success: float = 0.4
    w_satisfaction: float = 0.3
    w_on_time: float = 0.2
    w_sign: float = 0.1
    cut_5: float = 0.85
    cut_4: float = 0.70
    cut_3: float = 0.55
    cut_2: float = 0.40


@dataclass(frozen=True)
class Subsidy:
    """个案补贴 (yuan per case) by difficulty grade and outcome (:mod:`analysis.subsidy`).

    ``success_*`` for a case counted 调解成功 (有据); ``failed_*`` for a case 办结 as 调解不成
    whose mediation record holds a 五步 entry. The grade starts from the case's recorded
    difficulty (简易 0, 一般 1, 疑难复杂 2) and goes up one for a risk level at or above
    ``risk_up`` and one for ``sessions_up`` or more held mediation sessions, at most 疑难复杂.
    No amount has a default: money per case is a local decision (嘉峪关 set its own in a
    管理办法), so until an administrator sets all six the statement lists the cases and prices
    none (补贴标准未设置).
    """

    success_simple: int | None = None
    success_normal: int | None = None
    success_complex: int | None = None
    failed_simple: int | None = None
    failed_normal: int | None = None
    failed_complex: int | None = None
    risk_up: int = 2
    sessions_up: int = 2

    def amount(self, outcome: str, grade: str) -> int | None:
        """Yuan for one case: ``outcome`` success|failed, ``grade`` simple|normal|complex;
        None while that amount is not set."""
        v = getattr(self, f"{outcome}_{grade}")
        return None if v is None else int(v)

    @property
    def missing(self) -> tuple[str, ...]:
        """The amounts not set yet (their field names)."""
        return tuple(k for k in SUBSIDY_AMOUNTS if getattr(self, k) is None)

    @property
    def is_set(self) -> bool:
        """Every amount set: only then is a statement priced."""
        return not self.missing


SUBSIDY_AMOUNTS = tuple(f"{o}_{g}" for o in ("success", "failed")
                        for g in ("simple", "normal", "complex"))


@dataclass(frozen=True)
class Policy:
    """Everything an administrator may tune; defaults follow the sources ("3715", 督办 …)."""

    sign_minutes: dict[int, int] = field(default_factory=lambda: {1: 30, 2: 60, 3: 120, 4: 240})
    close_days: dict[str, int] = field(
        default_factory=lambda: {"simple": 3, "normal": 7, "complex": 15})
    warn_share: float = 0.8  # warn when this share of the time has gone
    red_after_share: float = 0.5  # red supervision this share of the limit after yellow
    reassign_on_sign_expiry: bool = True
    escalate_on_red: bool = True
    followup_days: int = 3
    reopen_at_or_below: int = 2  # satisfaction 1-2 reopens the case
    stale_position_s: int = 900
    # hostile or broken telemetry (dispatch.telemetry): a fix time this far ahead of the
    # server's clock is refused; a point this far outside the territory's bounds is refused
    # (nearer it is kept and flagged); a device counter that goes back while the fix time
    # moves on by more than this is taken as the device restarting, not as a replay
    position_future_s: int = 120
    position_outside_m: float = 20_000.0
    position_seq_reset_s: int = 300
    unit_types: dict[str, tuple[str, ...]] = field(default_factory=_types)
    pair_categories: tuple[str, ...] = ("family", "marriage", "neighbour", "labour", "debt",
                                        "construction", "land")
    pair_min_risk: int = 1  # in those categories pair from this risk level …
    pair_max_priority: int = 1  # … or at this priority or more urgent
    auto_dispatch: dict[str, tuple[int, ...]] = field(default_factory=lambda: {"*": (1, 2)})
    auto_tries: int = 3
    level_thresholds: tuple[int, int, int] = (5, 8, 10)  # severity → street, district, city
    weights: Weights = field(default_factory=Weights)
    stars: Stars = field(default_factory=Stars)
    subsidy: Subsidy = field(default_factory=Subsidy)
    duplicate_radius_m: float = 50.0
    duplicate_days: int = 7
    risk_window_days: int = 365
    repeat_parties_orange: int = 2  # earlier disputes between the same parties
    repeat_parties_red: int = 3
    repeat_address_yellow: int = 2  # earlier disputes at the same address
    repeat_address_orange: int = 4
    large_sum_yuan: int = 100_000
    many_people: int = 5
    threat_words: tuple[str, ...] = ("报复", "威胁", "扬言", "持刀", "砍", "杀", "同归于尽",
                                     "打人", "动手", "放火", "跳楼", "寻死")
    # the weekly 研判 report (console.exports.report_job): made by the scheduler on this ISO
    # weekday (1 Monday … 7 Sunday) at this Beijing time for the calendar week before, for
    # the whole territory and (with "street") each street
    report_weekday: int = 1
    report_time: str = "07:30"
    report_areas: tuple[str, ...] = ("all", "street")
    # the SMS text (and gateway template id) per kind of message: dispatch.sms_text
    sms_templates: dict[str, dict[str, str]] = field(default_factory=sms_text.defaults)
    # hosts and networks webhooks may go to (empty: any): dispatch.webhook_hosts
    webhook_hosts: tuple[str, ...] = ()

    # -- derived rules ---------------------------------------------------------------------
    def sign_seconds(self, priority: int) -> float:
        return 60.0 * self.sign_minutes[priority]

    def close_seconds(self, difficulty: str) -> float:
        return 86_400.0 * self.close_days[difficulty]

    def auto_dispatches(self, category: str, priority: int) -> bool:
        rule = self.auto_dispatch.get(category, self.auto_dispatch.get("*", ()))
        return priority in rule

    def needs_pair(self, category: str, priority: int, risk: int, *, threat: bool = False) -> bool:
        if risk >= 3 or threat:
            return True
        return category in self.pair_categories and (
            risk >= self.pair_min_risk or priority <= self.pair_max_priority)

    def level_for(self, priority: int, difficulty: str, risk: int, escalations: int = 0) -> str:
        """Severity picks the level; each escalation moves one level up (never past city)."""
        severity = (4 - priority) + {"simple": 0, "normal": 1, "complex": 2}[difficulty] + risk
        base = sum(severity >= t for t in self.level_thresholds)
        return LEVELS[min(base + escalations, len(LEVELS) - 1)]

    # -- editing ---------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["sign_minutes"] = {str(k): v for k, v in self.sign_minutes.items()}
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, base: Policy | None = None) -> Policy:
        """A policy from (partial) JSON over ``base`` (default: the defaults), validated."""
        base = base or cls()
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise InvalidCommand(f"未知的策略项：{', '.join(unknown)}", fields=unknown)
        kw: dict[str, Any] = {}
        for key, value in data.items():
            kw[key] = _coerce(key, value, getattr(base, key))
        policy = dataclasses.replace(base, **kw)
        policy.validate()
        return policy

    def validate(self) -> None:
        def bad(msg: str, key: str) -> InvalidCommand:
            return InvalidCommand(f"策略无效：{msg}", field=key)

        if set(self.sign_minutes) != set(vocab.PRIORITIES) or min(self.sign_minutes.values()) <= 0:
            raise bad("签收时限须为四个优先级各给出正的分钟数", "sign_minutes")
        if set(self.close_days) != set(vocab.DIFFICULTIES) or min(self.close_days.values()) <= 0:
            raise bad("办结时限须为简易/一般/疑难各给出正的天数", "close_days")
        if not 0 < self.warn_share < 1:
            raise bad("预警比例须在 0 与 1 之间", "warn_share")
        if self.red_after_share <= 0:
            raise bad("红色督办间隔须为正", "red_after_share")
        for cat, types in self.unit_types.items():
            if cat not in vocab.CATEGORIES or not types or set(types) - set(vocab.UNIT_TYPES):
                raise bad(f"类别 {cat} 的适配单位类型有误", "unit_types")
        if set(self.pair_categories) - set(vocab.CATEGORIES):
            raise bad("警格+网格联动类别有误", "pair_categories")
        for cat, prios in self.auto_dispatch.items():
            if (cat != "*" and cat not in vocab.CATEGORIES) or set(prios) - set(vocab.PRIORITIES):
                raise bad(f"自动派单规则 {cat} 有误", "auto_dispatch")
        if list(self.level_thresholds) != sorted(self.level_thresholds):
            raise bad("层级阈值须递增", "level_thresholds")
        if self.stale_position_s <= 0 or self.duplicate_radius_m <= 0:
            raise bad("位置过期时限与查重半径须为正", "stale_position_s")
        if self.position_future_s < 0 or self.position_seq_reset_s < 0:
            raise bad("定位时间容差与计数重置间隔不能为负", "position_future_s")
        if self.position_outside_m < 0:
            raise bad("辖区外定位容差不能为负", "position_outside_m")
        if not 1 <= self.report_weekday <= 7:
            raise bad("周报生成日须为 1（周一）至 7（周日）", "report_weekday")
        if not _hhmm(self.report_time):
            raise bad("周报生成时间须为 HH:MM（北京时间）", "report_time")
        if not self.report_areas or set(self.report_areas) - {"all", "street"}:
            raise bad("周报区域须为 all（全辖区）、street（各街道）", "report_areas")
        if not 1 <= self.reopen_at_or_below < 5:
            raise bad("重新处置的满意度界限须在 1-4", "reopen_at_or_below")
        st = self.stars
        parts = (st.w_success, st.w_satisfaction, st.w_on_time, st.w_sign)
        if min(parts) < 0 or sum(parts) <= 0 or st.min_cases < 1:
            raise bad("星级权重不能为负且不能全为 0，最少办结数须至少为 1", "stars")
        if not 1 >= st.cut_5 > st.cut_4 > st.cut_3 > st.cut_2 > 0:
            raise bad("星级分数线须在 0 与 1 之间且五星>四星>三星>二星", "stars")
        money = [v for k in SUBSIDY_AMOUNTS if (v := getattr(self.subsidy, k)) is not None]
        if money and (min(money) < 0 or max(money) > 100_000):
            raise bad("个案补贴金额须在 0 至 100000 元之间", "subsidy")
        if not 0 <= self.subsidy.risk_up <= 3 or self.subsidy.sessions_up < 1:
            raise bad("补贴难度升档条件有误（风险等级 0-3，调解次数至少 1）", "subsidy")
        sms_text.check(self.sms_templates)
        webhook_hosts.check(self.webhook_hosts)


def _nested(key: str, value: dict[str, Any], current: Stars | Subsidy) -> Stars | Subsidy:
    """A partial edit of the star scheme or the subsidy amounts, each item to its type."""
    names = {f.name for f in dataclasses.fields(current)}
    unknown = sorted(set(value) - names)
    if unknown:
        raise InvalidCommand(f"策略项 {key} 中未知的项：{', '.join(unknown)}", field=key)
    kw: dict[str, Any] = {}
    for k, v in value.items():
        if v is None and isinstance(current, Subsidy) and k in SUBSIDY_AMOUNTS:
            kw[k] = None  # not set (a stored policy says so, or an administrator clears it)
            continue
        if isinstance(v, bool) or not isinstance(v, int | float | str):
            raise TypeError(k)
        was = getattr(current, k)
        kind = int if was is None else type(was)  # an unset subsidy amount is whole yuan
        num = float(v)
        if not math.isfinite(num) or (kind is int and num != int(num)):
            raise ValueError(k)
        kw[k] = kind(num)
    return dataclasses.replace(current, **kw)


def _hhmm(value: object) -> bool:
    """``HH:MM`` on a 24-hour clock."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        return False
    hh, mm = value[:2], value[3:]
    return hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60


def _coerce(key: str, value: Any, current: Any) -> Any:
    """JSON back to the field's type (string keys of priorities, lists to tuples)."""
    try:
        if isinstance(current, Weights):
            return dataclasses.replace(current, **{k: float(v) for k, v in dict(value).items()})
        if isinstance(current, Stars | Subsidy):
            return _nested(key, dict(value), current)
        # dict-valued items merge key by key over the current ones (a partial edit)
        if key == "sign_minutes":
            return {**current, **{int(k): int(v) for k, v in dict(value).items()}}
        if key in ("unit_types", "auto_dispatch"):
            return {**current, **{str(k): tuple(v) for k, v in dict(value).items()}}
        if key == "sms_templates":  # kind by kind, item by item, checked
            return sms_text.check({k: {**current.get(k, {}), **dict(v)}
                                   for k, v in {**current, **dict(value)}.items()})
        if key == "webhook_hosts":
            if isinstance(value, str) or not isinstance(value, list | tuple):
                raise TypeError(key)
            return webhook_hosts.check(value)
        if key == "close_days":
            return {**current, **{str(k): int(v) for k, v in dict(value).items()}}
        if isinstance(current, tuple):
            return tuple(value)
        if isinstance(current, bool):
            if not isinstance(value, bool):
                raise TypeError(key)
            return value
        if isinstance(current, int | float):
            return type(current)(value)
    except InvalidCommand:
        raise
    except (TypeError, ValueError) as err:
        raise InvalidCommand(f"策略项 {key} 的取值类型有误", field=key) from err
    return value
