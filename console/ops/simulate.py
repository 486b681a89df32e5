"""Field simulator (./run simulate): a day of disputes and moving units, played through the HTTP API.

Only HTTP to a running console: cases arrive by a daily profile and category mix (a point, a phone's
GCJ-02 point, or the address text alone); the duty officer takes the top recommendation (a pair where
警格+网格 is wanted); units sign, travel the API's road route pinging on the way, mediate, resolve, get
their 回访; a few tasks are left unsigned so the server's real-time clocks raise 督办; idle units patrol
and report in. Bounded: ≤ ``max_open`` cases with one pending step each, one leg per unit.
"""

from __future__ import annotations

import heapq
import itertools
import json
import math
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter, deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from console.ops import simulate_data as data  # the tables of a simulated day
from geo.coords import from_wgs84

BEIJING = timezone(timedelta(hours=8))


def pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    k = math.cos(math.radians((a[1] + b[1]) / 2))
    return math.hypot((b[0] - a[0]) * 111_320 * k, (b[1] - a[1]) * 110_540)


class Leg:
    """A way along a road line at even speed, from sim time ``t0`` for ``eta`` seconds."""

    def __init__(self, coords: list[tuple[float, float]], t0: float, eta: float, *,
                 patrol: bool = False) -> None:
        self.coords, self.t0, self.eta, self.patrol, self.next_ping = coords, t0, eta, patrol, t0
        self.cum = list(itertools.accumulate(
            (metres(a, b) for a, b in itertools.pairwise(coords)), initial=0.0))

    def at(self, t: float) -> tuple[float, float]:
        d = (1.0 if self.eta <= 0 else min(1.0, max(0.0, (t - self.t0) / self.eta))) * self.cum[-1]
        i = next((k for k in range(1, len(self.cum)) if self.cum[k] >= d), len(self.cum) - 1)
        (x0, y0), (x1, y1), seg = self.coords[i - 1], self.coords[i], self.cum[i] - self.cum[i - 1]
        f = 0.0 if seg <= 0 else (d - self.cum[i - 1]) / seg
        return x0 + (x1 - x0) * f, y0 + (y1 - y0) * f


@dataclass
class Case:
    id: int
    code: str
    category: str
    lon: float
    lat: float
    units: tuple[int, ...] = ()


class Api:
    """JSON over HTTP; counts every status (0: no answer), never raises on 4xx/5xx."""

    def __init__(self, url: str, *, timeout: float = 30.0, token: str | None = None) -> None:
        self.url, self.timeout, self.token = url.rstrip("/"), timeout, token
        self.status: Counter[int] = Counter()
        self.errors: deque[str] = deque(maxlen=8)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        req = urllib.request.Request(
            self.url + path, method=method, headers={"Content-Type": "application/json", **(
                {"Authorization": f"Bearer {self.token}"} if self.token else {})},
            data=None if body is None else json.dumps(body, ensure_ascii=False).encode())
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        except OSError as err:
            status, raw = 0, b"null"
            self.errors.append(f"{method} {path}: {err}")
        self.status[status] += 1
        if status >= 500:
            self.errors.append(f"{method} {path}: HTTP {status} {raw[:200]!r}")
        return status, json.loads(raw or b"null") if raw.startswith((b"{", b"[")) else None


class Simulator:
    """The event loop: sim time runs ``speed`` times real time from ``start`` (Beijing)."""

    def __init__(self, api: Api, *, speed: float, rate: float, seed: int, start: datetime,
                 late: float = 0.05, patrols: int = 6, max_open: int = 200,
                 pings_per_s: float = 20.0, quiet: bool = False) -> None:
        self.api, self.speed, self.rate, self.late, self.start = api, speed, rate, late, start
        self.patrols, self.max_open, self.pings_per_s, self.quiet = patrols, max_open, pings_per_s, quiet
        self.rng, self.beat_due = random.Random(seed), 0.0
        self.queue: list[tuple[float, int, str, int]] = []  # (sim s, seq, step, case id)
        self.seq, self.t_real0 = itertools.count(), time.monotonic()
        self.cases: dict[int, Case] = {}
        self.units: dict[int, dict[str, Any]] = {}
        self.legs: dict[int, Leg] = {}
        self.addresses: list[dict[str, Any]] = []
        self.stats: Counter[str] = Counter()
        self.moved: set[int] = set()  # ids of units that pinged: bounded by the units
        self.beat: deque[int] = deque()  # idle units in turn for a heartbeat ping

    def now(self) -> float:
        """Simulated seconds since the start."""
        return (time.monotonic() - self.t_real0) * self.speed

    def say(self, msg: str) -> None:
        if not self.quiet:
            print(f"[{self.start + timedelta(seconds=self.now()):%H:%M}] {msg}", flush=True)

    def later(self, delay_s: float, step: str, case_id: int = 0) -> None:
        heapq.heappush(self.queue, (self.now() + max(0.0, delay_s), next(self.seq), step, case_id))

    def load(self) -> None:
        status, page = self.api.call("GET", "/api/v1/addresses?limit=1")
        if status != 200 or not page or not page["total"]:
            raise SystemExit(f"控制台未运行或无地址数据（{self.api.url}，HTTP {status}）；请先 ./run demo")
        for _ in range(15):  # a fixed pool of 1,500 places, in runs from all over the territory
            off = self.rng.randrange(max(1, page["total"] - 100))
            self.addresses += (self.api.call("GET", f"/api/v1/addresses?limit=100&offset={off}")[1]
                               or {}).get("items", [])
        self.step_refresh(0)
        self.beat.extend(self.rng.sample(list(self.units), len(self.units)))
        self.later(0, "arrival")
        self.later(0, "patrol")
        self.say(f"模拟开始 simulation start: {len(self.units)} units, {len(self.addresses)} "
                 f"addresses, {self.rate:g} cases/h, speed ×{self.speed:g}")

    def step_refresh(self, _: int) -> None:
        """Unit statuses as the console has them (a moving unit keeps our newer position)."""
        for u in (self.api.call("GET", "/api/v1/units")[1] or {}).get("items", []):
            if u["id"] not in self.legs:
                self.units[u["id"]] = {**self.units.get(u["id"], {}), **u}
        self.later(60 * self.speed, "refresh")

    def step_arrival(self, _: int) -> None:
        now = self.start + timedelta(seconds=self.now())
        gap = self.rng.expovariate(self.rate * data.HOURLY[now.hour] / (sum(data.HOURLY) / 24) / 3600)
        to_hour = 3600 - (now.minute * 60 + now.second)
        if gap > to_hour:  # the rate changes on the hour: draw again there (memoryless)
            self.later(to_hour + 1, "arrival")
            return
        self.later(gap, "arrival")
        if len(self.cases) >= self.max_open:
            self.stats["skipped (max open)"] += 1
        else:
            self.register()

    def register(self) -> None:
        rng, a = self.rng, self.rng.choice(self.addresses)
        cat, channel = pick(rng, {k: v[0] for k, v in data.CASES.items()}), pick(rng, data.CHANNELS)
        _, label, story, _ = data.CASES[cat]
        given = data.GIVEN
        parties = [{"name": rng.choice(data.SURNAMES) + rng.choice(given) + rng.choice(("", *given)),
                    "phone": f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
                    "role": "respondent" if i else "applicant"} for i in range(rng.choice((2, 2, 3)))]
        threat = "，一方扬言报复" if rng.random() < 0.03 else ""  # 民转刑 warning: a red case
        body: dict[str, Any] = {
            "category": cat, "channel": channel, "priority": pick(rng, data.PRIORITIES),
            "title": f"{label}纠纷", "description": story + threat, "parties": parties,
            "address": a["address"], "actor": "值班员（模拟）",
            **({"language": rng.choice(data.DIALECTS)} if rng.random() < 0.08 else {})}
        how = rng.random()
        if how < 0.3 and channel == "app":  # a phone's map point
            x, y = from_wgs84(a["lon"], a["lat"], "gcj02")
            body.update(lon=round(float(x), 7), lat=round(float(y), 7), crs="gcj02")
        elif how >= 0.15:  # else the address text alone, for the geocoder
            body.update(lon=a["lon"], lat=a["lat"], crs="wgs84")
        status, reg = self.api.call("POST", "/api/v1/incidents", body)
        if status != 201:
            self.stats["registration refused"] += 1
            return
        self.stats["registered"] += 1
        case = Case(reg["id"], reg["code"], cat, a["lon"], a["lat"])
        self.say(f"受理 {case.code} {label} {body['priority']} ({channel}, {body.get('crs', '仅地址')}) "
                 f"{a['address']} → {reg['state']}")
        if reg["state"] == "registered":
            self.stats["not located (officer to choose)"] += 1
            return
        self.cases[case.id] = case
        if reg.get("dispatched"):
            self.stats["auto-dispatched"] += 1
            self.assigned(case, tuple(reg["dispatched"]["unit_ids"]), {})
        else:
            self.later(self.rng.uniform(60, 480), "dispatch", case.id)

    def step_dispatch(self, cid: int) -> None:
        case = self.cases[cid]
        status, rec = self.api.call("GET", f"/api/v1/incidents/{cid}/recommendations?limit=3")
        if status != 200:
            self.drop(case, f"推荐失败 HTTP {status}")
            return
        options = [tuple(p["unit_ids"]) for p in rec["pairs"]] if rec["paired"] else []
        options += [(c["id"],) for c in rec["items"]]
        foot = {c["id"]: "步行" in (c["reasons"] or [""])[0]  # the ETA reason: on foot or driving
                for c in rec["items"] + [m for p in rec["pairs"] for m in p["members"]]}
        for rank, ids in enumerate(options[:3], start=1):
            status, _ = self.api.call("POST", f"/api/v1/incidents/{cid}/assign", {
                "unit_ids": list(ids), "actor": "调度员（模拟）",
                "reason": f"采纳系统推荐第{rank}名{'（警格+网格）' if len(ids) > 1 else ''}"})
            if status == 200:
                self.assigned(case, ids, foot)
                return
            self.stats["assign conflicts"] += 1
        self.drop(case, "无可派单位")

    def assigned(self, case: Case, ids: tuple[int, ...], foot: dict[int, bool]) -> None:
        case.units = ids
        self.stats.update(assigned=1, paired=int(len(ids) > 1))
        self.say(f"派单 {case.code} → {'、'.join(str(self.units.get(i, {}).get('name', i)) for i in ids)}")
        for i in ids:
            u = self.units.setdefault(i, {})
            u.update(foot=foot.get(i, u.get("type") == "grid_worker"), status="assigned")
            self.legs.pop(i, None)  # a patrol stops for the task
        if self.rng.random() < self.late:
            self.stats["left unsigned (督办 demo)"] += 1
            self.say(f"⚠ {case.code} 故意不签收：签收时限到期后由服务器督办/改派")
            del self.cases[case.id]
        else:
            self.later(self.rng.uniform(60, 600), "ack", case.id)

    def step_ack(self, cid: int) -> None:
        case = self.cases[cid]
        if self.transition(case, "acknowledged", note="已签收，出发"):
            legs = [self.go(u, (case.lon, case.lat), delay=self.rng.uniform(30, 180)) for u in case.units]
            there = max((g.t0 + g.eta - self.now() for g in legs if g), default=300.0)
            self.later(there + 30, "on_scene", cid)

    def step_on_scene(self, cid: int) -> None:
        if self.transition(self.cases[cid], "on_scene", note="已到场"):
            self.later(self.rng.uniform(180, 600), "mediating", cid)

    def step_mediating(self, cid: int) -> None:
        case = self.cases[cid]
        if self.transition(case, "mediating", note="组织双方调解"):
            minutes = min(480.0, data.CASES[case.category][3] * self.rng.lognormvariate(0, 0.5))
            up = self.rng.random() < 0.04  # hard case: the street centre is called in (会商)
            self.later(minutes * (30 if up else 60), "escalate" if up else "resolve", cid)

    def step_escalate(self, cid: int) -> None:
        if self.transition(self.cases[cid], "escalated", note="分歧较大，提请上级矛调中心会商"):
            self.later(self.rng.uniform(1800, 7200), "mediating", cid)

    def step_resolve(self, cid: int) -> None:
        """办结 with the evidence the server asks for: the unit is on scene, the mediator picks
        the outcome and writes the note, the oral agreement's terms or the receiving body."""
        case, outcome = self.cases[cid], pick(self.rng, data.OUTCOMES)
        story = data.CASES[case.category][2]
        evidence = {"mediated": {"oral_terms": f"双方就“{story}”达成口头协议：{self.rng.choice(data.TERMS)}"},
                    "litigation": {"referred_to": "区人民法院"},
                    "arbitration": {"referred_to": "区劳动人事争议仲裁委员会"}}.get(outcome, {})
        note = {"mediated": "组织双方面对面调解，达成一致", "failed": "多次调解分歧仍大，调解不成",
                "withdrawn": "申请人表示自行协商，撤回申请"}.get(outcome, "调解不成，引导依法解决")
        if not self.transition(case, "resolved", note=note, outcome=outcome, extra=evidence):
            return
        for uid in case.units:  # back into the grid
            self.units.get(uid, {})["status"] = "available"
            self.go(uid, self.near(uid), delay=self.rng.uniform(60, 300))
        if outcome in ("litigation", "arbitration", "withdrawn"):  # no 回访 needed
            self.later(self.rng.uniform(600, 3600), "close", cid)
        else:  # the policy's 回访 is days later; a demo day wants it within hours
            self.later(self.rng.uniform(3, 12) * 3600, "followup", cid)

    def step_followup(self, cid: int) -> None:
        case, score = self.cases[cid], int(pick(self.rng, data.SATISFACTION))
        visit = pick(self.rng, data.METHODS)  # the simulated visitor's own answers, each chosen
        status, body = self.api.call("POST", f"/api/v1/incidents/{cid}/followup", {
            "satisfaction": score, "agreement_holds": self.rng.random() > 0.04, "method": visit,
            "neighbours_visited": self.rng.choice((0, 1, 2, 3, 3, 3)) if visit == "visit" else 0,
            "note": "走一家访三家" if visit == "visit" else "电话回访", "actor": "回访员（模拟）"})
        if status != 200:
            self.drop(case, f"回访失败 HTTP {status}")
            return
        self.stats.update(followed_up=1, reopened=int(body["state"] == "located"))
        self.say(f"回访 {case.code} 满意度 {score} → {body['state']}")
        self.later(self.rng.uniform(600, 3600), "dispatch" if body["state"] == "located" else "close", cid)

    def step_close(self, cid: int) -> None:
        if self.transition(self.cases[cid], "closed", note="归档"):
            del self.cases[cid]

    def transition(self, case: Case, to: str, *, note: str, outcome: str | None = None,
                   extra: dict[str, Any] | None = None) -> bool:
        body = {"to": to, "note": note, "actor": "现场模拟", **({"outcome": outcome} if outcome else {}),
                **(extra or {})}
        status, res = self.api.call("POST", f"/api/v1/incidents/{case.id}/transitions", body)
        if status != 200:
            self.drop(case, f"{to} HTTP {status} {(res or {}).get('error', {}).get('message', '')}")
            return False
        self.stats[to] += 1
        self.say(f"{case.code} {res['from_state']} → {to}{f' ({outcome})' if outcome else ''}")
        return True

    def drop(self, case: Case, why: str) -> None:
        """Leave a case to the console (someone else moved it on, or it cannot go on)."""
        self.stats["left to the console"] += 1
        self.say(f"✗ {case.code} {why}")
        self.cases.pop(case.id, None)

    def go(self, uid: int, to: tuple[float, float], *, delay: float, patrol: bool = False) -> Leg | None:
        """Send unit ``uid`` along the API's road route to ``to``, leaving in ``delay`` sim s."""
        u = self.units.get(uid, {})
        if u.get("lon") is None:
            return None
        here = (float(u["lon"]), float(u["lat"]))
        foot = u.get("foot", u.get("type") == "grid_worker")
        q = urllib.parse.urlencode({"from_lon": here[0], "from_lat": here[1], "to_lon": to[0],
                                    "to_lat": to[1], "profile": "walk" if foot else "drive"})
        status, r = self.api.call("GET", f"/api/v1/route?{q}")
        ok = status == 200 and bool(r) and bool(r.get("geometry")) and r.get("eta_s") is not None
        self.stats["routes" if ok else "routes failed (straight line)"] += 1
        coords = [(float(x), float(y)) for x, y, *_ in r["geometry"]["coordinates"]] if ok else [here, to]
        eta = float(r["eta_s"]) if ok else metres(here, to) * 1.3 / 5.0
        self.legs[uid] = Leg(coords, self.now() + delay, eta, patrol=patrol)
        return self.legs[uid]

    def near(self, uid: int) -> tuple[float, float]:
        """A patrol target: of a few random addresses, the one nearest 300-1,200 m away."""
        u, want = self.units[uid], self.rng.uniform(300, 1200)
        best = min(self.rng.sample(self.addresses, min(40, len(self.addresses))),
                   key=lambda a: abs(metres((u["lon"], u["lat"]), (a["lon"], a["lat"])) - want))
        return best["lon"], best["lat"]

    def step_patrol(self, _: int) -> None:
        """Keep ``patrols`` idle units on their beat (巡查), topped up every ten sim minutes."""
        idle = [i for i, u in self.units.items() if u.get("status") == "available"
                and i not in self.legs and u.get("lon") is not None]
        short = self.patrols - sum(leg.patrol for leg in self.legs.values())
        for uid in self.rng.sample(idle, max(0, min(short, len(idle)))):
            self.stats["patrols"] += int(self.go(uid, self.near(uid), delay=0, patrol=True) is not None)
        self.later(600, "patrol")

    def ping(self, uid: int, lon: float, lat: float) -> int:
        body: dict[str, Any] = {"lon": round(lon, 7), "lat": round(lat, 7), "accuracy_m": 8}
        if self.rng.random() < 0.3:  # phones that report in GCJ-02
            x, y = from_wgs84(lon, lat, "gcj02")
            body.update(lon=round(float(x), 7), lat=round(float(y), 7), crs="gcj02")
        if self.api.call("POST", f"/api/v1/units/{uid}/position", body)[0] == 200:
            self.units[uid].update(lon=lon, lat=lat)
            self.stats["position pings"] += 1
            self.moved.add(uid)
        return 1

    def move(self, budget: int) -> int:
        """Ping moving units that are due (oldest first, a last ping at a leg's end), then with what
        is left of ``budget`` idle phones in turn, each every ~10 real min (stale after 15)."""
        t, used = self.now(), 0
        every = max(20.0, 0.5 * self.speed)  # sim s between a unit's pings, ≥ half a real second
        due = sorted((leg.next_ping, uid) for uid, leg in self.legs.items() if leg.next_ping <= t)
        for _, uid in due[:budget]:
            leg, used = self.legs[uid], used + 1
            self.ping(uid, *leg.at(t))
            leg.next_ping = t + every
            if t >= leg.t0 + leg.eta:
                del self.legs[uid]
        while used < budget and self.beat and self.beat_due >= 1:
            uid, self.beat_due = self.beat[0], self.beat_due - 1
            self.beat.rotate(-1)
            u = self.units.get(uid, {})
            if uid not in self.legs and u.get("lon") is not None and u.get("status") != "off_duty":
                used += self.ping(uid, u["lon"], u["lat"])
        return used

    def run(self, duration_s: float | None) -> dict[str, Any]:
        end = math.inf if duration_s is None else time.monotonic() + duration_s
        tokens, last = 0.0, time.monotonic()
        try:
            while time.monotonic() < end:
                real = time.monotonic()
                tokens = min(self.pings_per_s, tokens + (real - last) * self.pings_per_s)
                self.beat_due = min(5.0, self.beat_due + (real - last) * len(self.units) / 600)
                last = real
                while self.queue and self.queue[0][0] <= self.now():
                    _, _, step, cid = heapq.heappop(self.queue)
                    if not cid or cid in self.cases:  # a dropped case's step is void
                        getattr(self, f"step_{step}")(cid)
                tokens -= self.move(int(tokens))
                time.sleep(0.05)
        except KeyboardInterrupt:
            pass
        http = dict(sorted(self.api.status.items()))
        return {"sim_hours": round(self.now() / 3600, 2), "stats": dict(self.stats),
                "units_moved": len(self.moved), "open_cases": len(self.cases), "http": http,
                "server_errors": sum(n for s, n in http.items() if s >= 500),
                "network_errors": http.get(0, 0), "last_errors": list(self.api.errors)}
