"""./run simulate against the real console over a private copy of the demo: at high speed it
registers cases, dispatches them, moves them through their states and moves units along the
roads, all through the HTTP API and without one server error."""

import json
import time
from collections import Counter
from datetime import datetime

from console.ops.cli import main
from console.ops.simulate import BEIJING, Api, Simulator
from tests.conftest import TOKENS
from tests.e2e.test_api import get


def _units(base):
    _, _, body = get(f"{base}/api/v1/units")
    return {u["id"]: (u["lon"], u["lat"], u["position_at"]) for u in body["items"]}


def _incidents(base):
    _, _, body = get(f"{base}/api/v1/incidents?limit=1000")
    return {i["id"]: i for i in body["items"]}


# what a simulated morning must have shown before its record is checked: a stopping condition,
# not a count after a fixed time (how much happens in a real second is the machine's business)
WANTED = {"registered": 5, "assigned": 3, "acknowledged": 2, "on_scene": 1,
          "position pings": 10, "routes": 2}


def _short(stats: dict) -> dict:
    return {k: stats.get(k, 0) for k in WANTED}


def test_a_simulated_morning_flows_through_the_api(writable_server, capsys):
    base = writable_server
    units_before, cases_before = _units(base), _incidents(base)
    # ./run simulate itself: it logs in, plays and prints its summary
    rc = main(["simulate", "--url", base, "--speed", "600", "--rate", "30", "--duration", "2",
               "--seed", "7", "--start", "09:30", "--late", "0", "--quiet"])
    printed = capsys.readouterr().out
    summary = json.loads(printed.split("==\n", 1)[1])
    assert rc == 0, summary
    assert summary["server_errors"] == 0 and summary["network_errors"] == 0, summary
    # then the same simulator, in slices, until the morning has shown every step
    start = datetime.now(BEIJING).replace(hour=9, minute=30, second=0, microsecond=0)
    sim = Simulator(Api(base, token=TOKENS["duty"]), speed=600, rate=30, seed=8, start=start,
                    late=0, quiet=True)
    sim.load()
    deadline = time.monotonic() + 300  # a bound on a hang only
    out = sim.run(0.5)
    while any(out["stats"].get(k, 0) < n for k, n in WANTED.items()) or len(sim.moved) < 3:
        assert time.monotonic() < deadline, _short(out["stats"])
        out = sim.run(0.5)
    assert out["server_errors"] == 0 and out["network_errors"] == 0, out
    assert not any(status >= 500 for status in map(int, out["http"])), out["http"]
    stats = Counter(summary["stats"]) + Counter(out["stats"])

    new = {i: c for i, c in _incidents(base).items() if i not in cases_before}
    assert len(new) == stats["registered"]
    states = {c["state"] for c in new.values()}
    assert states & {"acknowledged", "on_scene", "mediating", "resolved", "followed_up",
                     "closed"}, states
    _, _, detail = get(f"{base}/api/v1/incidents/{next(iter(new))}")
    assert detail["audit"] and all(a["actor"] for a in detail["audit"])
    # every case the simulator closed rests on evidence, and none of its closures was refused
    for iid, c in new.items():
        if c["state"] in ("resolved", "followed_up", "closed"):
            _, _, done = get(f"{base}/api/v1/incidents/{iid}")
            z = done["closures"][0]
            assert z["basis"] == "on_scene" and z["note"], z
            assert z["outcome"] != "mediated" or z["oral_terms"], z
            assert not [a for a in done["audit"] if a["action"] == "refused"
                        and a["to_state"] == "resolved"], done["audit"]
    moved = [uid for uid, (lon, lat, at) in _units(base).items()
             if (lon, lat, at) != units_before.get(uid)]
    assert len(moved) >= 3, out["units_moved"]
