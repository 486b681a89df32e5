"""调解成功 has one definition (dispatch.stats_evidence): the wall, the stats API and the
per-mediator record count it from there, and no other module writes its own."""

from __future__ import annotations

import re
from pathlib import Path

from dispatch import mediator_stats, stats, stats_evidence

ROOT = Path(__file__).resolve().parents[3]
# SQL that decides what a mediated closure is: the outcome literal, or an agreement test.
OWN_DEFINITION = re.compile(r"outcome\s*(=|IN\s*\()\s*'mediated'|agreement\s+IS\s+NOT\s+NULL",
                            re.IGNORECASE)


def _sources() -> list[Path]:
    return [p for d in ("dispatch", "analysis", "console", "layers") for p in (ROOT / d).rglob("*.py")]


def test_no_module_but_the_owner_defines_mediation_success():
    found = [f"{p.relative_to(ROOT)}:{n}" for p in _sources()
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if OWN_DEFINITION.search(line) and p.name != "stats_evidence.py"]
    assert found == [], "调解成功 is defined in dispatch/stats_evidence.py only: " + ", ".join(found)


def test_the_owner_needs_a_mediation_record_and_an_agreement():
    sql = stats_evidence.mediation_success("i")
    assert "mediation_steps" in sql and "z.agreement IS NOT NULL" in sql
    assert "i.outcome = 'mediated'" in sql and "i.state IN ('resolved'" in sql
    assert stats_evidence.mediation_success("c") != sql  # the alias is honoured


def test_the_wall_the_api_and_the_mediator_record_count_the_same():
    assert stats_evidence.mediation_success() in stats._window_columns(30)
    assert stats_evidence.resolved() in stats._window_columns(30, times=False)
    assert stats_evidence.mediation_success("i") in mediator_stats._UNITS
    assert stats_evidence.resolved("i") in mediator_stats._UNITS


def test_the_definitions_served_say_so():
    wall = {f.key: f for f in stats.FIGURES}["success_rate"]
    for text in (wall.definition, mediator_stats.DEFINITIONS["mediated_evidenced"]):
        assert stats_evidence.SUCCESS_DEFINITION in text
        assert "调解记录" in text and "口头协议" in text and "书面" in text
    assert len(wall.short) <= 13


def test_merged_duplicates_and_the_satisfied_cut_have_one_owner():
    """"Merged duplicates count nowhere" and "satisfied = 4 stars or more" are spelt in
    dispatch/stats_evidence.py only; the wall, 居民评价 and the period figures import them."""
    own = re.compile(r"merged_into\s+IS\s+NOT\s+NULL\)\"?\)?$|SATISFIED_AT_LEAST\s*=\s*\d")
    found = [f"{p.relative_to(ROOT)}:{n}" for p in _sources()
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if own.search(line.strip()) and p.name != "stats_evidence.py"]
    assert found == [], "defined in dispatch/stats_evidence.py only: " + ", ".join(found)
    from analysis import queries
    from dispatch import stats_resident

    assert stats_resident.NOT_MERGED is queries.NOT_MERGED is stats_evidence.NOT_MERGED
    assert stats_resident.SATISFIED_AT_LEAST is stats.SATISFIED_AT_LEAST
