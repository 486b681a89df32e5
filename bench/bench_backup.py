"""Backup and restore at city scale: seconds and sizes of ./run backup and ./run restore.

Run: ``./run bench bench_backup [--size city|demo] [--files N] [--file-kb K] [--jobs J]``.
Loads the generated territory (city: 100,000 cases) into a fresh database, puts N files of K KB
(random bytes: photos do not compress either) in a files folder, backs both up with
:func:`console.ops.backup.backup`, then restores onto an empty PostgreSQL cluster of its own with
:func:`console.ops.backup.restore` (which checks every table's count and every file's SHA-256).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from console.ops.backup import backup, restore
from demo.seed import cached_demo
from geo import db
from geo.loader import load_territory
from geo.settings import Settings
from tests.private_cluster import private_cluster


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", choices=("demo", "city"), default="city")
    ap.add_argument("--files", type=int, default=1000, help="files in the files folder")
    ap.add_argument("--file-kb", type=int, default=200, help="size of each file")
    ap.add_argument("--jobs", type=int, default=2, help="pg_restore --jobs")
    args = ap.parse_args()
    settings = Settings.from_env()
    print("load average before: " + " ".join(f"{v:.1f}" for v in os.getloadavg()), flush=True)
    name = f"fq_bench_backup_{args.size}"
    url = db.create_database(settings, name, drop_first=True)
    work = Path(tempfile.mkdtemp(prefix="fq-bench-backup-", dir=settings.state_dir))
    try:
        db.migrate(url)
        territory = cached_demo(settings.state_dir / "cache", size=args.size, seed=settings.seed,
                                say=lambda m: None)
        engine = db.make_engine(url)
        with engine.begin() as conn:
            load_territory(conn, territory)
        with engine.connect() as conn:
            cases, audit, size = conn.execute(text(
                "SELECT (SELECT count(*) FROM incidents), (SELECT count(*) FROM audit_log), "
                "pg_database_size(current_database())")).one()
        engine.dispose()
        files = work / "attachments"
        for i in range(args.files):
            p = files / f"{i % 100:02d}" / f"photo-{i}.jpg"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(os.urandom(args.file_kb * 1024))
        print(f"== {args.size}: {cases:,} cases, {audit:,} audit rows, database "
              f"{size / 1e6:.0f} MB on disk; {args.files} files x {args.file_kb} KB ==", flush=True)
        archive = work / "backup.tar"
        t0 = time.perf_counter()
        backup(url, archive, files=files, say=lambda m: None)
        t_backup = time.perf_counter() - t0
        print(f"backup: {t_backup:.1f} s, archive {archive.stat().st_size / 1e6:.0f} MB", flush=True)
        with private_cluster(work / "empty-cluster") as (cluster, _):
            t0 = time.perf_counter()
            restore(archive, cluster.url("fq_restored"), files=work / "restored", jobs=args.jobs,
                    say=lambda m: None)
            t_restore = time.perf_counter() - t0
            print(f"restore onto an empty cluster (pg_restore --jobs {args.jobs}, counts and "
                  f"SHA-256s checked): {t_restore:.1f} s", flush=True)
        print(f"load average after: {os.getloadavg()[0]:.1f} (the machine has {os.cpu_count()} "
              "cores)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
        db.drop_database(settings, name)


if __name__ == "__main__":
    main()
