"""Geocoding at city scale: latency and top-1 micro-grid accuracy per kind of noise, with its peer.

Run: ``./run bench bench_geocode [city|demo] [per-kind] [--reuse]`` (~3 minutes at city). Loads
the generated territory into a scratch database (dropped afterwards unless ``--reuse``), builds a test set
from its standard addresses and noisy variants of them (dropped or extra levels, 克区/居委会/街
abbreviations, full-width and Chinese numerals, one-character typos, building before road,
trailing 附近/对面/门口, spaces and punctuation, and several at once), then prints, per kind,
p50/p99 latency and top-1 / top-5 micro-grid accuracy of ``geo.geocoder.geocode`` and, side by
side, of the PostGIS-only way: one pg_trgm similarity query over ``addresses.full_address``.
Also: door interpolation with the stored point held out, and fuzzy-name recall for short
road + number queries with one typo (deletion index vs character bigrams vs pg_trgm).
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, text

from demo.seed import cached_demo
from geo import db
from geo.address import key
from geo.geocode_doors import interpolate_doors
from geo.geocode_lexicon import Lexicon
from geo.geocode_reverse import locate_chain
from geo.geocode_search import lexicon, name_rows
from geo.geocoder import geocode, rebuild_search, reverse_geocode
from geo.loader import load_territory
from geo.settings import Settings

_ROWS = text("""
    SELECT a.id, a.full_address, a.level, a.micro_grid_id, d.name, s.name, c.name,
           coalesce(p.name, cp.name, r.name), a.door_no, b.number, a.road_id
    FROM addresses a JOIN streets s ON s.id = a.street_id JOIN districts d ON d.id = s.district_id
    JOIN communities c ON c.id = a.community_id
    LEFT JOIN places p ON p.id = a.place_id LEFT JOIN compounds cp ON cp.id = a.compound_id
    LEFT JOIN buildings b ON b.id = a.building_id LEFT JOIN addr_roads r ON r.id = a.road_id
    ORDER BY a.id""")
_PEER = text("""SELECT micro_grid_id FROM addresses WHERE full_address % :q
                ORDER BY full_address <-> :q, id LIMIT 5""")
_CN = "零一二三四五六七八九"
_NEAR = ("附近", "对面", "门口", "旁边", "东侧", "斜对面", "北门")


def to_cn(n: int, rng: random.Random) -> str:
    """An int in Chinese numerals, positional (一百零八) or digit by digit (一零八)."""
    if rng.random() < 0.25 or n >= 10000:
        return "".join(_CN[int(c)] for c in str(n))
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d:
            if zero and out:
                out += "零"
            out += ("" if (unit == "十" and d == 1 and not out) else _CN[d]) + unit
            zero = False
        elif out:
            zero = True
    return out or "零"


class Row:
    def __init__(self, r: tuple) -> None:
        (self.id, self.full, self.level, self.micro, self.district, self.street,
         self.community, self.name, self.door, self.building, self.road) = r
        self.suffix = (f"{self.building}号楼" if self.level == "building" else
                       f"{self.door}号" if self.level == "door" else "")


def _typo(name: str, rng: random.Random, pool: str, taken: set[str]) -> str:
    for _ in range(50):
        i = rng.randrange(len(name))
        op = rng.random()
        if op < 0.7:
            new = name[:i] + rng.choice(pool) + name[i + 1:]
        elif op < 0.85 and len(name) > 3:
            new = name[:i] + name[i + 1:]
        else:
            new = name[:i] + rng.choice(pool) + name[i:]
        if new != name and key(new) not in taken and not new[i:i + 1].isdigit():
            return new
    return name


@dataclass
class Q:
    """A query in parts, so that kinds of noise compose."""

    head: list[str]
    name: str
    suffix: str
    tail: str = ""
    seps: bool = False
    reorder: bool = False

    def render(self, g: random.Random) -> str:
        body = [self.name, self.suffix]
        parts = [*body, *self.head] if self.reorder else [*self.head, *body]
        if self.reorder and self.suffix:
            parts[0], parts[1] = parts[1], parts[0]
        parts = [p for p in parts if p]
        seps = [" ", "，", "、", "  ", "-", "（", "）", ",", "·"]
        joined = "".join(p + (g.choice(seps) if self.seps else "") for p in parts).strip()
        return joined + self.tail


_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass(frozen=True)
class Region:
    """How people name the territory's province and city, and shorten its districts."""

    province: str = "新疆维吾尔自治区"
    city: str = "克拉玛依市"
    short_province: str = "新疆"
    short_districts: tuple[tuple[str, str], ...] = (("克拉玛依区", "克区"),)


KARAMAY = Region()
CHENGDU = Region("四川省", "成都市", "四川", (("武侯区", "武侯"),))


def noisers(pool: str, taken: set[str], region: Region = KARAMAY
            ) -> dict[str, Callable[[Q, Row, random.Random], None]]:
    def levels(q: Q, r: Row, g: random.Random) -> None:
        q.head = g.choice([[], [r.street], [r.district], [region.province + region.city,
                                                           r.district],
                           [region.city], [region.short_province, r.district, r.street,
                                           r.community]])

    def abbrev(q: Q, r: Row, g: random.Random) -> None:
        street = r.street[:-1] if r.street.endswith("街道") else r.street
        district = r.district
        for full, short in region.short_districts:
            district = district.replace(full, short)
        q.head = [district, street,
                  r.community.replace("社区", g.choice(["居委会", "居委", "社区居委会"]))]

    def numerals(q: Q, r: Row, g: random.Random) -> None:
        n = r.building if r.level == "building" else r.door if r.level == "door" else None
        if n is None:
            return
        num = to_cn(n, g) if g.random() < 0.6 else str(n).translate(_FULLWIDTH)
        q.suffix = num + (g.choice(["栋", "幢", "号楼", "座", "#楼"]) if r.level == "building"
                          else "号")

    def typo(q: Q, r: Row, g: random.Random) -> None:
        q.name = _typo(r.name, g, pool, taken)

    def reorder(q: Q, r: Row, g: random.Random) -> None:
        q.reorder = True

    def trailing(q: Q, r: Row, g: random.Random) -> None:
        q.tail = g.choice(_NEAR)

    def spaces(q: Q, r: Row, g: random.Random) -> None:
        q.seps = True

    return {"levels": levels, "abbrev": abbrev, "numerals": numerals, "typo": typo,
            "reorder": reorder, "trailing": trailing, "spaces": spaces}


def make_query(r: Row, kind: str, g: random.Random, ops: dict) -> str:
    """The query text for ``r`` under one kind of noise (``mixed``: three at once)."""
    q = Q([r.district, r.street], r.name, r.suffix)
    if kind == "mixed":
        for k in g.sample(sorted(ops), 3):
            ops[k](q, r, g)
    elif kind != "clean":
        ops[kind](q, r, g)
    return q.render(g)


def _pct(xs: list[float], q: float) -> float:
    return float(np.percentile(xs, q)) if xs else float("nan")


def run_sets(conn: Connection, rows: list[Row], per_kind: int, seed: int, peer_n: int, *,
             region: Region = KARAMAY, misses: list[tuple[str, str, str]] | None = None) -> None:
    """Each kind of noise on the same sample; the peer on its first ``peer_n`` (it is slow).
    ``misses`` collects (kind, query, standard address) of our top-1 misses."""
    lex = lexicon(conn)
    pool = "".join(sorted({c for k in lex.by_key for c in k if "\u4e00" <= c <= "\u9fff"}))
    ops = noisers(pool, set(lex.by_key), region)
    kinds = ["clean", *ops, "mixed"]
    rng = random.Random(seed)
    sample = rng.sample(rows, min(per_kind, len(rows)))
    for r in sample[:20]:
        geocode(conn, r.full)  # warm the name cache and the plans
    print(f"{'':15s} geo.geocoder.geocode{'':15s}| PostGIS only: pg_trgm % over full_address")
    print(f"{'kind':9s} {'n':>5s} | {'top1':>6s} {'top5':>6s} {'p50 ms':>7s} {'p99 ms':>7s} | "
          f"{'n':>4s} {'top1':>6s} {'top5':>6s} {'p50 ms':>7s} {'p99 ms':>7s}")
    allt: list[float] = []
    noisy = [0, 0]
    for kind in kinds:
        g = random.Random(f"{seed}-{kind}")
        ours, peer, t_ours, t_peer = [0, 0], [0, 0], [], []
        for r in sample:
            q = make_query(r, kind, g, ops)
            t0 = time.perf_counter()
            res = geocode(conn, q)
            t_ours.append((time.perf_counter() - t0) * 1000)
            micro = [c.micro_grid_id for c in res.candidates]
            ours[0] += bool(micro) and micro[0] == r.micro
            if misses is not None and not (micro and micro[0] == r.micro):
                misses.append((kind, q, r.full))
            ours[1] += r.micro in micro
            if len(t_peer) >= peer_n:
                continue
            t0 = time.perf_counter()
            pm = list(conn.execute(_PEER, {"q": q}).scalars())
            t_peer.append((time.perf_counter() - t0) * 1000)
            peer[0] += bool(pm) and pm[0] == r.micro
            peer[1] += r.micro in pm
        n, pn = len(sample), max(len(t_peer), 1)
        allt += t_ours
        if kind != "clean":
            noisy[0] += ours[0]
            noisy[1] += n
        print(f"{kind:9s} {n:5d} | {ours[0] / n:6.1%} {ours[1] / n:6.1%} {_pct(t_ours, 50):7.2f} "
              f"{_pct(t_ours, 99):7.2f} | {len(t_peer):4d} {peer[0] / pn:6.1%} {peer[1] / pn:6.1%} "
              f"{_pct(t_peer, 50):7.2f} {_pct(t_peer, 99):7.2f}")
    print(f"all noisy kinds: top-1 {noisy[0] / noisy[1]:.1%}; every query: p50 "
          f"{_pct(allt, 50):.2f} ms, p99 {_pct(allt, 99):.2f} ms")


def held_out_doors(conn: Connection, rows: list[Row], n: int) -> None:
    """Each sampled stored door placed from its neighbours only: same micro-grid as stored?"""
    doors = random.Random(7).sample([r for r in rows if r.level == "door"], n)
    for label, anchored in (("anchored (ours)", True), ("spread evenly", False)):
        ok, times = 0, []
        for r in doors:
            t0 = time.perf_counter()
            dp = interpolate_doors(conn, [r.road], r.door, without_stored=True, anchored=anchored)
            chain = locate_chain(conn, dp[0].lon, dp[0].lat) if dp else None
            times.append((time.perf_counter() - t0) * 1000)
            ok += chain is not None and chain.micro_grid_id == r.micro
        print(f"door interpolation, stored point held out, {label:16s}: {ok / n:6.1%} in the "
              f"stored micro-grid (n={n}, p50 {_pct(times, 50):.2f} ms)")


def reverse_latency(conn: Connection, rows: list[Row], n: int) -> None:
    """Reverse geocoding of points scattered around the addresses: latency and what names them."""
    g = random.Random(5)
    pts = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM addresses ORDER BY id")).all()
    times, levels = [], {}
    for x, y in g.sample(pts, n):
        lon, lat = x + g.uniform(-0.0006, 0.0006), y + g.uniform(-0.0004, 0.0004)
        t0 = time.perf_counter()
        r = reverse_geocode(conn, lon, lat)
        times.append((time.perf_counter() - t0) * 1000)
        levels[r.level] = levels.get(r.level, 0) + 1
    named = ", ".join(f"{k} {v / n:.0%}" for k, v in sorted(levels.items()))
    print(f"reverse_geocode, {n} points within ~50 m of an address: p50 {_pct(times, 50):.2f} ms, "
          f"p99 {_pct(times, 99):.2f} ms; named by {named}")


def _bigrams(s: str) -> set[str]:
    return {s[i:i + 2] for i in range(len(s) - 1)}


_WORD_SIM = text("""SELECT key FROM search_names WHERE kind = 'road' AND NOT variant
                     ORDER BY word_similarity(key, :q) DESC, key LIMIT 5""")


def fuzzy_recall(conn: Connection, rows: list[Row], n: int) -> None:
    """Short road + number with one typo: is the right road first / in the first five?"""
    from geo.address import parse

    lex = lexicon(conn)
    pool = "".join(sorted({c for k in lex.by_key for c in k if "\u4e00" <= c <= "\u9fff"}))
    roads = sorted({k for k, es in lex.by_key.items() if any(e.kind == "road" for e in es)})
    grams = {k: _bigrams(k) for k in roads}
    g = random.Random(11)
    doors = g.sample([r for r in rows if r.level == "door"], n)
    hits = {"deletion index (ours)": [0, 0], "character bigrams": [0, 0],
            "pg_trgm word_similarity": [0, 0]}
    for r in doors:
        q = key(_typo(r.name, g, pool, set(lex.by_key)) + f"{r.door}号")
        truth = key(r.name)
        found = {
            "deletion index (ours)": [key(e.name) for e, _ in parse(q, lex).entries("road")],
            "character bigrams": sorted(roads, key=lambda k: (-len(grams[k] & _bigrams(q))
                                                              / len(grams[k]), k))[:5],
            "pg_trgm word_similarity": list(conn.execute(_WORD_SIM, {"q": q}).scalars()),
        }
        for m, keys in found.items():
            hits[m][0] += bool(keys) and keys[0] == truth
            hits[m][1] += truth in keys[:5]
    for m, (one, five) in hits.items():
        print(f"typo'd road + number, {m:24s}: right road first {one / n:6.1%}, "
              f"in top 5 {five / n:6.1%} (n={n})")


def main(size: str = "city", per_kind: int = 400, reuse: bool = False) -> None:
    settings = Settings.from_env()
    name = f"fq_bench_geocode_{size}"
    url = db.server_url(settings, name)
    engine = None
    if reuse:
        try:
            engine = db.make_engine(url)
            with engine.connect() as conn:
                lexicon(conn)
        except Exception:
            engine = None
    if engine is None:
        url = db.create_database(settings, name, drop_first=True)
        db.migrate(url)
        territory = cached_demo(settings.state_dir / "cache", size=size, say=lambda m: None)
        engine = db.make_engine(url)
        with engine.begin() as conn:
            load_territory(conn, territory)
            t0 = time.perf_counter()
            names = rebuild_search(conn)
            print(f"rebuild_search: {names} keys in {time.perf_counter() - t0:.2f} s")
    with engine.connect() as conn:
        rows = [Row(r) for r in conn.execute(_ROWS)]
        counts = {lv: sum(r.level == lv for r in rows) for lv in ("building", "door", "compound",
                                                                  "place", "road")}
        print(f"== {size}: {len(rows)} standard addresses {counts} ==")
        t0 = time.perf_counter()
        lex = Lexicon(name_rows(conn))
        print(f"name lexicon: {len(lex)} keys built in {(time.perf_counter() - t0) * 1000:.0f} ms "
              "(once per process after each rebuild_search)")
        run_sets(conn, rows, per_kind, seed=20261121, peer_n=min(per_kind, 120))
        held_out_doors(conn, rows, per_kind)
        reverse_latency(conn, rows, per_kind)
        fuzzy_recall(conn, rows, per_kind)
    engine.dispose()
    if not reuse:
        db.drop_database(settings, name)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    main(args[0] if args else "city", int(args[1]) if len(args) > 1 else 400,
         reuse="--reuse" in sys.argv)
