"""The array ranking equals the one-unit-at-a-time rules: same exclusions, scores and order."""

import math
import random
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import numpy as np
import pytest

from dispatch import vocab
from dispatch.eta import Eta
from dispatch.model import IncidentFacts, UnitFacts
from dispatch.policy import LEVELS, Policy
from dispatch.rank import REASONS, UnitTable, rank_numbers
from dispatch.recommend import _rate, recommend, suitable_types

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
SHIFTS = [("day", time(8, 30), time(17, 30)), ("night", time(17, 30), time(8, 30)),
          ("24h", None, None), ("on_call", None, None)]


def _unit(rng: random.Random, uid: int) -> UnitFacts:
    shift, start, end = rng.choice(SHIFTS)
    capacity = rng.choice([1, 2, 3])
    placed = rng.random() > 0.1
    seen = rng.choice([None, NOW - timedelta(seconds=rng.choice([30, 899, 900, 901, 7200]))])
    return UnitFacts(
        id=uid, unit_type=rng.choice(list(vocab.UNIT_TYPES)), name=f"U{uid}",
        skills=tuple(rng.sample(list(vocab.CATEGORIES), rng.randrange(3))),
        languages=("mandarin", *rng.sample(list(vocab.LANGUAGES), rng.randrange(2))),
        level=rng.choice([*LEVELS, "unknown"]), street_id=rng.choice([None, 1, 2]),
        community_id=rng.choice([None, 10, 11]), home_grid_id=rng.choice([None, 100, 101]),
        police_grid_id=rng.choice([None, 200, 201]),
        status=rng.choice(["available", "available", "assigned", "off_duty"]),
        capacity=capacity, active_load=rng.randrange(capacity + 1), on_foot=rng.random() < 0.3,
        shift=shift, shift_start=start, shift_end=end,
        lon=84.8 + rng.random() / 10 if placed else None,
        lat=45.6 + rng.random() / 10 if placed else None, last_seen_at=seen)


def _incident(rng: random.Random) -> IncidentFacts:
    return IncidentFacts(
        id=1, category=rng.choice(list(vocab.CATEGORIES)), priority=rng.randrange(1, 5),
        risk_level=rng.randrange(4), threat=rng.random() < 0.2,
        language=rng.choice([None, "mandarin", *vocab.LANGUAGES]),
        street_id=rng.choice([None, 1]), community_id=rng.choice([None, 10]),
        grid_id=rng.choice([None, 100]), police_grid_id=rng.choice([None, 200]),
        escalations=rng.randrange(3), one_case_plan=rng.random() < 0.2)


def _etas(rng: random.Random, units: list[UnitFacts]) -> dict[int, Eta]:
    return {u.id: Eta(rng.choice([rng.uniform(0, 5000), math.inf, 600.0]), 0.0)
            for u in units if u.lon is not None and rng.random() > 0.05}


def _why(u: UnitFacts, types: tuple[str, ...], paired: bool, skip: tuple[int, ...]) -> int:
    if u.id in skip:
        return 0
    if u.status == "off_duty":
        return 1
    if not u.has_room:
        return 2
    if not u.on_shift(NOW):
        return 3
    if u.unit_type not in types and not (paired and u.unit_type in ("grid_worker",
                                                                    "community_police")):
        return 4
    return -1


@pytest.mark.parametrize("seed", range(40))
def test_array_scores_equal_the_rules_one_unit_at_a_time(seed):
    rng = random.Random(seed)
    units = [_unit(rng, k) for k in range(1, 150)]
    incident, etas, policy = _incident(rng), _etas(rng, units), Policy()
    level = policy.level_for(incident.priority, incident.difficulty, incident.risk_level,
                             incident.escalations)
    types = suitable_types(incident, policy)
    table = UnitTable.of(units)
    eta_s = np.array([etas[u.id].seconds if u.id in etas else math.nan for u in units])
    paired = seed % 2 == 0
    numbers = rank_numbers(table, incident, eta_s, policy=policy, now=NOW, level=level,
                           types=types, paired=paired, exclude=[3, 4])
    for k, u in enumerate(units):
        want, _, _ = _rate(u, incident, etas.get(u.id), policy=policy, now=NOW, level=level,
                           types=types)
        assert numbers.score[k] == want, u
        assert numbers.why[k] == _why(u, types, paired, (3, 4)), u
    # scoring only the rows that may be offered: the same numbers there, none elsewhere
    some = rank_numbers(table, incident, eta_s, policy=policy, now=NOW, level=level,
                        types=types, paired=paired, exclude=[3, 4], eligible_only=True)
    ok = numbers.why == -1
    assert np.array_equal(some.why, numbers.why)
    assert np.array_equal(some.score[ok], numbers.score[ok]) and np.isnan(some.score[~ok]).all()
    assert np.array_equal(some.eta_key[ok], numbers.eta_key[ok])


@pytest.mark.parametrize("seed", range(20))
def test_recommendation_equals_sorting_every_unit_by_the_rules(seed):
    rng = random.Random(100 + seed)
    units = [_unit(rng, k) for k in range(1, 300)]
    incident, etas, policy = _incident(rng), _etas(rng, units), Policy()
    rec = recommend(incident, units, etas, policy=policy, now=NOW, top=20, exclude=(5,))
    level, types = rec.level, suitable_types(incident, policy)
    rows, reasons = [], Counter()
    for u in units:
        why = _why(u, types, rec.paired, (5,))
        if why >= 0:
            reasons[REASONS[why]] += 1
        elif u.unit_type in types:
            eta = etas.get(u.id)
            score, _, stale = _rate(u, incident, eta, policy=policy, now=NOW, level=level,
                                    types=types)
            # a stale unit's ETA is a guess: it sorts as unknown
            rows.append((-score, eta.seconds if eta and u.lon is not None and not stale
                         else math.inf, u.id))
    assert [c.unit.id for c in rec.candidates] == [r[2] for r in sorted(rows)[:20]]
    assert rec.excluded == dict(reasons)
    assert all(c.reasons for c in rec.candidates)


@pytest.mark.parametrize("seed", range(10))
def test_patched_table_ranks_like_a_rebuilt_one(seed):
    rng = random.Random(200 + seed)
    units = [_unit(rng, k) for k in range(1, 120)]
    table = UnitTable.of(units)
    for _ in range(3):  # moves, status and shift changes, a few rows at a time
        changed = {}
        for k in rng.sample(range(len(units)), 7):
            new = _unit(rng, units[k].id)
            changed[k] = new
            units[k] = new
        table = table.with_rows(changed)
    fresh = UnitTable.of(units)
    incident, etas, policy = _incident(rng), _etas(rng, units), Policy()
    eta_s = np.array([etas[u.id].seconds if u.id in etas else math.nan for u in units])
    args = {"policy": policy, "now": NOW, "level": "street", "paired": True,
            "types": suitable_types(incident, policy)}
    a = rank_numbers(table, incident, eta_s, **args)
    b = rank_numbers(fresh, incident, eta_s, **args)
    assert np.array_equal(a.why, b.why) and np.array_equal(a.score, b.score)
    assert np.array_equal(table.takes_cases, fresh.takes_cases)
    assert table.units == fresh.units


def test_patched_memberships_follow_the_changed_rows():
    rng = random.Random(5)
    units = [_unit(rng, k) for k in range(1, 60)]
    table = UnitTable.of(units)
    table.skilled("labour"), table.speaks("uyghur")
    changed = {3: replace(units[3], skills=("labour",), languages=("uyghur",)),
               4: replace(units[4], skills=(), languages=("mandarin",))}
    patched = table.with_rows(changed)
    units[3], units[4] = changed[3], changed[4]
    fresh = UnitTable.of(units)
    assert np.array_equal(patched.skilled("labour"), fresh.skilled("labour"))
    assert np.array_equal(patched.speaks("uyghur"), fresh.speaks("uyghur"))
    assert patched.skilled("labour")[3] and not patched.skilled("labour")[4]


def test_three_units_scored_by_hand_from_the_policy_weights():
    """The rules written out by hand with the default weights, not taken from the product: a
    worked example for the array ranking, the one-unit scorer and the recommendation's order."""
    incident = IncidentFacts(id=1, category="neighbour", priority=3, risk_level=0,
                             language="uyghur", street_id=1, community_id=10, grid_id=100,
                             police_grid_id=200)
    day = {"shift": "day", "shift_start": time(8, 30), "shift_end": time(17, 30)}
    units = [
        # own grid's worker: ETA 900 s of a fresh fix, half full, knows the category
        UnitFacts(id=1, unit_type="grid_worker", skills=("neighbour",), level="community",
                  street_id=1, community_id=10, home_grid_id=100, capacity=2, active_load=1,
                  lon=84.85, lat=45.6, last_seen_at=NOW - timedelta(seconds=30), **day),
        # a street-level mediator of the same community who speaks Uyghur, on call, whose
        # fix is 1,000 s old (stale past 900 s: its ETA earns nothing)
        UnitFacts(id=2, unit_type="mediator", languages=("mandarin", "uyghur"), level="street",
                  street_id=1, community_id=10, shift="on_call", lon=84.86, lat=45.6,
                  last_seen_at=NOW - timedelta(seconds=1000)),
        # another street's mediator with no position at all, on a 24-hour shift
        UnitFacts(id=3, unit_type="mediator", level="community", street_id=2, community_id=20,
                  capacity=3, shift="24h"),
    ]
    etas = {1: Eta(900.0, 5000.0), 2: Eta(600.0, 3000.0)}
    expected = {
        # ETA 40·(1 − 900/3600) + type 10·(1 − 1/2) + skill 20 + no Uyghur −10 + own grid 20
        # + level (community) 10 + load −10·1/2
        1: 30 + 5 + 20 - 10 + 20 + 10 - 5,
        # type 10 + Uyghur 15 + same community 8 + one level off −10/2 + on call −5 + stale −15
        2: 10 + 15 + 8 - 5 - 5 - 15,
        # type 10 + no Uyghur −10 + level 10 + no position −15
        3: 10 - 10 + 10 - 15,
    }
    policy = Policy()
    level = policy.level_for(incident.priority, incident.difficulty, incident.risk_level)
    types = suitable_types(incident, policy)
    assert (level, types) == ("community", ("mediator", "grid_worker"))
    for u in units:
        assert _rate(u, incident, etas.get(u.id), policy=policy, now=NOW, level=level,
                     types=types)[0] == expected[u.id], u.id
    eta_s = np.array([etas[u.id].seconds if u.id in etas else math.nan for u in units])
    numbers = rank_numbers(UnitTable.of(units), incident, eta_s, policy=policy, now=NOW,
                           level=level, types=types, paired=False)
    assert list(numbers.score) == [expected[u.id] for u in units]
    assert list(numbers.why) == [-1, -1, -1]
    rec = recommend(incident, units, etas, policy=policy, now=NOW)
    assert not rec.paired
    assert [(c.unit.id, c.score) for c in rec.candidates] == [(1, 70), (2, 8), (3, -5)]
    assert rec.candidates[1].stale and rec.candidates[1].eta_points == 0
    assert "会说维吾尔语（老乡调解）" in rec.candidates[1].reasons


def test_memberships_are_built_once_when_many_threads_ask_and_patch_at_once():
    """Requests in several threads fill a shared table's memberships while another patches it:
    each column is built once (every thread gets the same array) and patching never trips on
    a membership dict being filled."""
    import threading

    rng = random.Random(9)
    units = [_unit(rng, k) for k in range(1, 400)]
    table = UnitTable.of(units)
    names = [(kind, name) for kind, pool in (("of_type", vocab.UNIT_TYPES),
                                            ("skilled", vocab.CATEGORIES),
                                            ("speaks", vocab.LANGUAGES)) for name in pool]
    start = threading.Barrier(9)
    got: list[list[object]] = []
    errors: list[BaseException] = []

    def ask(seed: int) -> None:
        order = random.Random(seed).sample(names, len(names))
        start.wait()
        try:
            got.append([getattr(table, kind)(name) for kind, name in sorted(order)])
        except BaseException as e:
            errors.append(e)

    def patch() -> None:
        start.wait()
        try:
            for k in range(50):
                table.with_rows({k: replace(units[k], skills=("labour",))})
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=ask, args=(s,)) for s in range(8)]
    threads.append(threading.Thread(target=patch))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert all(all(a is b for a, b in zip(row, got[0], strict=True)) for row in got)
    fresh = UnitTable.of(units)
    for kind, name in sorted(names):
        assert np.array_equal(getattr(table, kind)(name), getattr(fresh, kind)(name))


def test_a_snapshot_tells_which_transactions_it_could_not_see():
    from dispatch.adapters.unit_cache import Seen

    assert Seen.of("100:105:100,102") == Seen("105", ("100", "102"), "100")
    assert Seen.of("7:7:") == Seen("7", (), "7")
    # its own transaction is not listed by a snapshot, and its later writes are unseen too
    assert Seen.of("7:9:8", "5").params() == {"xmax": "9", "xip": ["8", "5"]}


@pytest.mark.parametrize("seed", range(10))
def test_etas_of_the_units_that_cannot_be_offered_change_nothing(seed):
    """A recommendation reads the ETAs of the units it may offer only: asking none for the
    others (off shift, wrong type, excluded, outside ``among``) gives the same answer."""
    from dispatch.recommend import offerable

    rng = random.Random(300 + seed)
    units = [_unit(rng, k) for k in range(1, 250)]
    incident, etas, policy = _incident(rng), _etas(rng, units), Policy()
    table = UnitTable.of(units)
    among = table.takes_cases
    eta_s = np.array([etas[u.id].seconds if u.id in etas else math.nan for u in units])
    ok = offerable(incident, table, policy=policy, now=NOW, exclude=(7,), among=among)
    assert 0 < ok.sum() < len(units)
    some = {u.id: e for u, e in zip(units, (etas.get(u.id) for u in units), strict=True)
            if e is not None and ok[units.index(u)]}
    args = {"policy": policy, "now": NOW, "exclude": (7,), "among": among}
    want = recommend(incident, table, etas, eta_s=eta_s, **args)
    got = recommend(incident, table, some, eta_s=np.where(ok, eta_s, math.nan), **args)
    assert got.as_dict(50) == want.as_dict(50) and got.candidates
