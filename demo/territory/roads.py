"""The illustrative road network: jittered arterials, local roads per superblock, a noded graph."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

from demo.territory.geometry import polygons_of
from demo.territory.names import ARTERIAL_NAMES, local_road_names

SPEED_MPS = {"primary": 16.7, "secondary": 13.9, "tertiary": 11.1, "residential": 8.3}


@dataclass
class RoadLine:
    """One named road as drawn: ``ref`` measures door numbers, ``geom`` is what enters the graph."""

    name: str
    road_class: str
    ref: LineString
    geom: BaseGeometry  # LineString or MultiLineString, metric


@dataclass
class RoadNet:
    """Noded road graph (metric) and the blocks it encloses with the district boundary."""

    boundary: Polygon
    lines: list[RoadLine]
    seg_geom: np.ndarray  # LineStrings, one per graph edge
    seg_line: np.ndarray  # index into lines
    source: np.ndarray  # node index per edge
    target: np.ndarray
    nodes: np.ndarray  # (n, 2) coordinates
    oneway: np.ndarray  # bool per edge
    superblocks: list[Polygon]
    blocks: list[Polygon]


def _polygonize(lines: np.ndarray) -> BaseGeometry:
    """The faces enclosed by noded lines, as one collection."""
    return shapely.GeometryCollection(list(shapely.get_parts(shapely.polygonize(lines))))


def _boundary(cx: float, cy: float, a: float, b: float, rot: float,
              rng: np.random.Generator) -> Polygon:
    """A smooth irregular oval: the district's outline."""
    th = np.linspace(0, 2 * np.pi, 96, endpoint=False)
    r = np.ones_like(th)
    for k in range(2, 6):
        r += rng.uniform(0.01, 0.05) * np.cos(k * th + rng.uniform(0, 2 * np.pi))
    u, v = a * r * np.cos(th), b * r * np.sin(th)
    return Polygon(np.column_stack(_rotate(u, v, rot, cx, cy)))


def _rotate(u: np.ndarray, v: np.ndarray, rot: float, cx: float, cy: float
            ) -> tuple[np.ndarray, np.ndarray]:
    c, s = np.cos(rot), np.sin(rot)
    return cx + u * c - v * s, cy + u * s + v * c


def _family(half_len: float, half_span: float, rng: np.random.Generator
            ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Parallel-ish wavy arterials ~700-1000 m apart, as (u, v) vertex arrays in a local frame."""
    out = []
    v0 = -half_span + rng.uniform(150, 450)
    while v0 < half_span - 150:
        u = np.arange(-half_len * 1.3, half_len * 1.3 + 1, 200.0)
        slope = np.tan(np.radians(rng.uniform(-4, 4)))
        amp, lam, ph = rng.uniform(0, 50), rng.uniform(2500, 6000), rng.uniform(0, 2 * np.pi)
        v = v0 + slope * u + amp * np.sin(2 * np.pi * u / lam + ph) + rng.normal(0, 4, u.size)
        out.append((u, v))
        v0 += rng.uniform(700, 1000)
    return out


def _arterials(cx: float, cy: float, a: float, b: float, rot: float,
               rng: np.random.Generator) -> list[RoadLine]:
    raw: list[tuple[np.ndarray, np.ndarray]] = []
    for u, v in _family(a, b, rng):  # east-west-ish
        raw.append((u, v))
    for u, v in _family(b, a, rng):  # north-south-ish
        raw.append((v, u))
    lines = [LineString(np.column_stack(_rotate(u, v, rot, cx, cy))) for u, v in raw]
    centre = shapely.Point(cx, cy)
    order = np.argsort([ln.distance(centre) for ln in lines], kind="stable")
    pool = [n for n in ARTERIAL_NAMES if n not in ("世纪大道", "塔河路")]
    out = []
    for rank, i in enumerate(order):
        cls = "primary" if rank < max(4, len(lines) // 3) else "secondary"
        out.append(RoadLine(pool[rank % len(pool)], cls, lines[i], lines[i]))
    # 世纪大道: a diagonal boulevard across the centre
    ang = rot + np.radians(45 + rng.uniform(-8, 8))
    off = rng.uniform(-250, 250)
    t = np.arange(-1.4 * max(a, b), 1.4 * max(a, b) + 1, 200.0)
    xs = cx + t * np.cos(ang) - off * np.sin(ang)
    ys = cy + t * np.sin(ang) + off * np.cos(ang)
    diag = LineString(np.column_stack([xs, ys + rng.normal(0, 3, t.size)]))
    out.append(RoadLine("世纪大道", "primary", diag, diag))
    # 塔河路: a road that follows a river's curve, between two east-west arterials
    u = np.arange(-a * 1.3, a * 1.3 + 1, 100.0)
    v = rng.uniform(-0.2, 0.2) * b + 220 * np.sin(2 * np.pi * u / rng.uniform(3000, 4500))
    curve = LineString(np.column_stack(_rotate(u, v, rot, cx, cy)))
    out.append(RoadLine("塔河路", "secondary", curve, curve))
    return out


def _locals_in(block: Polygon, rng: np.random.Generator) -> list[LineString]:
    """Local roads ~150-250 m apart inside one superblock, aligned with its long side."""
    c = shapely.get_coordinates(shapely.minimum_rotated_rectangle(block))
    axes = [c[1] - c[0], c[2] - c[1]]
    centre = np.asarray(block.centroid.coords[0])
    pts = np.asarray(block.exterior.coords)
    out: list[LineString] = []
    for k, ax in enumerate(axes):
        n = float(np.hypot(*ax))
        if n < 1:
            continue
        ax = ax / n
        other = axes[1 - k] / max(float(np.hypot(*axes[1 - k])), 1e-9)
        proj = (pts - centre) @ ax
        lo, hi = float(proj.min()), float(proj.max())
        span = (pts - centre) @ other
        s_lo, s_hi = float(span.min()) - 20, float(span.max()) + 20
        spacing = rng.uniform(150, 250)
        t = lo + spacing * rng.uniform(0.7, 1.0)
        while t < hi - 0.6 * spacing:
            tt = t + rng.uniform(-25, 25)
            s = np.linspace(s_lo, s_hi, max(3, int((s_hi - s_lo) / 40)))
            bend = (rng.uniform(15, 35) * np.sin(np.pi * (s - s_lo) / (s_hi - s_lo))
                    if rng.random() < 0.12 else 0.0)
            xy = centre + np.outer(tt + bend, ax) + np.outer(s, other)
            out.append(LineString(xy))
            t += spacing
    return out


def build_roads(*, cx: float, cy: float, a: float, b: float, rng: np.random.Generator,
                drop: float = 0.1) -> RoadNet:
    """Draw the network, node it, drop some local segments, keep the largest component."""
    rot = np.radians(rng.uniform(-15, 15))
    boundary = _boundary(cx, cy, a, b, rot, rng)
    arterials = _arterials(cx, cy, a, b, rot, rng)
    ring = boundary.exterior
    art_noded = shapely.unary_union(np.asarray([ln.geom for ln in arterials] + [ring], dtype=object))
    superblocks = [p for p in polygons_of(_polygonize(shapely.get_parts(art_noded)))
                   if boundary.contains(p.representative_point())]
    local_refs: list[LineString] = []
    local_geoms: list[BaseGeometry] = []
    for sb in superblocks:
        if sb.area < 60_000:
            continue
        grown = sb.buffer(0.5)
        for ln in _locals_in(sb, rng):
            g = ln.intersection(grown)
            if g.length > 40:
                local_refs.append(ln)
                local_geoms.append(g)
    names = local_road_names(len(local_refs), rng=rng, taken={x.name for x in arterials})
    lines = list(arterials)
    for ref, g, nm in zip(local_refs, local_geoms, names, strict=True):
        cls = "tertiary" if rng.random() < 0.15 else "residential"
        lines.append(RoadLine(nm, cls, ref, g))

    sources = np.asarray([ln.geom for ln in lines] + [ring], dtype=object)
    noded = shapely.get_parts(shapely.unary_union(sources))
    mids = shapely.line_interpolate_point(noded, 0.5, normalized=True)
    hit_seg, hit_src = shapely.STRtree(sources).query(mids, predicate="dwithin", distance=0.01)
    order = np.lexsort((-hit_src, hit_seg))  # per segment, the lowest source (arterials) last
    seg_src = np.full(len(noded), -1)
    seg_src[hit_seg[order]] = hit_src[order]
    ring_ix = len(lines)
    ring_segs = noded[seg_src == ring_ix]
    inside = shapely.contains_xy(boundary, *shapely.get_coordinates(mids).T)
    lengths = shapely.length(noded)
    is_local = seg_src >= len(arterials)
    keep = inside & (seg_src >= 0) & (seg_src < ring_ix) & ~(is_local & (lengths < 2.5))
    keep &= ~(is_local & (rng.random(len(noded)) < drop))
    segs, seg_line = noded[keep], seg_src[keep]

    ends = np.vstack([shapely.get_coordinates(shapely.get_point(segs, 0)),
                      shapely.get_coordinates(shapely.get_point(segs, -1))])
    uniq, inv = np.unique(np.round(ends, 4), axis=0, return_inverse=True)
    inv = inv.ravel()
    src, tgt = inv[: len(segs)], inv[len(segs):]
    graph = coo_matrix((np.ones(len(segs)), (src, tgt)), shape=(len(uniq), len(uniq)))
    _, comp = connected_components(graph, directed=False)
    main = np.bincount(comp).argmax()
    ok = (comp[src] == main) & (src != tgt)
    segs, seg_line, src, tgt = segs[ok], seg_line[ok], src[ok], tgt[ok]
    used = np.unique(np.concatenate([src, tgt]))
    remap = np.full(len(uniq), -1)
    remap[used] = np.arange(len(used))

    faces = polygons_of(_polygonize(np.concatenate([segs, ring_segs])))
    blocks = [f for f in faces if boundary.contains(f.representative_point())]
    classes = np.array([lines[i].road_class for i in seg_line])
    oneway = (classes == "residential") & (rng.random(len(segs)) < 0.04)
    return RoadNet(boundary=boundary, lines=lines, seg_geom=segs, seg_line=seg_line,
                   source=remap[src], target=remap[tgt], nodes=uniq[used], oneway=oneway,
                   superblocks=superblocks, blocks=blocks)
