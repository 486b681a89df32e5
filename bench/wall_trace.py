"""Where bench_wall's live time went: its moves and cases matched with the desk hubs' traces
(``GET /api/v1/desk/hub?trace=1``: the territory hub's rows and each part hub's, each row naming
its ``hub``). A change several hubs carry (a street's dispatcher and duty officer have a hub
each) counts from the first hub hearing it to the last session applying it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Row = dict[str, Any]


def merged(rows: list[Row]) -> Row | None:
    """The first row of each hub, as one: heard by the first hub; read, patched and handed over
    by the hub whose session applied it last; applied by every session."""
    first: dict[Any, Row] = {}
    for r in sorted(rows, key=lambda r: r["heard_ms"]):
        first.setdefault(r.get("hub"), r)
    if not first:
        return None
    rows = list(first.values())
    # the critical path: the hub whose session applied last (its read, patch and hand-over)
    last = max(rows, key=lambda r: max(r["applied_ms"] or [float("-inf")]))
    return {"heard_ms": min(r["heard_ms"] for r in rows), "read_ms": last.get("read_ms"),
            "patched_ms": last["patched_ms"], "delivered_ms": last["delivered_ms"],
            "applied_ms": [a for r in rows for a in r["applied_ms"]],
            "hubs": len(rows), "complete": all(r["applied_ms"] for r in rows)}


def _pick(trace: list[Row], keep: Callable[[Row], bool]) -> Row | None:
    return merged([r for r in trace if keep(r)])


def row_of(move: dict[str, Any], trace: list[Row]) -> Row | None:
    """The hubs' diffs that carried ``move``: per hub the first with its unit heard after the
    POST and before its frame (the simulator may move the same unit again later)."""
    until = max(move["seen"]) if move["seen"] else float("inf")
    return _pick(trace, lambda r: move["uid"] in r["units"]
                 and move["t0"] <= r["heard_ms"] <= until)


def stages(moves: list[dict[str, Any]], trace: list[Row]) -> dict[str, list[float]]:
    """Per move, how long each stage took (ms), from the bench's clock and the hubs' traces."""
    out: dict[str, list[float]] = {"POST → NOTIFY heard": [], "heard → handed to sessions": [],
                                   "→ applied by the last session": [],
                                   "→ the last browser's frame": []}
    for m in moves:
        row = row_of(m, trace)
        if row is None or not row["applied_ms"] or not m["seen"]:
            continue
        out["POST → NOTIFY heard"].append(row["heard_ms"] - m["t0"])
        out["heard → handed to sessions"].append(row["delivered_ms"] - row["heard_ms"])
        out["→ applied by the last session"].append(max(row["applied_ms"]) - row["delivered_ms"])
        out["→ the last browser's frame"].append(max(m["seen"]) - max(row["applied_ms"]))
    return out


def case_stages(cases: list[dict[str, Any]], trace: list[Row]) -> dict[str, list[float]]:
    """Per case, how long each stage took (ms): the registration's answer, the NOTIFY heard,
    the hub's wait before its re-read (debounce and patch gap), the re-read and patch, the
    sessions, the browsers' frames (per hub, the first delivery naming the case)."""
    out: dict[str, list[float]] = {k: [] for k in (
        "case: POST → answered", "case: POST → NOTIFY heard", "case: heard → re-read begins",
        "case: re-read and patch", "case: → applied by the last session",
        "case: → the last browser's frame")}
    for c in cases:
        cid = c["id"]
        row = merged([r for r in trace if cid in (r.get("cases") or ())])
        if row is None or not row["applied_ms"] or row.get("read_ms") is None:
            continue
        vals = (c["answered"] - c["t0"], row["heard_ms"] - c["t0"],
                row["read_ms"] - row["heard_ms"], row["patched_ms"] - row["read_ms"],
                max(row["applied_ms"]) - row["patched_ms"],
                max(c["seen"]) - max(row["applied_ms"]))
        for k, v in zip(out, vals, strict=True):
            out[k].append(v)
    return out


def slowest(moves: list[dict[str, Any]], trace: list[Row], n: int = 3) -> list[str]:
    """The slowest moves, each with its stages as the hubs saw them (or why it has none)."""
    lines = []
    for m in sorted(moves, key=lambda m: -(max(m["seen"]) - m["t0"] if m["seen"] else 0))[:n]:
        if not m["seen"]:
            continue
        row = row_of(m, trace)
        worst = max(m["seen"]) - m["t0"]
        if row is None:
            lines.append(f"{worst:.0f} ms: no diff of the hub carried it")
            continue
        applied = sorted(a - m["t0"] for a in row["applied_ms"])
        lines.append(f"{worst:.0f} ms: heard +{row['heard_ms'] - m['t0']:.0f}, handed "
                     f"+{row['delivered_ms'] - m['t0']:.0f}, applied by {len(applied)} "
                     f"session(s) " + (f"+{applied[0]:.0f}…+{applied[-1]:.0f}" if applied else "")
                     + ", frames +" + "/".join(f"{x - m['t0']:.0f}" for x in sorted(m["seen"])))
    return lines
