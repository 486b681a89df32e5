"""The province size on a small slice: prefectures as moved, renumbered copies that never collide."""

from __future__ import annotations

import pandas as pd
import pytest
import shapely

from demo.cases import generate_demo
from demo.province import PARTS, PREFECTURES, id_offsets, prefecture, province_parts
from demo.record import records
from geo.schema import metadata
from geo.territory import Territory
from tests.unit.demo.test_demo import END, synthetic_territory

COPIES = 3
DROP = ["geom", "code"]


@pytest.fixture(scope="module")
def base() -> Territory:
    """A small city: the synthetic territory with 300 cases and their records and audit."""
    t = synthetic_territory(streets=2, comm_side=(2, 2), grid_side=(2, 2))
    units, incidents, assignments = generate_demo(t, seed=3, end=END, count=300)
    frames = dict(t.frames)
    frames.update(units=units, incidents=incidents, assignments=assignments)
    frames.update(records(3, incidents, assignments, units, end=END,
                          facilities=t.frames["facilities"], communities=t.frames["communities"]))
    return Territory(frames=frames, name="slice", illustrative=True)


@pytest.fixture(scope="module")
def copies(base: Territory) -> list[Territory]:
    return list(province_parts(base, parts=COPIES))


def _all(copies: list[Territory], table: str) -> pd.DataFrame:
    return pd.concat([c.frames[table] for c in copies], ignore_index=True)


def test_ids_never_repeat_and_every_reference_stays_inside_its_copy(
        base: Territory, copies: list[Territory]) -> None:
    import dispatch.adapters.orm  # noqa: F401  (the dispatch tables' foreign keys)

    for table in base.frames:
        if "id" in base.frames[table].columns:
            assert _all(copies, table)["id"].is_unique, table
    for copy in copies:
        for table, frame in copy.frames.items():
            for col in metadata.tables[table].columns:
                if not col.foreign_keys or col.name not in frame.columns:
                    continue
                ref = next(iter(col.foreign_keys)).column.table.name
                used = frame[col.name].dropna()
                if len(used):
                    assert used.isin(copy.frames[ref]["id"]).all(), f"{table}.{col.name}"
    k = 2
    assert copies[k].frames["incidents"]["id"].min() == \
        k * id_offsets(base)["incidents"] + base.frames["incidents"]["id"].min()


def test_codes_numbers_and_names_are_the_prefecture_s_own(copies: list[Territory]) -> None:
    for table in ("districts", "streets", "communities", "police_grids", "grids",
                  "micro_grids", "facilities", "units", "incidents"):
        assert _all(copies, table)["code"].is_unique, table
    assert _all(copies, "agreements")["number"].is_unique
    assert [c.frames["districts"]["name"].iloc[0] for c in copies[1:]] == \
        [f"{p}区" for p in PREFECTURES[1:COPIES]]
    # the province's case numbers keep the city's time order: copy k's case n sits at n*parts+k
    inc = _all(copies, "incidents").sort_values(["reported_at", "id"], kind="stable")
    numbers = inc["code"].str.split("-").str[1].astype(int)
    assert (numbers.groupby(inc["code"].str[:4]).diff().dropna() > 0).all()


def test_copies_sit_side_by_side_and_keep_their_shape(base: Territory,
                                                      copies: list[Territory]) -> None:
    shapes = [shapely.union_all(c.frames["districts"].geometry.to_numpy()) for c in copies]
    for i in range(COPIES):
        for j in range(i + 1, COPIES):
            assert not shapes[i].intersects(shapes[j])
    a0 = shapely.area(base.frames["grids"].geometry.to_numpy())
    assert shapely.area(copies[2].frames["grids"].geometry.to_numpy()) == pytest.approx(a0)
    # each case still lies in its micro-grid after the move
    inc = copies[2].frames["incidents"].dropna(subset=["micro_grid_id"])
    micro = copies[2].frames["micro_grids"].set_index("id").geometry
    inside = shapely.covers(micro.loc[inc["micro_grid_id"]].to_numpy(), inc.geometry.to_numpy())
    assert inside.mean() > 0.99


def test_the_audit_trail_follows_its_cases(copies: list[Territory]) -> None:
    copy = copies[1]
    log = copy.frames["audit_log"]
    assert log["entity_id"].isin(copy.frames["incidents"]["id"]).all()
    inc = copy.frames["incidents"].set_index("id")
    registered = log[log["action"] == "register"]
    assert [d["code"] for d in registered["detail"]] == \
        inc.loc[registered["entity_id"], "code"].tolist()
    located = log[log["action"] == "locate"]
    assert [d["street_id"] for d in located["detail"]] == \
        inc.loc[located["entity_id"], "street_id"].astype(int).tolist()
    units = set(copy.frames["units"]["id"])
    for d in log[log["action"] == "assign"]["detail"]:
        assert set(d["unit_ids"]) <= units


def test_the_first_copy_is_the_city_itself(base: Territory, copies: list[Territory]) -> None:
    """In place, ids and names kept; only its case numbers are spread over the province's."""
    for table in ("grids", "units", "incidents"):
        pd.testing.assert_frame_equal(
            pd.DataFrame(copies[0].frames[table]).drop(columns=DROP, errors="ignore"),
            pd.DataFrame(base.frames[table]).drop(columns=DROP, errors="ignore"))
    assert copies[0].frames["grids"].geom.equals(base.frames["grids"].geom)


def test_parts_are_bounded(base: Territory) -> None:
    with pytest.raises(ValueError, match="最多"):
        next(province_parts(base, parts=PARTS + 1))
    assert len(list(prefecture(base, 1).frames)) == len(base.frames)
