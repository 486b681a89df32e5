"""The desk's rows read from the database, whole or by id (no Panel, no threads).

A full read takes up to 2,000 open cases and every unit (city scale: ~330 ms). A case or unit
event names its ids, so the desk hub re-reads only those rows (the same SQL with
``= ANY(:ids)``) and :func:`patch_snapshot` puts them into the shared snapshot: the result is
what a full read would give at the snapshot's server time (tests/integration/test_desk_patch.py).

Which rows an event touches: the cases it names (``incident_id``, ``other_id``), the units it
names (``unit_id``, ``unit_ids``, ``released_unit_ids``), and every unit ever assigned to those
cases (a state change releases units or sets their status without naming them; their active
load and ``cases`` follow the assignments). An event naming nothing (a policy change) is a full
read.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from console.desk.state import STATUS_ORDER, case_features, queue_rows, unit_features, unit_rows
from console.desk.state import urgency_key as _urgency
from console.live.desk_moves import unit_index
from dispatch import views_desk
from dispatch.policy import Policy
from dispatch.views_scope import area_index
from layers.wall import signature

QUEUE_LIMIT = 2000  # the newest open cases the desk shows
# a jurisdiction's part of the territory: its streets, and the reader whose registrations it
# also shows (a dispatcher's); None stands for the whole territory
Part = tuple[frozenset[int], str | None]

_INCIDENT_KEYS = ("incident_id", "other_id")
_UNIT_KEYS = ("unit_id",)
_UNIT_LIST_KEYS = ("unit_ids", "released_unit_ids")
_STATUS_RANK = {s: i for i, s in enumerate(STATUS_ORDER)}


def event_ids(event: Mapping[str, Any]) -> tuple[set[int], set[int]] | None:
    """The case ids and unit ids an event names, or None when it names none (read all)."""
    incidents: set[int] = set()
    units: set[int] = set()
    try:
        incidents.update(int(event[k]) for k in _INCIDENT_KEYS if event.get(k) is not None)
        units.update(int(event[k]) for k in _UNIT_KEYS if event.get(k) is not None)
        for k in _UNIT_LIST_KEYS:
            units.update(int(u) for u in event.get(k) or ())
    except (TypeError, ValueError):
        return None
    return (incidents, units) if incidents or units else None


@dataclass
class Changes:
    """Rows re-read for some ids; an id asked for but absent from the rows has left the desk
    (closed, merged, deleted)."""

    incident_ids: set[int]
    unit_ids: set[int]
    incidents: list[dict[str, Any]] = field(default_factory=list)
    units: list[dict[str, Any]] = field(default_factory=list)
    areas: dict[str, dict[int, dict[str, Any]]] = field(default_factory=dict)
    fill: list[dict[str, Any]] = field(default_factory=list)  # older cases moving up the queue
    placed: list[dict[str, Any]] = field(default_factory=list)  # every case read, in part or not


def case_in(part: Part | None, row: Mapping[str, Any]) -> bool:
    """Whether a case row (with ``street_id`` and ``created_by``) belongs to ``part``."""
    if part is None:
        return True
    streets, creator = part
    return row.get("street_id") in streets or (creator is not None
                                               and row.get("created_by") == creator)


def unit_in(part: Part | None, row: Mapping[str, Any]) -> bool:
    """Whether a unit row (with its home ``street_id``) belongs to ``part``'s board."""
    return part is None or row.get("street_id") in part[0]


def read_changes(conn: Connection, snap: Mapping[str, Any], incident_ids: Iterable[int],
                 unit_ids: Iterable[int], *, part: Part | None = None) -> Changes:
    """The rows these ids name (and the units assigned to these cases, ever), plus the older
    cases that move up when cases leave a queue at its limit. With ``part``, rows outside it
    are left out (an id asked for and absent leaves the part's desk): a street's hub never holds
    another street's rows."""
    ch = Changes(set(incident_ids), set(unit_ids))
    if ch.incident_ids:
        ch.unit_ids.update(views_desk.units_ever_assigned(conn, ch.incident_ids))
        ch.placed = views_desk.queue_by_id(conn, ch.incident_ids)
        ch.incidents = [r for r in ch.placed if case_in(part, r)]
    if ch.unit_ids:
        ch.units = [r for r in views_desk.units(conn, ch.unit_ids) if unit_in(part, r)]
    if part is None:
        ch.areas = area_index(conn, incident_ids=ch.incident_ids, unit_ids=ch.unit_ids)
    else:  # the part's own rows only: an id left out here leaves the part's index too
        ch.areas = area_index(conn, incident_ids={int(r["id"]) for r in ch.incidents},
                              unit_ids={int(r["id"]) for r in ch.units})
    queue = snap["queue"]
    if len(queue) >= QUEUE_LIMIT:  # there may be older open cases below the queue's end
        kept = {r["id"] for r in queue} - ch.incident_ids
        kept.update(int(r["id"]) for r in ch.incidents)
        if len(kept) < QUEUE_LIMIT:
            ch.fill = views_desk.queue_below(
                conn, below=min(kept, default=2**62), limit=QUEUE_LIMIT - len(kept),
                streets=None if part is None else part[0],
                creator=None if part is None else part[1])
    return ch


def patch_snapshot(snap: Mapping[str, Any], ch: Changes, *, policy: Policy, version: int
                   ) -> dict[str, Any]:
    """A new snapshot with ``ch`` put in: the changed rows replaced, added or removed in their
    sorted places, their features and signatures redone, their ids in ``changed``; everything
    else shared with ``snap`` (copy on write: sessions may still hold it). The queue is
    ordered at ``snap``'s server time, as a full read at that time orders it; the clock's
    re-sort is the full read's."""
    now = int(snap["server_ms"])
    fresh = queue_rows([*ch.incidents, *ch.fill], policy=policy, now_ms=now)
    gone = ch.incident_ids | {r["id"] for r in fresh}
    queue = [r for r in snap["queue"] if r["id"] not in gone]
    for row in fresh:
        insort(queue, row, key=lambda r: _urgency(r, now))
    cut: set[int] = set()
    if len(queue) > QUEUE_LIMIT:  # new cases pushed the oldest ones out
        lowest = sorted((r["id"] for r in queue), reverse=True)[QUEUE_LIMIT - 1]
        cut = {r["id"] for r in queue if r["id"] < lowest}
        queue = [r for r in queue if r["id"] >= lowest]
        gone |= cut
    cases = _features(snap["case_features"], gone,
                      case_features(r for r in fresh if r["id"] not in cut))
    board_new = unit_rows(ch.units)
    board = [r for r in snap["units"] if r["id"] not in ch.unit_ids]
    for row in board_new:
        insort(board, row, key=_board_key)
    units = _features(snap["unit_features"], ch.unit_ids, unit_features(board_new))
    new = {**snap, "version": version, "queue": queue, "units": board,
           "case_features": cases[0], "unit_features": units[0],
           "unit_index": unit_index(board), "areas": _areas(snap["areas"], ch)}
    if "sigs" in snap:
        new["sigs"] = {"incidents": _sigs(snap["sigs"]["incidents"], gone, cases[1]),
                       "units": _sigs(snap["sigs"]["units"], ch.unit_ids, units[1])}
    # the only map features that may differ from version ``base``: a session whose map shows
    # ``base`` diffs these, not the city (DeskState.map_updates)
    new["changed"] = {"base": snap["version"], "incidents": {str(i) for i in gone},
                      "units": {str(i) for i in ch.unit_ids}}
    return new


def _board_key(row: Mapping[str, Any]) -> tuple[Any, ...]:
    return (_STATUS_RANK.get(row["status"], 9), row["code"], row["id"])


def _features(old: Mapping[str, dict[str, Any]], gone: Iterable[int],
              fresh: dict[str, dict[str, Any]]) -> tuple[dict[str, dict[str, Any]],
                                                         dict[str, dict[str, Any]]]:
    out = dict(old)
    for i in gone:
        out.pop(str(i), None)
    out.update(fresh)
    return out, fresh


def _sigs(old: Mapping[str, str], gone: Iterable[int], fresh: Mapping[str, dict[str, Any]]
          ) -> dict[str, str]:
    out = dict(old)
    for i in gone:
        out.pop(str(i), None)
    out.update((k, signature(f)) for k, f in fresh.items())
    return out


def _areas(old: Mapping[str, dict[int, dict[str, Any]]], ch: Changes
           ) -> dict[str, dict[int, dict[str, Any]]]:
    out = {}
    for kind, ids in (("incidents", ch.incident_ids), ("units", ch.unit_ids)):
        facts = dict(old.get(kind) or {})
        for i in ids:
            facts.pop(i, None)
        facts.update(ch.areas.get(kind) or {})
        out[kind] = facts
    return out
