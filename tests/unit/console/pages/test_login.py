"""A page's principal survives the trip through Bokeh's session token (JSON) whole, district
streets and the forced-change mark included."""

from __future__ import annotations

import json

from console.pages.login import principal_from_payload, principal_payload
from dispatch.access import Principal, scope_of


def test_the_payload_is_json_and_gives_the_same_principal_back() -> None:
    p = Principal(name="qu", role="dispatcher", account_id=3, district_id=2,
                  district_streets=frozenset({4, 9}), display_name="区调度员",
                  must_change_password=True)
    back = principal_from_payload(json.loads(json.dumps(principal_payload(p))))
    assert back == p and scope_of(back).streets == {4, 9}
    field = Principal(name="f", role="field", account_id=4, street_id=1, grid_id=11, unit_id=7)
    assert principal_from_payload(json.loads(json.dumps(principal_payload(field)))) == field
    assert principal_payload(None) is None
