"""Every import audited: who, which files (name and SHA-256), counts, result — also when refused."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from dispatch.adapters.accounts import audit
from geo.errors import ImportRejected

KIND_LABELS = {"areas": "辖区", "roads": "路网", "addresses": "地址库", "facilities": "服务场所",
               "units": "力量名册"}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def audited(engine: Engine, *, actor: str, kind: str, files: list[Path], dry_run: bool,
            work: Callable[[Connection], dict[str, int]],
            names: list[str] | None = None) -> dict[str, int]:
    """Run ``work`` in one transaction with its audit row; a refused file is audited apart.

    A dry run (仅校验) is rolled back whatever ``work`` did, and audited as such. ``names``
    are the files' names as the user gave them (an upload's own name, not its temporary path).
    """
    shown = names or [p.name for p in files]
    detail: dict[str, Any] = {"kind": kind, "dry_run": dry_run,
                              "files": [{"name": n, "sha256": sha256(p)}
                                        for n, p in zip(shown, files, strict=True)
                                        if p.is_file()]}
    action = "import_validate" if dry_run else "import"
    try:
        with engine.connect() as conn:
            tx = conn.begin()
            try:
                counts = work(conn)
                if dry_run:
                    tx.rollback()
                    tx = conn.begin()
                audit(conn, actor=actor, action=action, entity="territory",
                      reason=f"{KIND_LABELS.get(kind, kind)}：{'、'.join(shown)}",
                      detail={**detail, "result": "valid" if dry_run else "imported",
                              "counts": counts})
                tx.commit()
            except BaseException:
                tx.rollback()
                raise
    except ImportRejected as err:
        with engine.begin() as conn:
            audit(conn, actor=actor, action=action, entity="territory",
                  reason=f"{KIND_LABELS.get(kind, kind)}：{'、'.join(shown)}",
                  detail={**detail, "result": "rejected", "problems": len(err.problems),
                          "first_problems": [p.line() for p in err.problems[:5]]})
        raise
    return counts
