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


class Engine:
    """Counts the job's transactions; the database answers a prune (horizon, tombstones)."""

    def __init__(self) -> None:
        self.begun = 0

    def begin(self) -> Engine:
        self.begun += 1
        return self

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_exc: object) -> None:
        return None

    def execute(self, _sql: object) -> Engine:
        return self

    def one(self) -> tuple[str, int]:
        return ("1234", 5)


def test_the_scheduler_job_asks_the_database_at_most_once_a_period(caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    from dispatch.adapters.unit_cache import prune_job

    engine = Engine()
    job = prune_job(engine, every_s=3600)  # type: ignore[arg-type]
    with caplog.at_level(logging.INFO, logger="dispatch.adapters.unit_cache"):
        assert job() == ("1234", 5)
        assert job() is None and engine.begun == 1  # the scheduler ticks every 5 s
    assert "maintenance: 5 unit tombstones pruned (horizon xid 1234)" in caplog.text
