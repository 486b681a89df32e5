"""Intake helpers shared by every face that registers cases: place an address, name a point."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine

from geo.geocode_reverse import ReverseResult

Labeller = Callable[[float, float], ReverseResult]


def _float(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None  # the domain names the bad field when it validates the command


def address_by_point(label_of: Labeller, body: dict[str, Any]) -> dict[str, Any]:
    """A point with no address gets the reverse geocoder's label (``label_of``: the App's
    ``reverse_label``, in memory), so people can read it."""
    from geo.coords import to_wgs84

    lon, lat = _float(body.get("lon")), _float(body.get("lat"))
    if lon is None or lat is None:
        return body
    try:
        wlon, wlat = to_wgs84(lon, lat, str(body.get("crs") or "wgs84"))
        label = label_of(float(wlon), float(wlat))
    except (ValueError, RuntimeError):  # a bad point is the domain's to refuse
        return body
    return {**body, "address": label.label} if label.inside else body


def place_by_address(engine: Engine, body: dict[str, Any]
                     ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Geocode an address-only case; take the best candidate only when it is unambiguous.

    A door, building, compound or place with confidence ≥ 0.75 and no equally good
    candidate in another micro-grid locates the case; otherwise the case stays registered
    and the candidates go back to the duty officer to choose (a road or a community is
    too coarse to dispatch on).
    """
    from geo.geocoder import geocode

    with engine.connect() as conn:
        found = geocode(conn, str(body["address"])[:200], limit=5)
    top = found.candidates[0] if found.candidates else None
    rivals = [c for c in found.candidates[1:] if top is not None
              and c.confidence >= top.confidence - 0.05
              and c.micro_grid_id != top.micro_grid_id]
    used = (top is not None and top.level in ("building", "door", "compound", "place")
            and top.confidence >= 0.75 and not rivals)
    if used and top is not None:
        body = {**body, "lon": top.lon, "lat": top.lat, "crs": "wgs84"}
    return body, {**found.as_dict(), "used": used}


def place(engine: Engine, body: dict[str, Any], label_of: Labeller
          ) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Fill in whichever of point and address is missing; the geocoding answer if one ran."""
    has_point = body.get("lon") not in (None, "")
    has_address = bool(str(body.get("address") or "").strip())
    if not has_point and has_address:
        return place_by_address(engine, body)
    if has_point and not has_address:
        return address_by_point(label_of, body), None
    return body, None
