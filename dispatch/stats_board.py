"""The wall's overview and its ranking of the areas below from one pass over the scope's rows.

:func:`dispatch.stats.overview` and :func:`dispatch.stats.ranking` read the same rows (the
scope's open and recently touched cases) and test the same evidence on them; on the wall they
are always asked together, so :func:`overview_and_ranking` counts both in one statement
(``GROUPING SETS``: the scope's total and each area below). Each figure keeps its definition:
a test compares the result with the two functions called apart.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from dispatch import stats
from dispatch.stats_scope import Scope


def overview_and_ranking(conn: Connection, scope: Scope, *, days: int = 30
                         ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``(stats.overview(conn, scope), stats.ranking(conn, scope, days=days))``, counted once."""
    child, areas = stats.ranking_areas(conn, scope)
    if child is None:
        return stats.overview(conn, scope), []
    if int(days) not in stats.WINDOWS:  # the ranking's window is not among the overview's
        return stats.overview(conn, scope), stats.ranking(conn, scope, days=days)
    d = int(days)
    board = stats.overview(conn, scope, by=child)
    per = {int(r["area"]): r for r in board.pop("by") if r["area"] is not None}
    out = []
    for a in areas:
        r = per.get(int(a["id"]), {})
        out.append(stats.ranked(child, {**r, **a, "intake": r.get(f"intake_{d}", 0),
                                        "open": r.get("open", 0),
                                        "overdue": r.get("overdue", 0)}, d))
    out.sort(key=lambda x: (-x["intake"], -x["overdue"], x["code"]))
    return board, out
