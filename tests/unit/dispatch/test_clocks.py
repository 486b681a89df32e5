"""Clock stages and decisions with a fake now (no sleeping)."""

from datetime import UTC, datetime, timedelta

from dispatch import clocks
from dispatch.policy import Policy

T0 = datetime(2026, 11, 23, 2, tzinfo=UTC)
P = Policy()


def test_stages_of_sign_and_close_clocks():
    sign = clocks.sign_clock(T0, 1, policy=P)
    assert [(s.stage, s.due_at - T0) for s in sign] == [
        ("warn", timedelta(minutes=24)), ("yellow", timedelta(minutes=30)),
        ("red", timedelta(minutes=45))]
    assert clocks.deadline(clocks.close_clock(T0, "complex", policy=P)) == T0 + timedelta(days=15)
    warn = Policy.from_dict({"warn_share": 0.5})
    assert clocks.sign_clock(T0, 4, policy=warn)[0].due_at == T0 + timedelta(hours=2)
    assert clocks.sign_clock(T0, 2, policy=P, round=3)[0].round == 3


def test_decisions():
    d = clocks.decide("sign", "warn", state="assigned", level="community", policy=P,
                      has_units=True)
    assert d.warn and not d.supervision and "签收时限将到" in d.reason
    d = clocks.decide("sign", "yellow", state="assigned", level="community", policy=P,
                      has_units=True)
    assert d.supervision == "yellow" and d.reassign and "黄色督办" in d.reason
    d = clocks.decide("sign", "yellow", state="located", level="community", policy=P,
                      has_units=False)
    assert d.supervision == "yellow" and not d.reassign  # nobody to reassign from
    d = clocks.decide("sign", "yellow", state="assigned", level="street", policy=P,
                      has_units=True, supervised=True)
    assert d.supervision == "red" and d.escalate_to == "district" and "再次超时" in d.reason
    d = clocks.decide("close", "red", state="mediating", level="city", policy=P, has_units=True)
    assert d.supervision == "red" and d.escalate_to is None
    d = clocks.decide("followup", "red", state="resolved", level="community", policy=P,
                      has_units=False)
    assert d.escalate_to is None


def test_stages_of_a_finished_clock_are_skipped():
    assert clocks.decide("sign", "yellow", state="acknowledged", level="community", policy=P,
                         has_units=True).skip
    assert clocks.decide("close", "red", state="resolved", level="community", policy=P,
                         has_units=False).skip
    assert clocks.decide("followup", "warn", state="followed_up", level="community",
                         policy=P, has_units=False).skip


def test_policy_switches():
    p = Policy.from_dict({"reassign_on_sign_expiry": False, "escalate_on_red": False})
    assert not clocks.decide("sign", "yellow", state="assigned", level="community", policy=p,
                             has_units=True).reassign
    assert clocks.decide("sign", "red", state="assigned", level="community", policy=p,
                         has_units=True).escalate_to is None


def test_which_clock_runs_is_decided_once():
    t1, t2 = "2026-11-23T10:00", "2026-11-30T10:00"
    assert clocks.running("assigned", t1, t2) == ("sign", t1)
    assert clocks.running("acknowledged", t1, t2) == ("close", t2)
    assert clocks.running("escalated", None, t2) == ("close", t2)
    assert clocks.running("resolved", t1, t2) == (None, None)
    assert set(clocks.SIGN_OWED) < set(clocks.LIVE_STATES["close"])
    assert not hasattr(clocks, "CLOCKS_OF_STATE")  # the unused table is gone
