"""The unit cache's rule for pruned tombstones (dispatch.adapters.unit_cache.Seen.pruned): a
snapshot whose xmin lies below the horizon of pruned tombstones may have missed a deletion and
must read every unit again; one at or above it saw every pruned one."""

from __future__ import annotations

from dispatch.adapters.unit_cache import Seen


def test_a_snapshot_below_the_horizon_reads_everything_again() -> None:
    seen = Seen.of("100:120:105,110", "130")
    assert seen.xmin == "100" and seen.xmax == "120" and seen.xip == ("105", "110", "130")
    assert seen.pruned("101")  # a tombstone of transaction 100 (running then) may be gone
    assert not seen.pruned("100")  # every one below 100 had ended: this snapshot saw them
    assert not seen.pruned("0")  # nothing pruned yet
    assert not seen.pruned(None)  # no horizon row
