"""A year of demo disputes: what, who, and how each one ran its course up to ``end``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from demo.names import fake_phones, person_names, style_for_languages
from demo.when import DAY, HOUR, MINUTE, TZ_OFFSET, lognormal

# The yearly mix the sources' figures suggest (邻里、婚姻家庭 lead; 物业、劳动 next).
CATEGORY_MIX: dict[str, float] = {
    "neighbour": 0.25, "family": 0.10, "marriage": 0.08, "property": 0.12, "labour": 0.10, "debt": 0.08,
    "traffic": 0.07, "consumer": 0.06, "construction": 0.04, "land": 0.03, "finance": 0.03,
    "medical": 0.02, "other": 0.02,
}
CHANNEL_MIX: dict[str, float] = {"hotline": 0.34, "walk_in": 0.22, "grid_report": 0.28,
                                 "app": 0.11, "referral": 0.05}
CHANNEL_TILT: dict[str, dict[str, float]] = {  # multipliers on CHANNEL_MIX per category
    "traffic": {"referral": 3.0, "grid_report": 0.5}, "debt": {"referral": 2.0},
    "finance": {"hotline": 1.5, "referral": 1.5}, "labour": {"hotline": 1.6},
    "neighbour": {"grid_report": 1.4}, "property": {"app": 1.6},
    "consumer": {"hotline": 1.8, "app": 1.5, "grid_report": 0.4},
    "family": {"walk_in": 1.3}, "marriage": {"walk_in": 1.4},
    "medical": {"referral": 1.5, "grid_report": 0.3},
}
LANGUAGE_MIX: dict[str, float] = {
    "mandarin": 0.875, "uyghur": 0.06, "kazakh": 0.025, "henan": 0.01, "sichuan": 0.01,
    "gansu": 0.008, "shandong": 0.006, "hebei": 0.006,
}
HARD = ("construction", "medical", "land", "labour", "finance")
LIMIT_DAYS = {"simple": 3, "normal": 7, "complex": 15}  # 巩留县 "3715": days to close
SIGN_MINUTES = {1: 30, 2: 60, 3: 120, 4: 240}  # to sign for a case, from its report
RISKY = ("family", "marriage", "neighbour", "labour", "debt", "construction")
OVERDUE_SHARE = 0.015
LATE_SIGN_SHARE = 0.025


@dataclass
class Basics:
    """The sampled facts of each dispute, all arrays of one length, in report order."""

    category: np.ndarray
    channel: np.ndarray
    language: np.ndarray
    difficulty: np.ndarray
    priority: np.ndarray
    risk: np.ndarray
    n_parties: np.ndarray


def categories_and_channels(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    cats = np.array(list(CATEGORY_MIX))
    p = np.array(list(CATEGORY_MIX.values()))
    category = cats[rng.choice(len(cats), size=n, p=p / p.sum())]
    chans = np.array(list(CHANNEL_MIX))
    channel = np.empty(n, dtype=object)
    for cat in cats:
        idx = np.flatnonzero(category == cat)
        w = np.array([CHANNEL_MIX[c] * CHANNEL_TILT.get(str(cat), {}).get(c, 1.0) for c in chans])
        channel[idx] = chans[rng.choice(len(chans), size=len(idx), p=w / w.sum())]
    return category.astype(object), channel


def repeats(rng: np.random.Generator, t: np.ndarray, *, share: float = 0.08,
            window: float = 90 * DAY) -> tuple[np.ndarray, np.ndarray]:
    """Some disputes flare up again between the same parties at the same address.

    Returns ``root`` (the first dispute of each chain; itself for a new one) and ``depth``
    (how many earlier rounds the chain had); ``t`` must be sorted.
    """
    n = len(t)
    root = np.arange(n)
    depth = np.zeros(n, dtype=np.int64)
    lo = np.searchsorted(t, t - window)
    again = np.flatnonzero((rng.random(n) < share) & (lo < np.arange(n)))
    prev = lo[again] + (rng.random(len(again)) * (again - lo[again])).astype(np.int64)
    for r, j in zip(again.tolist(), prev.tolist(), strict=True):  # ascending: chains resolve
        root[r] = root[j]
        depth[r] = depth[j] + 1
    return root, depth


def basics(rng: np.random.Generator, category: np.ndarray, channel: np.ndarray,
           root: np.ndarray, depth: np.ndarray) -> Basics:
    """Language, difficulty, parties, risk and priority; a repeat keeps its chain's language."""
    n = len(category)
    langs = np.array(list(LANGUAGE_MIX))
    lp = np.array(list(LANGUAGE_MIX.values()))
    language = langs[rng.choice(len(langs), size=n, p=lp / lp.sum())].astype(object)[root]
    hard = np.isin(category, HARD)
    u = rng.random(n)
    difficulty = np.where(hard, np.where(u < 0.35, "simple", np.where(u < 0.86, "normal",
                                                                      "complex")),
                          np.where(u < 0.64, "simple", np.where(u < 0.975, "normal", "complex")))
    n_parties = 2 + rng.binomial(1, 0.15, n)
    group = category == "labour"  # wage arrears often bring a crowd of workers
    n_parties[group] = 2 + rng.geometric(0.35, int(group.sum())) - 1
    n_parties[category == "property"] += rng.binomial(2, 0.25, int(
        (category == "property").sum()))
    n_parties = n_parties[root]
    # warning signs of 民转刑: the same quarrel again, threats, crowds, big and tangled cases
    risky = np.isin(category, RISKY)
    bump = (risky & (rng.random(n) < 0.05)).astype(int)
    bump += 2 * (risky & (rng.random(n) < 0.012))  # threats of revenge
    bump += (n_parties >= 6).astype(int) + (difficulty == "complex").astype(int)
    risk = np.clip(depth + bump, 0, 3)
    priority = rng.choice([1, 2, 3, 4], size=n, p=[0.02, 0.14, 0.6, 0.24])
    priority = np.where(risk >= 3, 1, np.where(risk == 2, np.minimum(priority, 2), priority))
    return Basics(category, channel, language, difficulty.astype(object),
                  priority.astype(np.int16), risk.astype(np.int16), n_parties)


def parties(rng: np.random.Generator, b: Basics, root: np.ndarray,
            ) -> tuple[list[list[dict[str, str]]], np.ndarray, np.ndarray]:
    """Party lists ({name, phone, role}) and the caller (the first applicant) per dispute.

    A repeat dispute has the same people as the first round of its chain.
    """
    total = int(b.n_parties.sum())
    owner = np.repeat(np.arange(len(b.category)), b.n_parties)
    names = person_names(rng, total, styles=style_for_languages(b.language[owner]))
    phones = fake_phones(rng, total)
    start = np.r_[0, np.cumsum(b.n_parties)[:-1]]
    out: list[list[dict[str, str]]] = []
    labour = (b.category == "labour").tolist()
    for s, k, lab in zip(start.tolist(), b.n_parties.tolist(), labour, strict=True):
        roles = (["applicant"] * (k - 1) + ["respondent"] if lab
                 else ["applicant", "respondent"] + ["third_party"] * (k - 2))
        out.append([{"name": names[s + j], "phone": phones[s + j], "role": roles[j]}
                    for j in range(k)])
    out = [out[r] if r != i else p for i, (r, p) in enumerate(zip(root.tolist(), out,
                                                                 strict=True))]
    return out, names[start][root], phones[start][root]


def timeline(rng: np.random.Generator, t: np.ndarray, b: Basics,
             end_s: float) -> dict[str, np.ndarray]:
    """Epoch seconds of each step as it would run, uncut by ``end_s``, and the deadlines."""
    n = len(t)
    ch = b.channel
    sign_limit = np.vectorize(SIGN_MINUTES.get)(b.priority) * MINUTE
    limit = np.vectorize(LIMIT_DAYS.get)(b.difficulty) * DAY
    d_assign = lognormal(rng, np.where(ch == "grid_report", 3, np.where(ch == "walk_in", 8, 18))
                         * MINUTE, 0.8, n) * np.where(b.priority == 1, 0.5, 1.0)
    d_ack = lognormal(rng, 8 * MINUTE, 1.0, n)
    late = rng.random(n) < LATE_SIGN_SHARE
    on_time = 0.95 * sign_limit
    too_slow = ~late & (d_assign + d_ack > on_time)  # squeeze into the limit
    scale = on_time[too_slow] * rng.uniform(0.4, 1.0, int(too_slow.sum())) / (
        d_assign + d_ack)[too_slow]
    d_assign[too_slow] *= scale
    d_ack[too_slow] *= scale
    d_ack[late] = sign_limit[late] * rng.uniform(1.05, 3.0, int(late.sum())) - d_assign[late]
    d_ack = np.maximum(d_ack, 20.0)
    d_arrive = np.where(ch == "walk_in", rng.uniform(2, 10, n) * MINUTE,
                        np.clip(lognormal(rng, 25 * MINUTE, 0.7, n), 3 * MINUTE, 6 * HOUR))
    hmed = np.where(b.difficulty == "simple", 3 * HOUR,
                    np.where(b.difficulty == "normal", 1.8 * DAY, 6 * DAY))
    d_handle = lognormal(rng, hmed, np.where(b.difficulty == "simple", 1.0, 0.55), n)
    d_follow = np.clip(lognormal(rng, 1.2 * DAY, 0.6, n), 2 * HOUR, 6 * DAY)
    d_close = lognormal(rng, 3 * HOUR, 1.0, n)
    head = d_assign + d_ack + d_arrive
    tail = d_handle + d_follow + d_close
    overdue = rng.random(n) < OVERDUE_SHARE
    target = np.where(overdue, limit + rng.uniform(0.3, 5.0, n) * DAY,
                      limit * rng.uniform(0.5, 0.9, n))
    fix = overdue | (head + tail > 0.9 * limit)
    factor = np.where(fix, np.maximum(target - head, 0.1 * tail) / tail, 1.0)
    # stalls at the desk: recent cases nobody has taken or signed for yet (督办 material)
    recent = t > end_s - 2 * DAY
    stall = recent & (rng.random(n) < 0.06)
    d_assign = np.where(stall & (rng.random(n) < 0.5), end_s - t + DAY, d_assign)
    d_ack = np.where(stall, end_s - t + DAY, d_ack)
    steps = np.cumsum(np.stack([d_assign, d_ack, d_arrive, d_handle * factor,
                                d_follow * factor, d_close * factor]), axis=0) + t
    # talks end by late evening; follow-up calls and filing happen in office hours
    steps[3] = _daytime(rng, steps[3], 7 * HOUR, 22.5 * HOUR)
    steps[4:] = _office(rng, steps[3], d_follow * factor, d_close * factor)
    # a case about to run out of time gets its follow-up and filing the same or next day
    hurry = ~overdue & (steps[5] > t + 0.98 * limit)
    quick = _office(rng, steps[3][hurry], rng.uniform(HOUR, 3 * HOUR, int(hurry.sum())),
                    rng.uniform(10 * MINUTE, HOUR, int(hurry.sum())))
    steps[4:, hurry] = quick
    names = ("assigned_at", "acknowledged_at", "arrived_at", "resolved_at", "followed_up_at",
             "closed_at")
    out = dict(zip(names, steps, strict=True))
    out["sign_deadline"] = t + sign_limit
    out["close_deadline"] = t + limit
    return out


def _daytime(rng: np.random.Generator, t: np.ndarray, opens: float,
             closes: float) -> np.ndarray:
    """Times outside [opens, closes) of the local day move to a random time of the next one."""
    sec = np.mod(t + TZ_OFFSET, DAY)
    day0 = t - sec  # local midnight
    later = np.where(sec < opens, day0, day0 + DAY) + rng.uniform(opens, closes, len(t))
    return np.where((sec < opens) | (sec >= closes), later, t)


def _office(rng: np.random.Generator, resolved: np.ndarray, d_follow: np.ndarray,
            d_close: np.ndarray) -> np.ndarray:
    """Follow-up and filing times after ``resolved``, both moved into office hours."""
    follow = _daytime(rng, resolved + d_follow, 8.5 * HOUR, 20 * HOUR)
    close = _daytime(rng, follow + d_close, 8.5 * HOUR, 19.5 * HOUR)
    return np.stack([follow, close])


STEP_STATE = (("assigned_at", "registered"), ("acknowledged_at", "assigned"),
              ("arrived_at", "acknowledged"), ("resolved_at", "on_scene"),
              ("followed_up_at", "resolved"), ("closed_at", "followed_up"))


def cut_at(rng: np.random.Generator, times: dict[str, np.ndarray], b: Basics,
           end_s: float) -> np.ndarray:
    """The state each dispute is in at ``end_s``; steps after it become NaN in ``times``."""
    n = len(b.category)
    state = np.full(n, "closed", dtype=object)
    for col, before in reversed(STEP_STATE):
        state[times[col] > end_s] = before
    for col, _ in STEP_STATE:
        times[col] = np.where(times[col] > end_s, np.nan, times[col])
    # past the first hour on scene the talk is a mediation; hard ones may go up a level
    talking = (state == "on_scene") & (end_s - times["arrived_at"] > HOUR)
    state[talking] = "mediating"
    up = talking & (b.difficulty == "complex") & (rng.random(n) < 0.3)
    state[up] = "escalated"
    return state


def outcomes(rng: np.random.Generator, b: Basics,
             state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outcome once resolved (~98% mediated) and satisfaction once followed up (mostly 5)."""
    n = len(state)
    fail_p = np.where(b.difficulty == "simple", 0.01,
                      np.where(b.difficulty == "normal", 0.025, 0.1))
    failed = rng.random(n) < fail_p
    u = rng.random(n)
    labour = b.category == "labour"
    other = np.where(labour,
                     np.where(u < 0.5, "arbitration", np.where(u < 0.75, "litigation",
                                                              np.where(u < 0.9, "withdrawn",
                                                                       "failed"))),
                     np.where(u < 0.45, "litigation", np.where(u < 0.75, "withdrawn", "failed")))
    outcome = np.where(failed, other, "mediated").astype(object)
    sat_ok = rng.choice([5, 4, 3, 2, 1], size=n, p=[0.86, 0.1, 0.03, 0.007, 0.003])
    sat_bad = rng.choice([5, 4, 3, 2, 1], size=n, p=[0.35, 0.25, 0.2, 0.12, 0.08])
    sat = np.where(failed, sat_bad, sat_ok).astype(float)
    resolved = np.isin(state, ("resolved", "followed_up", "closed"))
    outcome[~resolved] = None
    sat[~np.isin(state, ("followed_up", "closed"))] = np.nan
    return outcome, sat
