"""Geocoding and reverse geocoding on the demo territory in PostGIS."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, text

from geo.geocode_doors import interpolate_doors
from geo.geocode_reverse import locate_chain
from geo.geocode_search import lexicon
from geo.geocoder import SearchNotBuiltError, geocode, rebuild_search, reverse_geocode

_PARTS = text("""
    SELECT a.id, a.full_address, a.level, a.micro_grid_id, d.name, s.name, c.name,
           coalesce(p.name, cp.name, r.name), a.door_no, b.number, a.road_id,
           ST_X(a.geom), ST_Y(a.geom)
    FROM addresses a JOIN streets s ON s.id = a.street_id JOIN districts d ON d.id = s.district_id
    JOIN communities c ON c.id = a.community_id
    LEFT JOIN places p ON p.id = a.place_id LEFT JOIN compounds cp ON cp.id = a.compound_id
    LEFT JOIN buildings b ON b.id = a.building_id LEFT JOIN addr_roads r ON r.id = a.road_id
    WHERE a.level = :level ORDER BY a.id""")


@pytest.fixture(scope="module")
def conn(demo_engine) -> Iterator[Connection]:  # type: ignore[no-untyped-def]
    """The demo database with its name table built; anything written here is rolled back."""
    with demo_engine.connect() as c:
        tx = c.begin()
        try:
            lexicon(c)
        except SearchNotBuiltError:
            rebuild_search(c)
        yield c
        tx.rollback()


def rows(conn: Connection, level: str, every: int = 1) -> list[Any]:
    return list(conn.execute(_PARTS, {"level": level}))[::every]


def top_micro(conn: Connection, q: str) -> int | None:
    cands = geocode(conn, q).candidates
    return cands[0].micro_grid_id if cands else None


@pytest.mark.parametrize("level, every", [("building", 60), ("door", 60), ("compound", 8),
                                          ("place", 3), ("road", 3)])
def test_standard_addresses_resolve_to_their_micro_grid(conn, level, every):
    sample = rows(conn, level, every)
    assert len(sample) >= 20
    for r in sample:
        res = geocode(conn, r[1])
        top = res.candidates[0]
        assert top.micro_grid_id == r[3], (r[1], res.candidates[:3])
        assert top.address == r[1] and top.level == level and top.confidence >= 0.8


@pytest.fixture(scope="module")
def building(conn) -> Any:
    return rows(conn, "building", 97)[3]


@pytest.fixture(scope="module")
def door(conn) -> Any:
    return rows(conn, "door", 89)[5]


def _cn(n: int) -> str:
    digits = "零一二三四五六七八九"
    return "".join(digits[int(c)] for c in str(n))


@pytest.mark.parametrize("make", [
    lambda r: f"{r[7]}{r[9]}号楼",  # no district, no street
    lambda r: f"新疆维吾尔自治区克拉玛依市{r[4]}{r[5]}{r[7]}{r[9]}号楼",  # extra levels
    lambda r: f"克区{r[5].removesuffix('道')}{r[6].replace('社区', '居委会')}{r[7]}{r[9]}号楼",
    lambda r: f"{r[5]}{r[7]}{_cn(r[9])}栋",
    lambda r: f"{r[7]}{str(r[9]).translate(str.maketrans('0123456789', '０１２３４５６７８９'))}号楼",
    lambda r: f"{r[9]}号楼{r[7]}，{r[4]}{r[5]}",  # building before the place
    lambda r: f"{r[1]}门口",
    lambda r: f"{r[4]} {r[5]}，{r[7]}  {r[9]}#楼。",
    lambda r: f"{r[7]}{r[9]}-2-501",
], ids=["levels", "extra-levels", "abbrev", "cn-numerals", "full-width", "reorder", "trailing",
        "punct", "dash-notation"])
def test_noisy_building_addresses(conn, building, make):
    assert top_micro(conn, make(building)) == building[3], make(building)


@pytest.mark.parametrize("make", [
    lambda r: f"{r[7]}{r[8]}号",
    lambda r: f"{r[7]}{r[8]}",
    lambda r: f"{r[8]}号{r[7]}",
    lambda r: f"{r[5]}{r[7]}{_cn(r[8])}号附近",
    lambda r: f"{r[4]}{r[5]} {r[7]} {r[8]} 号",
], ids=["levels", "no-hao", "reorder", "cn-numerals", "spaces"])
def test_noisy_door_addresses(conn, door, make):
    assert top_micro(conn, make(door)) == door[3], make(door)


def _typo(name: str, taken: set[str]) -> str:
    for i in range(len(name) - 1):
        for c in "鑫淼犇":
            new = name[:i] + c + name[i + 1:]
            if new not in taken:
                return new
    raise AssertionError(name)


def test_one_character_typos_find_the_name(conn):
    taken = set(lexicon(conn).by_key)
    for level, every in (("building", 200), ("door", 200), ("place", 10)):
        for r in rows(conn, level, every):
            suffix = f"{r[9]}号楼" if level == "building" else f"{r[8]}号" if level == "door" else ""
            q = f"{r[4]}{r[5]}{_typo(r[7], taken)}{suffix}"
            res = geocode(conn, q)
            assert r[3] in [c.micro_grid_id for c in res.candidates], q
            assert res.candidates[0].confidence < 1.0


def test_building_through_the_compound_gate_address(conn):
    name, road, door_no = conn.execute(text("""
        SELECT c.name, r.name, c.door_no FROM compounds c JOIN addr_roads r ON r.id = c.road_id
        WHERE EXISTS (SELECT 1 FROM buildings b WHERE b.compound_id = c.id AND b.number = 2)
        ORDER BY c.id LIMIT 1""")).one()
    c = geocode(conn, f"{road}{door_no}号2号楼").candidates[0]
    assert c.level == "building" and c.address.endswith(f"{name}2号楼")


def test_missing_building_falls_back_to_its_compound(conn, building):
    c = geocode(conn, f"{building[7]}999号楼").candidates[0]
    assert c.level == "compound" and c.address.endswith(building[7]) and c.confidence < 0.8


def test_empty_and_number_only_input(conn):
    assert geocode(conn, "").candidates == []
    assert geocode(conn, "128号").candidates == []
    assert geocode(conn, "天山路1号", limit=0).candidates == []


def test_trailing_words_flag_approximate(conn, door):
    res = geocode(conn, f"{door[7]}{door[8]}号对面")
    assert res.approximate and res.candidates[0].micro_grid_id == door[3]
    assert not geocode(conn, door[1]).approximate


def test_candidate_carries_the_grid_chain(conn, building):
    c = geocode(conn, building[1]).candidates[0]
    chain = locate_chain(conn, c.lon, c.lat)
    assert chain is not None
    assert (c.micro_grid_id, c.grid_id, c.community_id, c.street_id) == (
        chain.micro_grid_id, chain.grid_id, chain.community_id, chain.street_id)
    assert set(c.as_dict()) >= {"address", "lon", "lat", "level", "confidence",
                                "micro_grid_id", "grid_id", "community_id", "street_id"}


def test_ambiguous_input_returns_several_candidates(conn):
    names = list(conn.execute(text("SELECT name FROM compounds ORDER BY id")).scalars())
    pair = next((a, b, i) for a in names for b in names if a < b and len(a) == len(b)
                for i in range(len(a)) if a[:i] == b[:i] and a[i + 1:] == b[i + 1:] and a[i] != b[i])
    a, b, i = pair
    res = geocode(conn, f"{a[:i]}鑫{a[i + 1:]}1号楼")  # one edit from both
    found = {c.address.split("街道")[-1] for c in res.candidates}
    assert {f"{a}1号楼", f"{b}1号楼"} <= found
    assert len({c.confidence for c in res.candidates[:2]}) == 1  # a tie, ranked by address
    assert [c.address for c in res.candidates[:2]] == sorted(c.address for c in res.candidates[:2])


def test_compound_phases_are_offered_below_the_named_one(conn):
    """A centre's library names 友谊佳苑 and 友谊佳苑二期; the demo has no phases, so the test
    adds the second phase of a compound beside it (building 1 and its address), in a savepoint."""
    base = conn.execute(text("""
        SELECT c.id, c.name, a.full_address, a.street_id, a.community_id, a.grid_id,
               a.micro_grid_id
        FROM compounds c JOIN buildings b ON b.compound_id = c.id AND b.number = 1
        JOIN addresses a ON a.building_id = b.id
        WHERE c.name !~ '期$' AND NOT EXISTS (SELECT 1 FROM compounds d WHERE d.name = c.name || '二期')
        ORDER BY c.id LIMIT 1""")).one()
    phased = base.name
    saved = conn.begin_nested()
    try:
        ids = conn.execute(text(
            "SELECT (SELECT max(id) FROM compounds), (SELECT max(id) FROM buildings), "
            "(SELECT max(id) FROM addresses)")).one()
        cid, bid, aid = (int(v) + 1 for v in ids)
        conn.execute(text("""
            INSERT INTO compounds (id, name, community_id, geom)
            SELECT :cid, name || '二期', community_id, ST_Multi(ST_Translate(geom, 0.002, 0))
            FROM compounds WHERE id = :base"""), {"cid": cid, "base": base.id})
        conn.execute(text("""
            INSERT INTO buildings (id, compound_id, number, geom)
            SELECT :bid, :cid, 1, ST_Translate(b.geom, 0.002, 0) FROM buildings b
            WHERE b.compound_id = :base AND b.number = 1 LIMIT 1"""),
            {"bid": bid, "cid": cid, "base": base.id})
        conn.execute(text("""
            INSERT INTO addresses (id, full_address, level, compound_id, building_id, street_id,
                                   community_id, grid_id, micro_grid_id, geom)
            SELECT :aid, :addr, 'building', :cid, :bid, :s, :c, :g, :m, b.geom
            FROM buildings b WHERE b.id = :bid"""),
            {"aid": aid, "addr": base.full_address.replace(f"{phased}1号楼", f"{phased}二期1号楼"),
             "cid": cid, "bid": bid, "s": base.street_id, "c": base.community_id,
             "g": base.grid_id, "m": base.micro_grid_id})
        rebuild_search(conn)
        res = geocode(conn, f"{phased}1号楼")
        assert res.candidates[0].address.endswith(f"{phased}1号楼")
        assert any(c.address.endswith(f"{phased}二期1号楼") for c in res.candidates[1:])
        assert res.candidates[0].confidence > res.candidates[1].confidence
        asked = geocode(conn, f"{phased}二期1号楼")  # the phase named: that one first
        assert asked.candidates[0].address.endswith(f"{phased}二期1号楼")
    finally:
        saved.rollback()  # the search table's version goes back too: the cache reloads it


def test_unknown_input_returns_nothing_with_the_deepest_admin_level(conn, building):
    res = geocode(conn, f"{building[5]}{building[6]}火星乐园5号楼")
    assert res.candidates == []
    assert res.matched_admin is not None and res.matched_admin.level == "community"
    assert res.matched_admin.name == building[6]
    res = geocode(conn, f"{building[5]}火星乐园")
    assert res.candidates == [] and res.matched_admin.level == "street"  # type: ignore[union-attr]
    res = geocode(conn, "完全不知道的地方")
    assert res.candidates == [] and res.matched_admin is None
    assert res.as_dict() == {"candidates": [], "matched_admin": None, "approximate": False}


def test_admin_only_query_gives_the_area(conn, building):
    res = geocode(conn, building[6])
    assert res.candidates[0].level == "community"
    assert res.candidates[0].community_id is not None
    assert res.matched_admin is not None and res.matched_admin.name == building[6]


def test_door_numbers_not_stored_are_interpolated(conn, door):
    stored = set(conn.execute(text("SELECT door_no FROM addresses WHERE road_id = :r "
                                   "AND level = 'door'"), {"r": door[10]}).scalars())
    n = next(k for k in range(door[8] + 2, door[8] + 40, 2) if k not in stored)
    c = geocode(conn, f"{door[7]}{n}号").candidates[0]
    assert c.interpolated and c.level == "door" and c.micro_grid_id is not None
    assert c.address.endswith(f"{door[7]}{n}号") and 0.8 <= c.confidence < 1.0


def test_interpolation_lands_in_the_stored_micro_grid_when_the_point_is_held_out(conn):
    sample = rows(conn, "door", 40)
    ok = 0
    for r in sample:
        (dp,) = interpolate_doors(conn, [r[10]], r[8], without_stored=True)
        chain = locate_chain(conn, dp.lon, dp.lat)
        ok += chain is not None and chain.micro_grid_id == r[3]
    assert ok / len(sample) >= 0.9


def test_number_beyond_the_road_is_placed_at_its_end_with_low_confidence(conn, door):
    c = geocode(conn, f"{door[7]}99999号").candidates[0]
    assert c.interpolated and c.confidence < 0.7


def test_road_within_a_named_street(conn):
    road, s1, s2 = conn.execute(text("""
        SELECT a.road_id, min(a.street_id), max(a.street_id) FROM addresses a
        WHERE a.level = 'door' GROUP BY a.road_id HAVING count(DISTINCT a.street_id) > 1
        ORDER BY a.road_id LIMIT 1""")).one()
    name = conn.execute(text("SELECT name FROM addr_roads WHERE id = :r"), {"r": road}).scalar()
    for sid in (s1, s2):
        street = conn.execute(text("SELECT name FROM streets WHERE id = :s"), {"s": sid}).scalar()
        c = geocode(conn, f"{street}{name}").candidates[0]
        assert c.level == "road" and c.street_id == sid and c.confidence == 0.8


def test_ranking_is_deterministic(conn, building):
    queries = [building[1], f"{building[7][:-1]}1号楼", f"{building[7]}", "天山路1号附近"]
    first = [geocode(conn, q).as_dict() for q in queries]
    assert [geocode(conn, q).as_dict() for q in queries] == first
    for d in first:
        confs = [c["confidence"] for c in d["candidates"]]  # type: ignore[index]
        assert confs == sorted(confs, reverse=True)


def test_reverse_geocode_building(conn, building):
    r = reverse_geocode(conn, building[11], building[12])
    assert r.level == "building" and r.inside
    assert r.label.endswith(f"{building[7]}{building[9]}号楼")
    assert building[6] in r.label and building[5] in r.label
    assert r.address == building[1]
    assert r.chain["micro_grid"]["id"] == building[3]  # type: ignore[index]


def test_reverse_geocode_door_reads_back_its_number(conn):
    sample = rows(conn, "door", 150)
    same = 0
    for d in sample:
        r = reverse_geocode(conn, d[11], d[12])
        assert r.inside and r.label
        if r.level == "door":
            same += r.label.endswith(f"{d[7]}{d[8]}号附近")
    assert same >= len(sample) // 2


def test_reverse_then_forward_comes_back_near(conn, door):
    r = reverse_geocode(conn, door[11] + 0.0002, door[12])
    assert r.address
    c = geocode(conn, r.address).candidates[0]
    assert abs(c.lon - door[11]) < 0.003 and abs(c.lat - door[12]) < 0.003


def test_reverse_geocode_outside_the_territory(conn):
    r = reverse_geocode(conn, 100.0, 30.0)
    assert not r.inside and r.label.startswith("辖区外") and r.chain["micro_grid"] is None


def test_search_must_be_built_and_is_emptied_by_a_reload(empty_engine):
    with empty_engine.begin() as conn:
        with pytest.raises(SearchNotBuiltError):
            geocode(conn, "天山路1号")
        assert rebuild_search(conn) == 0
        assert geocode(conn, "天山路1号").candidates == []
        conn.execute(text("INSERT INTO districts (id, code, name, geom) VALUES (1, '650203', "
                          "'克拉玛依区', ST_GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 1,0 0)))', 4326))"))
        assert rebuild_search(conn) >= 2
        assert geocode(conn, "克区").matched_admin.name == "克拉玛依区"  # type: ignore[union-attr]
        conn.execute(text("TRUNCATE districts CASCADE"))  # what the loader does
        with pytest.raises(SearchNotBuiltError):
            geocode(conn, "天山路1号")


def test_the_reverse_geocoder_in_memory_answers_as_the_database(conn):
    """The label a registration's point gets from the process's locator and gazetteer equals
    the database's, on points at buildings, doors and places, beside them, between them and
    at random over the territory (a point in no micro-grid is the database's to snap)."""
    import random

    from geo.geocode_memory import MemoryGazetteer, reverse_in_memory
    from geo.locate import Locator

    locator, gaz = Locator.from_db(conn), MemoryGazetteer.from_db(conn)
    rng = random.Random(7)
    points = [(r[11], r[12]) for level in ("building", "door", "place")
              for r in rows(conn, level, 40)]
    points += [(x + rng.uniform(-4e-4, 4e-4), y + rng.uniform(-4e-4, 4e-4)) for x, y in points]
    x0, y0, x1, y1 = conn.execute(text(
        "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e "
        "FROM micro_grids) s")).one()
    points += [(rng.uniform(x0, x1), rng.uniform(y0, y1)) for _ in range(150)]
    answered = 0
    for lon, lat in points:
        mine = reverse_in_memory(locator, gaz, lon, lat)
        if mine is None:  # in no micro-grid: the database's (snapping) answer
            assert locate_chain(conn, lon, lat) is None
            continue
        answered += 1
        assert mine.as_dict() == reverse_geocode(conn, lon, lat).as_dict(), (lon, lat)
    levels = {reverse_geocode(conn, x, y).level for x, y in points}
    assert answered > len(points) // 2 and {"building", "compound", "door", "place"} <= levels


def test_the_gazetteer_in_memory_sees_an_edit_in_place_on_the_next_check(conn):
    """A road renamed and a door moved keep every row count and largest id: the change counters
    (migration 0026) are what the cache checks; with the trigger disabled the edit is missed,
    so the counters, not the counts, are what sees it."""
    from geo.geocode_memory import gazetteer_cache

    cache = gazetteer_cache(check_s=0.0)
    road, no, lon, lat = conn.execute(text(
        "SELECT road_id, door_no, ST_X(geom), ST_Y(geom) FROM addresses WHERE level = 'door' "
        "ORDER BY id LIMIT 1")).one()
    saved = conn.begin_nested()
    try:
        name, door_no, _ = cache.get(conn).door(lon, lat)  # type: ignore[misc]
        assert door_no == no
        conn.execute(text("UPDATE addr_roads SET name = name || '（改）' WHERE id = :r"),
                     {"r": road})
        assert cache.get(conn).door(lon, lat)[0] == f"{name}（改）"  # type: ignore[index]
        # the door moves 300 m east: the point it stood on is now 300 m from it
        conn.execute(text("UPDATE addresses SET geom = ST_Translate(geom, 0.0038, 0) "
                          "WHERE level = 'door' AND road_id = :r AND door_no = :n"),
                     {"r": road, "n": no})
        got = cache.get(conn).door(lon, lat)
        assert got is None or got[1] != no or got[2] > 250
        # the negative control: without the trigger the same kind of edit goes unseen
        conn.execute(text("ALTER TABLE addr_roads DISABLE TRIGGER addr_roads_count_change"))
        conn.execute(text("UPDATE addr_roads SET name = '无人知晓路' WHERE id = :r"), {"r": road})
        assert cache.get(conn).door(lon, lat) == got
    finally:
        saved.rollback()
