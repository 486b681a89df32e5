"""Routing changes to jurisdiction desk hubs (console.live.desk_route), without a database: which
ids a part hub re-reads, which moves it takes, and the registry that shares a part's hub between
its desks and drops it with the last one."""

from __future__ import annotations

from typing import Any

import pytest

from console.live.desk_hub import DeskHub
from console.live.desk_patch import case_in, unit_in
from console.live.desk_route import CaseBook, DeskHubs, route

STREET_1 = (frozenset({1}), None)
DISPATCHER = (frozenset({1}), "调度员甲")


class NoDatabase:
    """An app that counts the hub's reaches for the database (each one fails, as with no
    database: the hub would then say so to its desks instead of raising)."""

    def __init__(self) -> None:
        self.reads = 0
        self.dispatch = self
        self.engine = self

    def policy(self) -> None:
        self.reads += 1
        raise RuntimeError("no policy without a database")

    def connect(self) -> None:
        self.reads += 1
        raise RuntimeError("no database")


def snapshot(cases: list[int], units: list[int]) -> dict[str, Any]:
    return {"version": 1, "server_ms": 0, "queue": [{"id": c} for c in cases],
            "units": [{"id": u} for u in units], "unit_index": {u: i for i, u in enumerate(units)},
            "areas": {"incidents": {}, "units": {}}, "case_features": {}, "unit_features": {},
            "triage": []}


def part_hub(part: Any = STREET_1, hubs: DeskHubs | None = None) -> DeskHub:
    hub = DeskHub(NoDatabase(), part=part, hubs=hubs, refresh_s=600)  # type: ignore[arg-type]
    hub._snap = snapshot([10, 11], [100, 101])
    return hub


def test_the_book_places_cases_from_located_events_and_read_rows() -> None:
    book = CaseBook(size=3)
    book.learn_event({"type": "incident_located", "incident_id": 5, "street_id": 2})
    assert book.place(5) is not None and book.place(5)[0] == 2  # type: ignore[index]
    book.learn_rows([{"id": 6, "street_id": 1, "created_by": "甲"}, {"id": 7}])
    assert book.place(6) == (1, "甲") and book.place(7) is None  # a row without its street
    book.learn_event({"type": "incident_located", "incident_id": 6, "street_id": 1})
    assert book.place(6) == (1, "甲")  # the same street: the creator is kept
    book.learn(8, 3, None)
    book.learn(9, 3, None)
    assert len(book) == 3 and book.place(5) is None  # the oldest forgotten


def test_the_whole_territory_takes_every_id() -> None:
    ids = ({1, 2}, {3})
    assert route(None, ids, cases=set(), units=set(), book=CaseBook()) == ids


def test_a_street_rereads_its_own_shown_and_unplaced_cases_only() -> None:
    book = CaseBook()
    book.learn(20, 2, "乙")  # another street's
    book.learn(21, 1, "乙")  # this street's, not shown yet (a new case)
    kept = route(STREET_1, ({10, 20, 21, 22}, set()), cases={10}, units=set(), book=book)
    # 10 shown, 21 placed here, 22 placed nowhere yet (the re-read places it); 20 elsewhere
    assert kept == ({10, 21, 22}, set())


def test_a_case_shown_here_that_moved_away_is_still_reread_to_leave() -> None:
    book = CaseBook()
    book.learn_event({"type": "incident_located", "incident_id": 10, "street_id": 2})
    assert route(STREET_1, ({10}, set()), cases={10}, units=set(), book=book) == ({10}, set())


def test_units_follow_a_kept_case_else_only_the_boards_own() -> None:
    book = CaseBook()
    book.learn(20, 2, None)
    assert route(STREET_1, ({20}, {100, 300}), cases=set(), units={100: 0},
                 book=book) == (set(), {100})
    assert route(STREET_1, ({10}, {300}), cases={10}, units={100: 0}, book=book) == ({10}, {300})


def test_a_dispatcher_keeps_its_own_registrations_elsewhere() -> None:
    book = CaseBook()
    book.learn(30, 2, "调度员甲")
    book.learn(31, 2, "乙")
    book.learn_event({"type": "incident_located", "incident_id": 32, "street_id": 2})
    kept = route(DISPATCHER, ({30, 31, 32}, set()), cases=set(), units=set(), book=book)
    assert kept == ({30, 32}, set())  # 32: its creator is not known yet


def test_rows_outside_a_part_are_never_kept() -> None:
    assert case_in(STREET_1, {"street_id": 1, "created_by": "x"})
    assert not case_in(STREET_1, {"street_id": 2, "created_by": "调度员甲"})
    assert case_in(DISPATCHER, {"street_id": 2, "created_by": "调度员甲"})
    assert not case_in(STREET_1, {"street_id": None, "created_by": None})
    assert unit_in(STREET_1, {"street_id": 1}) and not unit_in(STREET_1, {"street_id": 2})
    assert case_in(None, {"street_id": 9}) and unit_in(None, {"street_id": 9})


def test_another_streets_case_event_costs_a_part_hub_no_read() -> None:
    hub = part_hub()
    hub.book.learn(20, 2, None)
    hub.poke({"type": "state_changed", "incident_id": 20})
    assert hub._due is not None  # heard: decided at refresh, after the burst landed
    sent: list[dict[str, Any]] = []
    hub._subs[0] = sent.append
    assert hub._refresh() is False  # nothing of this street: no read, nothing sent
    assert hub.app.reads == 0 and sent == []  # type: ignore[attr-defined]
    hub.book.learn(21, 1, None)
    hub.poke({"type": "state_changed", "incident_id": 21})
    hub._refresh()  # this street's: re-read (here it fails, and the desks are told so)
    assert hub.app.reads == 1 and "error" in sent[0]  # type: ignore[attr-defined]


def test_a_part_hub_takes_only_the_moves_of_its_board() -> None:
    hub = part_hub()
    hub.poke({"type": "unit_moved", "unit_id": 999, "lon": 84.9, "lat": 45.6, "at": None})
    assert hub._moves == []
    hub.poke({"type": "unit_moved", "unit_id": 101, "lon": 84.9, "lat": 45.6, "at": None})
    assert [m["id"] for m in hub._moves] == [101]
    whole = DeskHub(NoDatabase(), refresh_s=600)  # type: ignore[arg-type]
    whole._snap = snapshot([], [100])
    whole.poke({"type": "unit_moved", "unit_id": 999, "lon": 84.9, "lat": 45.6, "at": None})
    assert len(whole._moves) == 1  # the territory's hub keeps every move, as before


def test_the_book_learns_from_every_event_a_part_hub_hears() -> None:
    hubs = DeskHubs(lambda part: part_hub(part, hubs))
    hub = hubs.hub(STREET_1)
    hub.poke({"type": "incident_located", "incident_id": 40, "street_id": 3, "grid_id": None,
              "police_grid_id": None})
    assert hubs.book.place(40) is not None
    assert hub._refresh() is False and hub.app.reads == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("part", [STREET_1, DISPATCHER])
def test_a_parts_desks_share_one_hub_dropped_with_the_last(part: Any) -> None:
    hubs: DeskHubs = DeskHubs(lambda p: part_hub(p, hubs))
    a = hubs.hub(part)
    assert hubs.hub(part) is a and hubs.made == 1
    other = hubs.hub((frozenset({2}), None))
    assert other is not a and len(hubs.parts()) == 2
    t1, t2 = a.subscribe(lambda _p: None), a.subscribe(lambda _p: None)
    try:
        a.unsubscribe(t1)
        assert hubs.existing(part) is a  # one desk still open
        a.unsubscribe(t2)
        assert hubs.existing(part) is None and hubs.dropped == 1
        # a desk made with the dropped hub subscribes after all: it is the part's again
        t3 = a.subscribe(lambda _p: None)
        assert hubs.existing(part) is a
        a.unsubscribe(t3)
    finally:
        assert hubs.stop(5.0)
    assert hubs.parts() == []


def test_the_desk_part_indexes_cover_the_desks_states() -> None:
    """The partial indexes of migration 0023 hold exactly the cases the desk reads (a state
    missing from them would send a part's read back to scanning the territory)."""
    import importlib.util
    from pathlib import Path

    from dispatch.adapters.orm import metadata
    from dispatch.views_desk import DESK_STATES

    path = Path(__file__).parents[4] / "migrations/versions/0023_desk_part_indexes.py"
    spec = importlib.util.spec_from_file_location("m0023", path)
    assert spec is not None and spec.loader is not None
    mig = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mig)
    wanted = "state IN (" + ",".join(f"'{s}'" for s in DESK_STATES) + ")"
    assert wanted == mig.DESK
    index = {i.name: i for i in metadata.tables["incidents"].indexes}
    assert str(index["ix_incidents_desk_street"].dialect_options["postgresql"]["where"]) == wanted


def test_a_stale_read_never_overwrites_a_newer_placement() -> None:
    book = CaseBook()
    slow = book.stamp()  # a full read begins
    newer = book.stamp()  # another hub's patch begins at the same moment
    book.learn_event({"type": "incident_located", "incident_id": 50, "street_id": 2})
    book.learn_rows([{"id": 50, "street_id": 1, "created_by": None}], as_of=slow)
    assert book.place(50)[0] == 2  # type: ignore[index]  # the event came after the read began
    after = book.stamp()
    book.learn_rows([{"id": 51, "street_id": 3, "created_by": "乙"}], as_of=after)
    book.learn_rows([{"id": 51, "street_id": 1, "created_by": "乙"}], as_of=newer)
    assert book.place(51) == (3, "乙")  # an older read finishing last is stale too
    book.learn_rows([{"id": 50, "street_id": 4, "created_by": None}], as_of=book.stamp())
    assert book.place(50) == (4, None)  # a read begun after the event is newer than it


class SlowRead(NoDatabase):
    """An app whose database answers (a context manager that yields nothing useful)."""

    def policy(self) -> None:
        return None

    def connect(self) -> Any:
        import contextlib

        return contextlib.nullcontext(None)


def test_a_full_read_overtaken_by_a_located_event_leaves_the_event_s_street(
        monkeypatch: pytest.MonkeyPatch) -> None:
    hubs = DeskHubs(lambda part: None)
    hub = DeskHub(SlowRead(), part=STREET_1, hubs=hubs, refresh_s=600)  # type: ignore[arg-type]

    def read_rows(conn: Any, **_: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        # while the rows are on their way, the case is moved to street 2 and heard
        hub.poke({"type": "incident_located", "incident_id": 60, "street_id": 2})
        rows = [{"id": 60, "street_id": 1, "created_by": None}]
        return rows, snapshot([60], [])

    monkeypatch.setattr("console.live.desk_hub.read_rows", read_rows)
    monkeypatch.setattr("console.live.desk_hub.triage_queue", lambda *a, **k: [])
    hub.compute()
    assert hubs.book.place(60)[0] == 2  # type: ignore[index]
    # the street-1 hub no longer re-reads it once it leaves its desk
    assert route(STREET_1, ({60}, set()), cases=set(), units=set(), book=hubs.book) == (
        set(), set())


def test_a_dispatcher_hub_places_a_new_case_of_another_street_without_re_reading_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    hub = DeskHub(SlowRead(), part=DISPATCHER, refresh_s=600)  # type: ignore[arg-type]
    hub._snap = snapshot([10], [100])
    looked: list[set[int]] = []

    def placements(conn: Any, ids: set[int]) -> list[dict[str, Any]]:
        looked.append(set(ids))
        return [{"id": 70, "street_id": 2, "created_by": "乙"},
                {"id": 71, "street_id": 2, "created_by": "调度员甲"}]

    monkeypatch.setattr("console.live.desk_route.placements", placements)
    hub.poke({"type": "incident_registered", "incident_id": 70})
    hub.poke({"type": "incident_located", "incident_id": 70, "street_id": 2})
    sent: list[dict[str, Any]] = []
    hub._subs[0] = sent.append
    assert hub._refresh() is False and sent == []  # another's case elsewhere: nothing read
    assert looked == [{70}]
    hub.poke({"type": "incident_located", "incident_id": 71, "street_id": 2})
    monkeypatch.setattr(hub, "patch", lambda cases, units: {"version": 9, "cases": cases})
    hub._refresh()  # the dispatcher's own case in another street: re-read
    assert sent and sent[0]["snapshot"]["cases"] == {71}


def test_replaced_areas_void_every_placement_and_every_read_begun_before() -> None:
    from dispatch.events import AreasReplaced

    book = CaseBook()
    book.learn_event({"type": "incident_located", "incident_id": 70, "street_id": 1})
    before = book.stamp()  # a full read under the old areas is on its way
    book.learn_event(AreasReplaced(actor="导入", incidents=1, units=0).as_dict())
    assert book.place(70) is None  # unplaced: every part hub re-reads it on its next change
    assert route(STREET_1, ({70}, set()), cases=set(), units=set(), book=book) == ({70}, set())
    book.learn_rows([{"id": 70, "street_id": 1, "created_by": None}], as_of=before)
    assert book.place(70) is None  # the old areas' street, read before the swap, is not kept
    book.learn_rows([{"id": 70, "street_id": 9, "created_by": None}], as_of=book.stamp())
    assert book.place(70) == (9, None)
