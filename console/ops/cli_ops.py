"""./run cert, backup and restore: the verbs an IT department runs to deploy and keep the console."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from console.ops.cli import say
from console.settings import ConsoleSettings
from geo import db


def cmd_cert(settings: ConsoleSettings, args: argparse.Namespace) -> int:
    """A local CA (kept across runs) and a fresh server certificate for the intranet names."""
    from console.ops.certs import default_hosts, instructions, make_certificates

    hosts = list(dict.fromkeys([*(args.host or []), *default_hosts()]))
    folder = Path(args.out) if args.out else db.state_path(settings, "tls")
    try:
        files, new_ca = make_certificates(folder, hosts)
    except ValueError as exc:
        print(f"[run] error: {exc}", file=sys.stderr)
        return 2
    print(instructions(files, hosts, new_ca=new_ca, port=settings.http_port))
    return 0


def cmd_backup(settings: ConsoleSettings, args: argparse.Namespace) -> int:
    """The database, the files directory and the TLS files in one tar (console.ops.backup)."""
    from console.ops.backup import BackupError, backup

    url = db.ready_database(settings)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = Path(args.file) if args.file else db.state_path(
        settings, "backups", f"fengqiao-{settings.db_name}-{stamp}.tar")
    try:
        backup(url, out, files=settings.files, config=settings.state_dir / "tls",
               settings=dict(settings.recorded), say=say)
    except BackupError as exc:
        print(f"[run] error: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_restore(settings: ConsoleSettings, args: argparse.Namespace) -> int:
    """A backup into an empty (or missing) database, its files and TLS files back in place."""
    from console.ops.backup import BackupError, restore

    # the console's database (as ready_database names it); starts the local cluster; may not exist yet
    url = db.server_url(settings, settings.db_name)
    try:
        restore(Path(args.file), url, files=settings.files,
                config=settings.state_dir / "tls", replace=args.replace, say=say)
    except BackupError as exc:
        print(f"[run] error: {exc}", file=sys.stderr)
        return 1
    db.migrate(url)  # a backup of an older version is brought up to this one's schema
    return 0


def add_ops_parsers(sub: Any) -> None:
    from console.ops.replica import add_replica_parser

    add_replica_parser(sub)
    crt = sub.add_parser("cert", help="a local CA and a server certificate for HTTPS")
    crt.add_argument("--host", action="append", metavar="NAME_OR_IP",
                     help="an intranet name or address the console is opened at (repeatable)")
    crt.add_argument("--out", default=None, help="folder (default: the state dir's tls/)")
    bk = sub.add_parser("backup", help="database + files + TLS files into one tar")
    bk.add_argument("file", nargs="?", default=None)
    rs = sub.add_parser("restore", help="a backup into an empty database")
    rs.add_argument("file")
    rs.add_argument("--replace", action="store_true",
                    help="drop a database that holds data (and overwrite files) first")


def cmd_replica(settings: ConsoleSettings, args: argparse.Namespace) -> int:
    from console.ops.replica import cmd_replica as run

    return run(settings, args)


OPS_COMMANDS = {"cert": cmd_cert, "backup": cmd_backup, "restore": cmd_restore,
                "replica": cmd_replica}
