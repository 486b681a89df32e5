"""The illustrative demo: territory, units and a year of history, generated once and cached."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

from geo.settings import PROJECT_ROOT
from geo.territory import Territory

CST = timezone(timedelta(hours=8))
Say = Callable[[str], None]
NOT_DATA = frozenset({"__main__.py", "load.py", "accounts.py", "province.py"})
"""demo/ modules that load or serve the data without shaping what is cached: editing them keeps
the cache (the province is made from the city's cache as it is loaded, and is not cached)."""


def _code_fingerprint() -> str:
    """Hash of everything that shapes the generated data, so a code change regenerates."""
    h = hashlib.sha1()
    files = [f for f in sorted((PROJECT_ROOT / "demo").rglob("*.py")) if f.name not in NOT_DATA]
    files += sorted((PROJECT_ROOT / "data").glob("*.json"))
    files.append(PROJECT_ROOT / "geo" / "schema.py")
    files.append(PROJECT_ROOT / "dispatch" / "adapters" / "orm.py")
    for f in files:
        if f.exists():
            h.update(f.relative_to(PROJECT_ROOT).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


def build_demo(*, size: str = "demo", seed: int = 20261121, end: datetime | None = None,
               say: Say = print) -> Territory:
    """Generate the territory, its units and a year of historical disputes (HISTORY_COUNTS)."""
    import time

    from demo.cases import HISTORY_COUNTS, generate_demo
    from demo.territory import generate_territory

    if size not in HISTORY_COUNTS:
        raise ValueError(f"size must be one of {sorted(HISTORY_COUNTS)}, not {size!r}")
    t0 = time.perf_counter()
    say(f"generating the illustrative territory ({size}, seed {seed})…")
    territory = generate_territory(size=size, seed=seed)
    say(f"  territory: {time.perf_counter() - t0:.1f} s  "
        + ", ".join(f"{k} {v}" for k, v in territory.counts().items()))
    t1 = time.perf_counter()
    if end is None:
        end = datetime.now(CST).replace(hour=0, minute=0, second=0, microsecond=0)
    units, incidents, assignments = generate_demo(territory, seed=seed, end=end, size=size)
    territory.frames["units"] = units
    territory.frames["incidents"] = incidents
    territory.frames["assignments"] = assignments
    from demo.record import records  # closures, 回访 and clocks to the live rules

    territory.frames.update(records(seed, incidents, assignments, units, end=end,
                                    facilities=territory.frames["facilities"],
                                    communities=territory.frames["communities"]))
    say(f"  units and history: {time.perf_counter() - t1:.1f} s  units {len(units)}, "
        f"incidents {len(incidents)}, assignments {len(assignments)}")
    territory.illustrative = True
    territory.name = f"{size}-{seed}"
    return territory


def cached_demo(cache_dir: Path, *, size: str = "demo", seed: int = 20261121,
                say: Say = print) -> Territory:
    """``build_demo`` once per (size, seed, code version); later calls read the cache."""
    path = cache_dir / f"territory-{size}-{seed}-{_code_fingerprint()}.pickle"
    if path.exists():
        say(f"using the generated territory cached in {path.name}")
        with path.open("rb") as fh:
            territory: Territory = pickle.load(fh)
        return territory
    territory = build_demo(size=size, seed=seed, say=say)
    cache_dir.mkdir(parents=True, exist_ok=True)
    for old in cache_dir.glob(f"territory-{size}-{seed}-*.pickle"):
        old.unlink()
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(territory, fh, protocol=pickle.HIGHEST_PROTOCOL)
    tmp.replace(path)
    return territory
