"""Put the demo into a database: the generated territory once, then the demo accounts."""

from __future__ import annotations

import time

from sqlalchemy import Engine, text

from demo.errors import DemoRefused
from geo import db
from geo.settings import Settings


def say(msg: str) -> None:
    print(f"[run] {msg}", flush=True)


def ensure_demo_loaded(settings: Settings, url: str, *, size: str, seed: int,
                       force: bool = False) -> None:
    """Load the generated territory unless one is loaded (``force``: load it again).

    Refused (:class:`DemoRefused`, nothing written) where the database holds a case history:
    the audit log is append-only and the demo's case ids would repeat under a second history.
    """
    from demo.seed import cached_demo
    from geo.loader import load_territory

    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            grids = conn.scalar(text("SELECT count(*) FROM grids"))
        if grids and not force:
            say(f"territory already loaded ({grids} grids): reusing it")
            _demo_accounts(engine)
            return
        with engine.connect() as conn:
            history = conn.scalar(text(
                "SELECT count(*) FROM audit_log WHERE entity = 'incident'"))
        if history:
            raise DemoRefused(_refusal(settings.db_name, history))
        if size == "province":
            counts = _load_province(engine, settings, seed)
        else:
            territory = cached_demo(settings.state_dir / "cache", size=size, seed=seed, say=say)
            t0 = time.perf_counter()
            say("loading the territory into PostGIS (one transaction)…")
            with engine.begin() as conn:
                counts = load_territory(conn, territory,
                                        progress=lambda t, n: say(f"  {t}: {n} rows"))
            say(f"loaded {sum(counts.values())} rows in {time.perf_counter() - t0:.1f} s")
        _demo_accounts(engine)
    finally:
        engine.dispose()


def _load_province(engine: Engine, settings: Settings, seed: int) -> dict[str, int]:
    """The province streamed into PostGIS one prefecture at a time (one transaction), each a
    copy of the city's cached territory and history: never ten cities in memory at once."""
    from demo.province import PARTS, province_parts
    from demo.seed import cached_demo
    from geo.loader import load_parts

    base = cached_demo(settings.state_dir / "cache", size="city", seed=seed, say=say)
    t0 = time.perf_counter()
    say(f"loading the province ({PARTS} prefectures, each a moved copy of the city) into "
        "PostGIS (one transaction)…")

    def progress(table: str, n: int) -> None:
        if table.startswith("audit_log"):
            say(f"  {table}: {n} rows so far ({time.perf_counter() - t0:.0f} s)")

    with engine.begin() as conn:
        counts = load_parts(conn, province_parts(base), references_checked=True,
                            progress=progress)
    say(f"loaded {sum(counts.values())} rows in {time.perf_counter() - t0:.1f} s: "
        + ", ".join(f"{t} {n:,}" for t, n in counts.items()
                    if t in ("micro_grids", "units", "incidents", "audit_log")))
    return counts


def _refusal(db_name: str, history: int) -> str:
    return (f"数据库 {db_name} 已有 {history} 条案件审计记录；审计日志只增不删，再次载入演示数据会在"
            "相同的案件编号下追加第二份历史，已拒绝，数据库未改动。要重新生成，请用一个新数据库："
            "FQ_DB_NAME=新库名 ./run generate（可加 --size、--seed），之后以同样的 FQ_DB_NAME 运行 "
            "./run demo。\n"
            f"(The database {db_name} already holds {history} case audit rows; the audit log is "
            "append-only, so loading the demo again would append a second history under the same "
            "case ids: refused, nothing changed. To generate afresh, use a new database: "
            "FQ_DB_NAME=NEW_NAME ./run generate [--size ...] [--seed ...], then "
            "FQ_DB_NAME=NEW_NAME ./run demo.)")


def _demo_accounts(engine: Engine) -> None:
    """Demo mode only: the demo accounts (password demo12345) and the Open311 demo key."""
    from demo.accounts import ensure_demo_accounts

    with engine.begin() as conn:
        made = ensure_demo_accounts(conn)
    if made:
        say(f"demo accounts (password demo12345): {', '.join(made)}")


def load(settings: Settings) -> None:
    """``./run demo`` before the console starts: the database ready, the demo in it."""
    say("preparing the database (local cluster, migrations)…")
    url = db.ready_database(settings)
    ensure_demo_loaded(settings, url, size=settings.territory_size, seed=settings.seed)


def generate(settings: Settings, *, size: str, seed: int) -> None:
    """``./run generate``: generate (or read from the cache) and load the territory again."""
    url = db.ready_database(settings)
    ensure_demo_loaded(settings, url, size=size, seed=seed, force=True)
