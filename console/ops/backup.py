"""./run backup and ./run restore: the database (one consistent snapshot), the files beside it, the config.

A backup is one tar file (mode 0600: it holds personal data and the TLS keys)::

    manifest.json    when, versions, schema revision, exact row counts of every table in the
                     dump's own snapshot, each file's SHA-256, the FQ_* settings (no passwords)
    database.dump    pg_dump --format=custom of that snapshot
    files/...        the files directory (FQ_FILES_DIR, default <state dir>/attachments),
                     copied after the snapshot, so every file a dumped row names is there
    config/tls/...   ./run cert's CA and server certificate and keys, when present

``restore`` refuses a database that holds tables unless told to replace it, runs pg_restore,
puts the files and config back, and checks the counts and every SHA-256 against the manifest.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import make_url

from console.ops.import_audit import sha256
from geo.cluster import PG_BIN
from geo.db import libpq_url, make_engine
from geo.db_admin import (
    create_empty_database,
    database_exists,
    drop_database,
    export_snapshot,
    server_facts,
    table_counts,
    user_table_count,
)

FORMAT = 1
Say = Callable[[str], None]


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; the message says why, in Chinese."""


def _tool(name: str) -> str:
    own = PG_BIN / name  # the cluster's version: pg_dump must not be older than the server
    found = str(own) if own.exists() else shutil.which(name)
    if not found:
        raise BackupError(f"找不到 {name}：请安装 postgresql-client（Debian: apt-get install -y "
                          "postgresql-client-15）")
    return found


def _run(args: list[str]) -> None:
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BackupError(f"{Path(args[0]).name} 失败（{proc.returncode}）："
                          f"{(proc.stderr or proc.stdout).strip()[-1500:]}")


def backup(url: str, out: Path, *, files: Path | None, config: Path | None = None,
           settings: Mapping[str, str] | None = None, say: Say = print) -> dict[str, Any]:
    """Write the backup of database ``url`` (plus ``files`` and ``config``) to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    tmp = Path(tempfile.mkdtemp(prefix=".backup-", dir=out.parent))
    try:
        with engine.connect() as conn:
            # one snapshot for the counts and the dump: pg_dump joins it with --snapshot
            snapshot = export_snapshot(conn)
            counts = table_counts(conn)
            meta = server_facts(conn)
            dump = tmp / "database.dump"
            say(f"pg_dump（{sum(counts.values()):,} 行，{len(counts)} 张表）…")
            _run([_tool("pg_dump"), "--format=custom", f"--snapshot={snapshot}", "--no-owner",
                  "--no-privileges", f"--file={dump}", f"--dbname={libpq_url(url)}"])
            conn.rollback()
        manifest: dict[str, Any] = {
            "format": FORMAT, "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "database": make_url(url).database, "postgresql": meta[0], "postgis": meta[1],
            "schema_revision": meta[2], "tables": counts, "files": {}, "config": {},
            "settings": dict(settings or {}),  # ConsoleSettings.recorded: no passwords
            "files_dir": str(files) if files else None}
        members: list[tuple[Path, str]] = []
        for kind, root in (("files", files), ("config", config)):
            if root is None or not root.is_dir():
                continue
            for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
                rel = path.relative_to(root).as_posix()
                manifest[kind][rel] = {"sha256": sha256(path), "bytes": path.stat().st_size}
                members.append((path, f"{kind}/{rel}"))
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        part = out.with_name(out.name + ".part")
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh, tarfile.open(fileobj=fh, mode="w") as tar:
            tar.add(tmp / "manifest.json", "manifest.json")
            tar.add(dump, "database.dump")
            for path, name in members:
                tar.add(path, name)
        part.replace(out)
        say(f"备份完成：{out}（{out.stat().st_size / 1e6:.1f} MB；数据库 "
            f"{dump.stat().st_size / 1e6:.1f} MB，文件 {len(manifest['files'])} 个）")
        return manifest
    finally:
        engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)


def _read_manifest(tar: tarfile.TarFile, archive: Path) -> dict[str, Any]:
    try:
        member = tar.extractfile("manifest.json")
    except KeyError:
        member = None
    if member is None:
        raise BackupError(f"{archive} 不是本系统的备份文件（缺少 manifest.json）")
    manifest: dict[str, Any] = json.loads(member.read())
    if manifest.get("format") != FORMAT:
        raise BackupError(f"备份格式 {manifest.get('format')} 不受支持（本版本为 {FORMAT}）")
    return manifest


def _empty_database(url: str, *, replace: bool, say: Say) -> None:
    """Create the target database if missing; refuse one with tables unless ``replace``."""
    from geo.db import NAME_PATTERN

    target = make_url(url)
    name = target.database or ""
    if not NAME_PATTERN.match(name):
        raise BackupError(f"数据库名不合法：{name!r}")
    admin = make_engine(target.set(database="postgres").render_as_string(hide_password=False),
                        isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = database_exists(conn, name)
            if exists:
                probe = make_engine(url)
                with probe.connect() as c:
                    tables = user_table_count(c)
                probe.dispose()
                if tables and not replace:
                    raise BackupError(
                        f"目标数据库 {name} 已有 {tables} 张表：恢复只写入空数据库。确认要用备份"
                        "覆盖它（现有数据全部丢失）时加 --replace")
                if tables:
                    say(f"删除现有数据库 {name}（--replace）")
                    drop_database(conn, name)
                    exists = False
            if not exists:
                create_empty_database(conn, name)
    finally:
        admin.dispose()


def _put_back(tar: tarfile.TarFile, manifest: dict[str, Any], kind: str, dest: Path | None,
              *, replace: bool, say: Say) -> int:
    """Extract the ``kind/`` members into ``dest``, each checked against its SHA-256."""
    listed: dict[str, Any] = manifest.get(kind) or {}
    if not listed or dest is None:
        return 0
    if dest.exists() and any(dest.iterdir()) and not replace:
        if kind == "config":  # this machine's own certificates stay; say so
            say(f"{dest} 已有文件：备份中的 {len(listed)} 个配置文件未恢复（--replace 可覆盖）")
            return 0
        raise BackupError(f"{dest} 不是空目录：恢复不覆盖现有文件（确认覆盖时加 --replace）")
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}-restore-", dir=dest.parent))
    try:
        for member in tar:
            if not member.name.startswith(f"{kind}/"):
                continue
            _extract(tar, member, staging)
        for rel, want in listed.items():
            got = staging / kind / rel
            if not got.is_file() or sha256(got) != want["sha256"]:
                raise BackupError(f"文件 {rel} 缺失或 SHA-256 与备份清单不符：备份文件已损坏")
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            got.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return len(listed)


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, dest: Path) -> Path:
    """Write one regular-file member under ``dest``, refusing links, devices, absolute paths and
    ``..`` (tarfile's ``filter="data"`` does this from Python 3.11.4; Debian 12 has 3.11.2)."""
    parts = Path(member.name).parts
    if not member.isfile() or Path(member.name).is_absolute() or ".." in parts:
        raise BackupError(f"备份文件中有不安全的条目：{member.name}（只接受普通文件）")
    source = tar.extractfile(member)
    if source is None:
        raise BackupError(f"备份文件中的 {member.name} 无法读取：备份文件已损坏")
    target = dest.joinpath(*parts)
    target.parent.mkdir(parents=True, exist_ok=True)
    with source, target.open("wb") as out:
        shutil.copyfileobj(source, out)
    return target


def restore(archive: Path, url: str, *, files: Path | None, config: Path | None = None,
            replace: bool = False, jobs: int = 2, say: Say = print) -> dict[str, Any]:
    """Restore ``archive`` into database ``url`` (empty or missing), ``files`` and ``config``;
    returns the manifest after checking counts and hashes against it."""
    if not archive.is_file():
        raise BackupError(f"备份文件不存在：{archive}")
    with tarfile.open(archive, mode="r") as tar:
        manifest = _read_manifest(tar, archive)
        _empty_database(url, replace=replace, say=say)
        with tempfile.TemporaryDirectory(prefix=".restore-", dir=archive.parent) as tmp:
            _extract(tar, tar.getmember("database.dump"), Path(tmp))
            say(f"pg_restore（备份于 {manifest['created_at']}，{sum(manifest['tables'].values()):,} 行）…")
            _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
                  f"--jobs={max(1, jobs)}", f"--dbname={libpq_url(url)}",
                  str(Path(tmp) / "database.dump")])
        n_files = _put_back(tar, manifest, "files", files, replace=replace, say=say)
        n_config = _put_back(tar, manifest, "config", config, replace=replace, say=say)
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            counts = table_counts(conn)
    finally:
        engine.dispose()
    wrong = {t: (n, counts.get(t)) for t, n in manifest["tables"].items() if counts.get(t) != n}
    if wrong:
        raise BackupError("恢复后的行数与备份清单不符：" + "，".join(
            f"{t} 应为 {n}，实为 {got}" for t, (n, got) in wrong.items()))
    say(f"恢复完成：{len(counts)} 张表、{sum(counts.values()):,} 行与清单一致；文件 {n_files} 个、"
        f"配置文件 {n_config} 个 SHA-256 校验通过")
    if manifest.get("settings"):
        say("备份时的设置（请按需在新环境中设置）：" + "，".join(
            f"{k}={v}" for k, v in manifest["settings"].items()))
    return manifest
