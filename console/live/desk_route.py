"""Which jurisdiction's desk hub a change concerns, and the registry of those hubs per process.

One :class:`console.live.desk_hub.DeskHub` per jurisdiction (a street, a district's streets, a
dispatcher's streets and own registrations) that has a desk open in the process, shared by its
desks, made on the first subscriber and dropped when the last one leaves; readers of the whole
territory (duty officers and administrators without an area, units) keep the process's one
territory hub. A part hub reads only its part (``views_desk`` with ``streets``), so a change
costs it rows of its own jurisdiction, never the territory's.

Routing (:func:`route`, pure): a part hub hears every NOTIFY, and re-reads only the ids that
may touch its part: those it shows, those the :class:`CaseBook` places in its streets, and those
nobody has placed yet (the re-read places them, and leaves them out when they lie elsewhere). A
unit's move goes only to hubs whose board shows the unit. The book learns a case's street from
``incident_located`` events and from every row a hub reads, so a case of another street costs a
hub nothing after its first event.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import Engine

from console.live.desk_patch import Part
from dispatch.views_desk import placements

log = logging.getLogger(__name__)

BOOK_SIZE = 200_000  # cases whose street the process remembers (about 30 MB at most)
_UNKNOWN = object()


class CaseBook:
    """Case id → (street id, creator), the cases placed so far (bounded, oldest forgotten).

    Version-safe: each placement carries the book's stamp when it became true. An event is
    news when heard (a fresh stamp); rows read by a hub are as new as the moment their read
    began (:meth:`stamp`, taken before the query), so a slow read finishing after a newer event
    or a newer read (another hub's patch) leaves the newer placement alone.
    """

    def __init__(self, size: int = BOOK_SIZE) -> None:
        self._rows: OrderedDict[int, tuple[int | None, Any, int]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self._clock = 0  # stamps handed out to events so far
        self._floor = 0  # reads begun before this stamp are void (the areas were replaced)

    def stamp(self) -> int:
        """Take before reading rows: every event learned until now is in what the read sees
        (its NOTIFY came after its commit), every later one is newer than the read."""
        with self._lock:
            return self._clock

    def learn(self, case_id: int, street_id: int | None, creator: Any = _UNKNOWN, *,
              as_of: int | None = None) -> bool:
        """Place a case (``creator`` left out: not known from this source). ``as_of``: the
        :meth:`stamp` its read began at (None: news heard now). False when a newer placement
        is kept instead."""
        with self._lock:
            if as_of is None:
                self._clock += 1
                as_of = self._clock
            if as_of < self._floor:
                return False  # begun before the areas were replaced: its streets are gone
            old = self._rows.get(case_id)
            if old is not None and old[2] > as_of:
                return False  # learned after this read began: the read is stale for this case
            if creator is _UNKNOWN and old is not None and old[0] == street_id:
                creator = old[1]
            self._rows.pop(case_id, None)
            self._rows[case_id] = (street_id, creator, as_of)
            while len(self._rows) > self._size:
                self._rows.popitem(last=False)
            return True

    def learn_rows(self, rows: Iterable[Mapping[str, Any]], *, as_of: int | None = None) -> None:
        """Place the cases of rows read with ``street_id`` and ``created_by``, a read begun at
        ``as_of`` (:meth:`stamp`)."""
        for r in rows:
            if "street_id" in r:
                self.learn(int(r["id"]), r["street_id"], r.get("created_by"), as_of=as_of)

    def forget(self) -> None:
        """Forget every placement, and void reads begun before now (the areas were replaced:
        a case's street may be another, or gone)."""
        with self._lock:
            self._clock += 1
            self._floor = self._clock
            self._rows.clear()

    def learn_event(self, event: Mapping[str, Any]) -> None:
        if event.get("type") == "areas_replaced":
            self.forget()
        elif event.get("type") == "incident_located" and event.get("incident_id") is not None:
            try:
                street = event.get("street_id")
                self.learn(int(event["incident_id"]), None if street is None else int(street))
            except (TypeError, ValueError):
                pass

    def place(self, case_id: int) -> tuple[int | None, Any] | None:
        """(street, creator) of a placed case (creator may be unknown), or None."""
        row = self._rows.get(case_id)
        return None if row is None else (row[0], row[1])

    def __len__(self) -> int:
        return len(self._rows)


def case_may_touch(part: Part, case_id: int, *, shown: Mapping[int, Any] | set[int],
                   book: CaseBook) -> bool:
    """Whether a change to this case may change ``part``'s desk: it is shown there, or it lies
    (or may lie: not placed yet, or its creator unknown) in the part."""
    if case_id in shown:
        return True
    placed = book.place(case_id)
    if placed is None:
        return True
    street, creator = placed
    streets, reader = part
    if street in streets:
        return True
    return reader is not None and (creator is _UNKNOWN or creator == reader)


def unsure(part: Part, ids: Iterable[int], *, shown: Mapping[int, Any] | set[int],
           book: CaseBook) -> set[int]:
    """The cases among ``ids`` a hub of ``part`` would re-read only because the book cannot
    place them (no street yet, or a dispatcher's part and no creator): a look-up of their
    street and creator (``views_desk.placements``) settles them for a fraction of a re-read."""
    out = set()
    for i in ids:
        if i in shown:
            continue
        placed = book.place(i)
        if placed is None or (part[1] is not None and placed[1] is _UNKNOWN
                              and placed[0] not in part[0]):
            out.add(i)
    return out


def route(part: Part | None, ids: tuple[set[int], set[int]], *, cases: Mapping[int, Any] | set[int],
          units: Mapping[int, Any] | set[int], book: CaseBook
          ) -> tuple[set[int], set[int]]:
    """The case and unit ids among ``ids`` a hub of ``part`` must re-read (all of them for the
    whole territory). ``cases`` and ``units``: the ids the hub's snapshot shows. A unit not on
    the part's board is left out unless it comes with a case kept here (its home street does
    not change with a case; the board's full read re-places it)."""
    if part is None:
        return ids
    kept = {i for i in ids[0] if case_may_touch(part, i, shown=cases, book=book)}
    if kept:  # the case's units: their board rows and cases follow it
        return kept, set(ids[1])
    return kept, {u for u in ids[1] if u in units}


class DeskHubs:
    """The process's part hubs for one app, by part; ``make(part)`` builds one (a DeskHub)."""

    thread_name = "desk-part-hubs"

    def __init__(self, make: Callable[[Part], Any]) -> None:
        self._make = make
        self._hubs: dict[Part, Any] = {}
        self._lock = threading.Lock()
        self.book = CaseBook()
        self.made = 0
        self.dropped = 0

    def hub(self, part: Part) -> Any:
        """The hub of ``part``: the one its open desks share, or a new one."""
        with self._lock:
            hub = self._hubs.get(part)
            if hub is None:
                hub = self._hubs[part] = self._make(part)
                self.made += 1
            return hub

    def existing(self, part: Part) -> Any | None:
        return self._hubs.get(part)

    def keep(self, hub: Any) -> None:
        """A desk subscribed to ``hub``: it is the part's again if it had been dropped meanwhile
        (made for a desk, then the part's last other desk left before this one subscribed)."""
        with self._lock:
            self._hubs.setdefault(hub.part, hub)

    def drop(self, hub: Any) -> None:
        """The last desk left ``hub``: forget it (its thread ends by itself), unless a desk
        subscribed again meanwhile."""
        part = hub.part
        with self._lock:
            if hub.subscribers == 0 and self._hubs.get(part) is hub:
                del self._hubs[part]
                self.dropped += 1

    def parts(self) -> list[Part]:
        with self._lock:
            return list(self._hubs)

    def stop(self, timeout_s: float = 10.0) -> bool:
        """Stop every part hub (the server stops); True when all their threads ended."""
        with self._lock:
            hubs, self._hubs = list(self._hubs.values()), {}
        return all([h.stop(timeout_s) for h in hubs])


def place(engine: Engine, book: CaseBook, ids: set[int]) -> None:
    """Look up where these cases lie and who registered them, into ``book`` (a new case of
    another street would otherwise be re-read, patched and sent to every dispatcher's desk of
    the city). A failure is only logged: the hub's re-read that follows says so to the desks."""
    if not ids:
        return
    as_of = book.stamp()
    try:
        with engine.connect() as conn:
            rows = placements(conn, ids)
    except Exception as exc:
        log.debug("desk hub: placing cases: %s", exc)
        return
    book.learn_rows(rows, as_of=as_of)
