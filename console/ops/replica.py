"""./run replica: a streaming hot standby of the project's own cluster, for read-heavy work."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from console.ops.cli import say
from console.settings import ConsoleSettings
from geo import db, replication


def cmd_replica(settings: ConsoleSettings, args: argparse.Namespace) -> int:
    """Make (once) and start the replica and print its URL; ``--stop`` stops it, ``--drop``
    removes it and its replication slot (a stopped replica's slot keeps WAL on the primary)."""
    primary = db.cluster_for(settings)
    if primary is None:
        print("[run] error: DATABASE_URL names an external server: make its replica with that "
              "server's own tools (pg_basebackup -R, or the distribution's HA tooling), then set "
              "FQ_READ_DATABASE_URL", file=sys.stderr)
        return 2
    replica = replication.replica_of(primary)
    if args.drop:
        say("replica removed" if replication.drop_replica(primary, replica) else "no replica")
        return 0
    if args.stop:
        say("replica stopped" if replica.stop() else "replica was not running")
        return 0
    made = not replica.initialised()
    if made:
        say(f"base backup of {primary.data_dir} into {replica.data_dir} (pg_basebackup -R)")
    replication.make_replica(primary, replica)
    say(f"replica {'made and started' if made else 'running'}: {replica.socket_dir} "
        f"(port {replica.port}, slot {replication.SLOT}, streaming as {replication.NAME})")
    print("read-heavy work (wall, map layers, analyses, exports) reads the replica with:")
    print(f"  export FQ_READ_DATABASE_URL='{replica.url(settings.db_name)}'")
    return 0


def stop_replica(settings: ConsoleSettings | Any) -> None:
    """Stop the local replica if there is one (before its primary: ``./run stop``)."""
    primary = db.cluster_for(settings)
    if primary is not None:
        replica = replication.replica_of(primary)
        if replica.initialised() and replica.stop():
            say("replica stopped")


def add_replica_parser(sub: Any) -> None:
    rp = sub.add_parser("replica", help="a streaming read replica of the local cluster")
    rp.add_argument("--stop", action="store_true", help="stop it (./run stop does too)")
    rp.add_argument("--drop", action="store_true", help="stop it and delete it and its slot")
