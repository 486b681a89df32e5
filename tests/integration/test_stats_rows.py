"""How the wall reads (dispatch/stats_rows.py, dispatch/stats_board.py) changes no figure: the
index-served row source holds the same rows as the plain condition, the evidence tested once per
row counts as the definitions inline, one pass gives the overview and the ranking of two calls,
and the reads run without JIT."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Connection, Engine, text

from dispatch import stats, stats_board, stats_live, stats_rows
from dispatch.stats import Scope


def scopes(conn: Connection) -> list[Scope]:
    """Every level: the whole territory, the busiest district, street, community and grid."""
    sid, cid, gid = (int(v) for v in conn.execute(text(
        "SELECT street_id, community_id, grid_id FROM incidents WHERE grid_id IS NOT NULL "
        "GROUP BY 1, 2, 3 ORDER BY count(*) DESC LIMIT 1")).one())
    did = int(conn.scalar(text("SELECT district_id FROM streets WHERE id = :s"), {"s": sid}))
    return [Scope(), Scope(district=did), Scope(sid, district=did), Scope(sid, cid),
            Scope(sid, cid, gid)]


@pytest.mark.parametrize("days", [1, 7, 30])
def test_the_row_source_holds_the_open_or_recently_touched_rows(demo_engine: Engine, days: int):
    with demo_engine.connect() as conn:
        for scope in scopes(conn):
            where, params = scope.where()
            plain = set(conn.scalars(text(
                f"SELECT i.id FROM incidents i WHERE {where} AND {stats_rows.recent(days)}"),
                params))
            got = list(conn.scalars(text(
                f"SELECT i.id FROM {stats_rows.recent_rows(where, days)}"), params))
            assert len(got) == len(set(got))  # the branches are disjoint: no row twice
            assert set(got) == plain, scope
            assert plain  # the demo has open and recent cases in every scope
        assert conn.scalar(text("SELECT count(*) FROM incidents WHERE state IS NULL")) == 0


def _window_row(conn: Connection, scope: Scope, days: int, *, flags: bool) -> dict[str, Any]:
    where, params = scope.where()
    cols = stats._window_columns(days, flags=flags)
    return dict(conn.execute(text(
        f"SELECT 1 AS one{cols} FROM "
        f"{stats_rows.recent_rows(where, 30, with_evidence=flags)} "
        f"CROSS JOIN {stats_rows.bounds(days)} WHERE {stats._NOT_MERGED}"),
        params).mappings().one())


@pytest.mark.parametrize("kept", [True, False])
def test_evidence_read_once_per_row_counts_as_the_definitions(demo_engine: Engine, kept: bool):
    """Kept on the case (migration 0024) or tested once per row: the definitions inline."""
    stats_rows.EVIDENCE_KEPT = kept
    try:
        with demo_engine.connect() as conn:
            for scope in scopes(conn)[:3]:
                for days in (7, 30):
                    inline = _window_row(conn, scope, days, flags=False)
                    once = _window_row(conn, scope, days, flags=True)
                    assert once == inline, (scope, days)
            whole = _window_row(conn, Scope(), 30, flags=False)
        rows = stats_rows.recent_rows("TRUE", 30, with_evidence=True)
    finally:
        stats_rows.EVIDENCE_KEPT = True
    assert whole["mediated_30"] > 0 and whole["rated_30"] > 0  # the test counts something
    assert whole["mediated_30"] < whole["resolved_30"]  # and the evidence leaves some out
    tested = stats.evidence.mediation_success() in rows and stats.RECORDED_VISIT in rows
    assert tested is not kept
    assert ("i.evidence_mediation" in rows and "i.evidence_visit" in rows) is kept


def test_one_pass_gives_the_overview_and_the_ranking_of_two_calls(demo_engine: Engine):
    with demo_engine.connect() as conn:  # one transaction: one now() for both
        for scope in scopes(conn):
            board, ranked = stats_board.overview_and_ranking(conn, scope, days=30)
            assert board == stats.overview(conn, scope), scope
            assert ranked == stats.ranking(conn, scope, days=30), scope
            if scope.level != "grid":
                assert ranked and any(r["intake"] for r in ranked)
        # a window the overview does not count: the ranking is read apart, the same
        street = scopes(conn)[2]
        assert stats_board.overview_and_ranking(conn, street, days=14)[1] == stats.ranking(
            conn, street, days=14)


def test_one_read_gives_the_overview_ranking_trend_and_mix_of_four_calls(demo_engine: Engine):
    with demo_engine.connect() as conn:  # one transaction: one now() for all
        for scope in scopes(conn):
            board = stats_board.wall_board(conn, scope, days=30)
            assert board["overview"] == stats.overview(conn, scope), scope
            assert board["ranking"] == stats.ranking(conn, scope, days=30), scope
            assert board["trend"] == stats.trend(conn, scope, days=30), scope
            assert board["categories"] == stats.categories(conn, scope, days=30), scope
            assert board["categories"] and any(t["reported"] for t in board["trend"])
        street = scopes(conn)[2]  # another window: the functions apart, the same
        assert stats_board.wall_board(conn, street, days=14)["trend"] == stats.trend(
            conn, street, days=14)


def test_the_wall_reads_without_jit(demo_engine: Engine):
    with demo_engine.connect() as conn:
        server = conn.scalar(text("SHOW jit"))
        conn.rollback()
        stats_live.wall_snapshot(conn, Scope())
        assert conn.scalar(text("SHOW jit")) == "off"
        conn.rollback()
        assert conn.scalar(text("SHOW jit")) == server  # for the wall's transaction only
