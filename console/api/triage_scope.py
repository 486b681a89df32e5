"""The triage queue cut to the reader's jurisdiction: who may see and decide a resident report
(the area it was located in at submission), and the resident's name and phone masked as the
desk masks a case's parties."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Connection

from dispatch.access import Principal, masks_incident, scope_of, sees_incident
from dispatch.errors import Forbidden, NotFound
from dispatch.privacy import mask_address, mask_name, mask_phone, mask_text
from dispatch.views_resident import report_place

AREA_KEYS = ("street_id", "community_id", "grid_id")


def area(row: dict[str, Any]) -> dict[str, Any]:
    """A report's stored area (all None: located nowhere, whole-territory readers only)."""
    return {k: row.get(k) for k in AREA_KEYS}


def reader_keeps(p: Principal) -> Callable[[dict[str, Any]], bool]:
    """The row filter of ``p``'s queue: the reports in its jurisdiction (every report for the
    whole territory), by the same rule as a case's area (:func:`dispatch.access.sees_incident`)."""
    if scope_of(p).unrestricted:
        return lambda _row: True
    return lambda row: sees_incident(p, area(row))


def check_report(conn: Connection, p: Principal, report_id: int, action: str
                 ) -> dict[str, Any]:
    """The report's place, or a refusal (404 / 403) to decide a report outside the reader's
    jurisdiction."""
    row = report_place(conn, report_id)
    if row is None:
        raise NotFound(f"居民报告 {report_id} 不存在", field="report_id")
    if not reader_keeps(p)(row):
        raise Forbidden(f"居民报告 {report_id} 不在您的辖区内，不能处理", report_id=report_id,
                        action=action)
    return row


def masked_report(p: Principal, row: dict[str, Any]) -> dict[str, Any]:
    """A queue row as ``p`` may read it: the resident's name, phone, door numbers and the
    phones or names in the texts masked where ``p`` reads cases of this area masked."""
    if not masks_incident(p, area(row), ()):
        return {**row, "masked": False}
    names = [row["name"]] if row.get("name") else []
    notes = [{**n, "text": mask_text(n.get("text"), names)} for n in row.get("notes") or ()]
    return {**row, "name": mask_name(row.get("name")), "phone": mask_phone(row.get("phone")),
            "address": mask_address(row.get("address")),
            "description": mask_text(row.get("description"), names), "notes": notes,
            "masked": True}


def readers_rows(p: Principal | None, rows: Iterable[dict[str, Any]], *,
                 limit: int | None = None) -> list[dict[str, Any]]:
    """The hub's pending reports as ``p``'s desk shows them: its jurisdiction's first ``limit``,
    masked where it reads them masked; none for a page with no principal."""
    if p is None:
        return []
    keep = reader_keeps(p)
    return [masked_report(p, r) for r in rows if keep(r)][:limit]
