"""The event stream's cut for a street's reader: risk reasons (which may name another street's
case) are left out of the live event; other events pass untouched."""

import json

from console.api.events import without_reasons


def test_risk_reasons_leave_the_event_for_a_street_reader():
    raw = json.dumps({"type": "RiskRaised", "incident_id": 7, "risk_level": 2,
                      "reasons": ["同一当事人之间已发生 3 起纠纷（2026-000123）"]},
                     ensure_ascii=False)
    out = json.loads(without_reasons(raw))
    assert out == {"type": "RiskRaised", "incident_id": 7, "risk_level": 2, "reasons": []}
    assert "2026-000123" not in without_reasons(raw)


def test_other_events_pass_as_they_are():
    raw = json.dumps({"type": "StateChanged", "incident_id": 7, "to": "resolved"})
    assert without_reasons(raw) == raw
