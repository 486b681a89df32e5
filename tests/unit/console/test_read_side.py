"""console.read_side without a database: which engine reads, and how the lag is reckoned."""

from __future__ import annotations

from sqlalchemy import create_engine

from console.read_side import ReadSide
from console.settings import ConsoleSettings
from geo.replication import StandbyState, lsn_value


def test_without_a_replica_every_read_goes_to_the_primary() -> None:
    primary = create_engine("postgresql+psycopg://fq@/x?host=/nowhere")
    reads = ReadSide(primary, None)
    assert reads.engine() is primary and reads.settled() is primary
    status = reads.status()
    assert not status.configured and status.source == "primary" and reads.lag_seconds() is None
    assert "未配置只读副本" in status.message


def test_lsn_values_order_as_postgres_does() -> None:
    assert lsn_value("0/0") == 0
    assert lsn_value("16/B374D848") == (0x16 << 32) + 0xB374D848
    assert lsn_value("1/0") > lsn_value("0/FFFFFFFF")


def state(replay: str, age: float | None, *, paused: bool = False) -> StandbyState:
    return StandbyState(in_recovery=True, replay_lsn=replay, receive_lsn=replay,
                        replay_age_s=age, paused=paused)


def test_lag_is_zero_when_caught_up_even_on_an_idle_primary() -> None:
    reads = ReadSide(create_engine("sqlite://"), create_engine("sqlite://"))
    # the last replayed transaction is an hour old, but nothing has been written since
    assert reads._lag(state("0/100", 3600.0), lsn_value("0/100"), 1000.0) == (0.0, 0)


def test_lag_is_the_time_since_the_primary_was_where_the_replica_is() -> None:
    reads = ReadSide(create_engine("sqlite://"), create_engine("sqlite://"))
    reads._samples.extend([(990.0, lsn_value("0/100")), (995.0, lsn_value("0/200"))])
    # replayed up to 0/100: fresh as of t=990, 10 s ago (the old transaction's age bounds it too)
    assert reads._lag(state("0/100", 3600.0), lsn_value("0/300"), 1000.0) == (10.0, 0x200)
    assert reads._lag(state("0/100", 4.0), lsn_value("0/300"), 1000.0) == (4.0, 0x200)
    # no sample it has reached and no replayed transaction: unknown, which reads the primary
    assert reads._lag(state("0/50", None), lsn_value("0/300"), 1000.0) == (None, 0x2B0)


def test_the_read_url_is_recorded_without_its_password() -> None:
    s = ConsoleSettings.from_env({"FQ_READ_DATABASE_URL": "postgresql://u:secret@h/db"})
    assert s.read_database_url == "postgresql://u:secret@h/db"
    assert dict(s.recorded)["FQ_READ_DATABASE_URL"] == "postgresql://u:***@h/db"
