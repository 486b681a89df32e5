"""./run simulate against the real console over a private copy of the demo: a few real seconds at
high speed must register cases, dispatch them, move them through their states and move units
along the roads, all through the HTTP API and without one server error."""

import json

from console.cli import main
from tests.e2e.test_api import get


def _units(base):
    _, _, body = get(f"{base}/api/v1/units")
    return {u["id"]: (u["lon"], u["lat"], u["position_at"]) for u in body["items"]}


def _incidents(base):
    _, _, body = get(f"{base}/api/v1/incidents?limit=1000")
    return {i["id"]: i for i in body["items"]}


def test_a_simulated_morning_flows_through_the_api(writable_server, capsys):
    base = writable_server
    units_before, cases_before = _units(base), _incidents(base)
    rc = main(["simulate", "--url", base, "--speed", "600", "--rate", "30", "--duration", "10",
               "--seed", "7", "--start", "09:30", "--late", "0", "--quiet"])
    printed = capsys.readouterr().out
    summary = json.loads(printed.split("==\n", 1)[1])
    stats = summary["stats"]
    assert rc == 0, summary
    assert summary["server_errors"] == 0 and summary["network_errors"] == 0, summary
    assert not any(status >= 500 for status in map(int, summary["http"])), summary["http"]
    assert stats["registered"] >= 5, stats
    assert stats["assigned"] >= 3 and stats["acknowledged"] >= 2, stats
    assert stats.get("on_scene", 0) >= 1 and stats["position pings"] >= 10, stats
    assert stats["routes"] >= 2, stats

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
    assert len(moved) >= 3, summary["units_moved"]
    assert summary["units_moved"] >= 3
