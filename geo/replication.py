"""A streaming read replica of the project's own cluster (pg_basebackup -R) and its lag.

The replica is a second :class:`~geo.cluster.LocalCluster` under ``<state>/replica`` on the
next port, made from the primary by ``pg_basebackup -R`` through a physical replication slot,
so the primary keeps the WAL the replica has not replayed yet (a stopped replica holds WAL back:
``./run replica --drop`` removes it and its slot). Reads of the lag are here too: PostgreSQL's
own ``pg_last_xact_replay_timestamp()`` on the replica and ``pg_stat_replication`` on the primary.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, text

from geo.cluster import PG_BIN, LocalCluster
from geo.errors import DatabaseUnavailable

ROLE = "fq_replicator"
SLOT = "fq_replica"
NAME = "fq_replica"
"""The replica's ``cluster_name``: its WAL receiver's ``application_name`` on the primary."""
HBA_MARK = "# fengqiao replica"


def replica_of(primary: LocalCluster) -> LocalCluster:
    """Where the primary's replica lives: ``<state>/replica/pg``, the next port."""
    return LocalCluster(state_dir=primary.state_dir / "replica", port=primary.port + 1,
                        tcp=primary.tcp)


def _admin(primary: LocalCluster, sql: str, params: dict[str, Any] | None = None) -> Any:
    engine = create_engine(primary.url("postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            result = conn.execute(text(sql), params or {})
            return result.all() if result.returns_rows else []
    finally:
        engine.dispose()


def prepare_primary(primary: LocalCluster) -> None:
    """The replication role and pg_hba lines (unix socket and loopback only), reloaded."""
    _admin(primary, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
                    f"'{ROLE}') THEN CREATE ROLE {ROLE} WITH REPLICATION LOGIN; END IF; END $$")
    hba = primary.data_dir / "pg_hba.conf"
    lines = (f"\n{HBA_MARK}: streaming replication for {ROLE}, this machine only\n"
             f"local   replication     {ROLE}                                trust\n"
             f"host    replication     {ROLE}   127.0.0.1/32                 trust\n")
    current = primary.as_server(["cat", str(hba)]).stdout
    if HBA_MARK not in current:
        # put first: a line earlier in the file wins, whatever the operator added below
        primary.as_server(["sh", "-c", f"{{ printf '%s' \"$1\"; cat '{hba}'; }} > '{hba}.new' && "
                                  f"mv '{hba}.new' '{hba}'", "sh", lines.lstrip("\n") + "\n"])
    settings = dict(_admin(primary, "SELECT name, setting FROM pg_settings WHERE name IN "
                                    "('wal_level', 'max_wal_senders', 'max_replication_slots')"))
    if settings.get("wal_level") == "minimal" or int(settings.get("max_wal_senders", 0)) < 2:
        raise DatabaseUnavailable("the primary cannot stream: set wal_level = replica and "
                                  "max_wal_senders >= 2 in its postgresql.conf, then restart it")
    _admin(primary, "SELECT pg_reload_conf()")


def make_replica(primary: LocalCluster, replica: LocalCluster | None = None) -> LocalCluster:
    """Base-backup ``primary`` into a new hot standby and start it (a no-op start if it exists)."""
    replica = replica or replica_of(primary)
    primary.start()
    if replica.initialised():
        replica.start()
        return replica
    prepare_primary(primary)
    # a slot left by an earlier replica that was removed by hand: take it back
    _admin(primary, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                    "WHERE slot_name = :s AND NOT active", {"s": SLOT})
    replica.prepare_home()
    replica.as_server([str(PG_BIN / "pg_basebackup"), "-D", str(replica.data_dir),
                  "-h", str(primary.socket_dir), "-p", str(primary.port), "-U", ROLE,
                  "-R", "-X", "stream", "-C", "-S", SLOT, "--checkpoint=fast", "--no-password"])
    conf = replica.data_dir / "postgresql.conf"
    # later lines win over the primary's copied ones: the replica's own port and socket
    extra = (f"\n# {NAME}: a hot standby of {primary.data_dir}\n"
             f"listen_addresses = '{'127.0.0.1' if replica.tcp else ''}'\n"
             f"port = {replica.port}\n"
             f"unix_socket_directories = '{replica.socket_dir}'\n"
             f"cluster_name = '{NAME}'\n"
             "hot_standby = on\n"
             "hot_standby_feedback = on\n"  # long wall queries are not cancelled by vacuum
             "max_standby_streaming_delay = 30s\n")
    replica.as_server(["sh", "-c", f"cat >> '{conf}' <<'EOF'{extra}EOF"])
    replica.as_server(["mkdir", "-p", str(replica.socket_dir)])
    replica.start()
    return replica


def drop_replica(primary: LocalCluster, replica: LocalCluster | None = None) -> bool:
    """Stop and delete the replica and its slot on the primary; True when there was one."""
    replica = replica or replica_of(primary)
    existed = replica.initialised()
    replica.destroy()
    if primary.running():
        _admin(primary, "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
                        "WHERE slot_name = :s AND NOT active", {"s": SLOT})
    if Path(replica.state_dir).exists():
        shutil.rmtree(replica.state_dir, ignore_errors=True)
    return existed


# ---- lag ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class StandbyState:
    """What the replica says of itself (``in_recovery`` False: it is not a replica at all)."""

    in_recovery: bool
    replay_lsn: str | None
    receive_lsn: str | None
    replay_age_s: float | None
    """``now() - pg_last_xact_replay_timestamp()``: grows on an idle primary too (read it with
    :func:`lag_seconds`, which knows the primary's position)."""
    paused: bool


def standby_state(conn: Connection) -> StandbyState:
    """The replica's own view (run on the replica)."""
    row = conn.execute(text(
        "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text, "
        "pg_last_wal_receive_lsn()::text, "
        "extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8, "
        "CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END")).one()
    return StandbyState(bool(row[0]), row[1], row[2], row[3], bool(row[4]))


def primary_lsn(conn: Connection) -> str:
    """The primary's current WAL position (run on the primary)."""
    return str(conn.scalar(text("SELECT pg_current_wal_lsn()::text")))


def lsn_value(lsn: str) -> int:
    """A WAL position ``'16/B374D848'`` as the byte offset PostgreSQL's ``pg_lsn`` stands for."""
    high, low = lsn.split("/")
    return (int(high, 16) << 32) + int(low, 16)


def senders(conn: Connection) -> list[dict[str, Any]]:
    """The primary's WAL senders (``pg_stat_replication``): who streams and how far behind."""
    rows = conn.execute(text(
        "SELECT application_name, client_addr::text, state, sync_state, "
        "pg_wal_lsn_diff(pg_current_wal_lsn(), sent_lsn)::bigint, "
        "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint, "
        "extract(epoch FROM replay_lag)::float8 FROM pg_stat_replication ORDER BY pid")).all()
    return [{"application_name": r[0], "client_addr": r[1], "state": r[2], "sync_state": r[3],
             "sent_behind_bytes": r[4], "replay_behind_bytes": r[5], "replay_lag_s": r[6]}
            for r in rows]


def reading_clients(conn: Connection, application_name: str) -> int:
    """Backends of ``application_name`` on this server that ran a query (a test's proof of where
    reads went; run on the replica)."""
    return int(conn.scalar(text(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = :a "
        "AND pid <> pg_backend_pid() AND query <> ''"), {"a": application_name}))
