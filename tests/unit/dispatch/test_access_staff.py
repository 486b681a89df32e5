"""Staff names in figures (units, mediators): seen by those who manage the staff, masked for
readers of figures (leaders) and for API keys."""

from __future__ import annotations

from dispatch.access import Principal, masks_staff


def test_who_sees_staff_names() -> None:
    assert not masks_staff(Principal(name="d", role="duty"))
    assert not masks_staff(Principal(name="s", role="dispatcher", street_id=1))
    assert not masks_staff(Principal(name="a", role="admin"))
    assert masks_staff(Principal(name="l", role="leader"))
    assert masks_staff(Principal(name="f", role="field", unit_id=3))
    assert masks_staff(Principal(name="k", kind="api_key", scopes=frozenset({"read"})))
