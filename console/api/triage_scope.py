"""The triage queue cut to the reader's jurisdiction: a resident report's area, who may see and
decide it, and the resident's name and phone masked as the desk masks a case's parties."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from dispatch.access import Principal, masks_incident, scope_of, sees_incident
from dispatch.errors import Forbidden, NotFound
from dispatch.handlers_intake import chain_ids
from dispatch.privacy import mask_address, mask_name, mask_phone, mask_text
from dispatch.views_resident import place, report_place
from geo.locate import Locator

AREA_KEYS = ("street_id", "community_id", "grid_id")
NOWHERE: dict[str, int | None] = dict.fromkeys(AREA_KEYS)


class ReportAreas:
    """Locates reports for one request: the point a report holds, located by the same
    :class:`~geo.locate.Locator` the intake locates a case with (so a report lies in the street
    its case will lie in); a report whose point is missing or outside the territory, its
    poster's place (``?at=community-…`` / ``room-…``) located the same way; neither, nowhere
    (only readers of the whole territory see it)."""

    def __init__(self, conn: Connection, locator: Locator) -> None:
        self.conn, self.locator = conn, locator
        self._places: dict[str, dict[str, int | None]] = {}

    def _at(self, lon: Any, lat: Any) -> dict[str, int | None] | None:
        if lon is None or lat is None:
            return None
        loc = self.locator.locate(float(lon), float(lat))
        if not loc.inside:
            return None
        chain = chain_ids(loc)
        return {"street_id": chain["street"], "community_id": chain["community"],
                "grid_id": chain["grid"]}

    def _place(self, at: str) -> dict[str, int | None]:
        if at not in self._places:
            found = place(self.conn, at)
            self._places[at] = (self._at(found["lon"], found["lat"]) if found else None
                                ) or NOWHERE
        return self._places[at]

    def of(self, row: dict[str, Any]) -> dict[str, int | None]:
        """The street, community and grid ids of a report (all None: nowhere)."""
        area = self._at(row.get("lon"), row.get("lat"))
        if area is None and row.get("place"):
            area = self._place(str(row["place"]))
        return area or NOWHERE


def reader_keeps(p: Principal, areas: ReportAreas) -> Callable[[dict[str, Any]], bool]:
    """The row filter of ``p``'s queue (the reports in its jurisdiction; every report for the
    whole territory), which writes each row's area onto it."""
    whole = scope_of(p).unrestricted

    def keep(row: dict[str, Any]) -> bool:
        area = areas.of(row)
        row.update(area)
        return whole or sees_incident(p, area)
    return keep


def check_report(conn: Connection, locator: Locator, p: Principal, report_id: int,
                 action: str) -> None:
    """Refuse (404 / 403) deciding a report outside the reader's jurisdiction."""
    row = report_place(conn, report_id)
    if row is None:
        raise NotFound(f"居民报告 {report_id} 不存在", field="report_id")
    if scope_of(p).unrestricted:
        return
    if not sees_incident(p, ReportAreas(conn, locator).of(row)):
        raise Forbidden(f"居民报告 {report_id} 不在您的辖区内，不能处理", report_id=report_id,
                        action=action)


def masked_report(p: Principal, row: dict[str, Any]) -> dict[str, Any]:
    """A queue row as ``p`` may read it: the resident's name, phone, door numbers and the
    phones or names in the texts masked where ``p`` reads cases of this area masked."""
    area = {k: row.get(k) for k in AREA_KEYS}
    if not masks_incident(p, area, ()):
        return {**row, "masked": False}
    names = [row["name"]] if row.get("name") else []
    notes = [{**n, "text": mask_text(n.get("text"), names)} for n in row.get("notes") or ()]
    return {**row, "name": mask_name(row.get("name")), "phone": mask_phone(row.get("phone")),
            "address": mask_address(row.get("address")),
            "description": mask_text(row.get("description"), names), "notes": notes,
            "masked": True}
