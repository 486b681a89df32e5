"""Where demo disputes happen: hotspot communities and compounds, located in every layer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from demo.spatial import frame, geoms, locate, locator, nearest, points_inside, xy
from geo.locate import Locator
from geo.territory import Territory

JITTER_DEG = 6e-5  # a few metres around a building's point: the door, the stairwell, the yard
CHAIN = (("street_id", "street"), ("community_id", "community"), ("grid_id", "grid"),
         ("micro_grid_id", "micro_grid"), ("police_grid_id", "police_grid"))


@dataclass
class Places:
    """Sampled points with the anchor (building or address) each came from and its chain."""

    x: np.ndarray
    y: np.ndarray
    anchor: np.ndarray
    chain: dict[str, np.ndarray]  # column -> id (-1 when outside the layer)
    address: np.ndarray


def _anchors(rng: np.random.Generator, territory: Territory, loc: Locator,
             comms: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Anchor points (x, y, community id, group for hotspots) from buildings or addresses."""
    src = frame(territory, "buildings")
    if src is None:
        src = frame(territory, "addresses")
    if src is not None:
        ax, ay = xy(src)
        group = (src["compound_id"].fillna(-1).to_numpy(dtype=np.int64)
                 if "compound_id" in src else np.full(len(src), -1, dtype=np.int64))
    else:
        ax = ay = np.empty(0)
        group = np.empty(0, dtype=np.int64)
    comm = locate(loc, ax, ay, "community")
    keep = comm >= 0
    ax, ay, comm, group = ax[keep], ay[keep], comm[keep], group[keep]
    # communities with nothing on the map get a dozen points anywhere inside
    empty = ~comms["id"].isin(np.unique(comm)).to_numpy()
    if empty.any():
        polys = np.repeat(geoms(comms)[empty], 12)
        ex, ey = points_inside(rng, polys)
        ax, ay = np.r_[ax, ex], np.r_[ay, ey]
        comm = np.r_[comm, np.repeat(comms["id"].to_numpy()[empty], 12)]
        group = np.r_[group, np.full(len(ex), -1, dtype=np.int64)]
    return ax, ay, comm, group


def _weights(rng: np.random.Generator, comms: pd.DataFrame, comm: np.ndarray,
             group: np.ndarray) -> np.ndarray:
    """Heavy-tailed weights: a few hotspot communities and, inside them, hotspot compounds."""
    households = (pd.to_numeric(comms["households"], errors="coerce").fillna(1000).to_numpy()
                  if "households" in comms else np.full(len(comms), 1000.0))
    w_comm = rng.lognormal(0.0, 0.75, len(comms)) * np.sqrt(np.maximum(households, 1))
    pos = pd.Index(comms["id"].to_numpy()).get_indexer(comm)
    per_comm = np.bincount(pos, minlength=len(comms)).astype(float)
    w = w_comm[pos] / per_comm[pos] * rng.lognormal(0.0, 0.4, len(comm))
    ug, inv = np.unique(group, return_inverse=True)
    w_group = rng.lognormal(0.0, 0.75, len(ug))
    w_group[ug < 0] = 1.0
    result: np.ndarray = w * w_group[inv]
    return result


def sample_places(rng: np.random.Generator, territory: Territory, n: int) -> Places:
    """``n`` dispute locations, clustered, each located in every layer and given an address."""
    comms = territory["communities"].sort_values("id").reset_index(drop=True)
    loc = locator(territory)
    ax, ay, acomm, group = _anchors(rng, territory, loc, comms)
    w = _weights(rng, comms, acomm, group)
    anchor = rng.choice(len(ax), size=n, p=w / w.sum())
    x = ax[anchor] + rng.normal(0.0, JITTER_DEG, n)
    y = ay[anchor] + rng.normal(0.0, JITTER_DEG, n)
    comm = locate(loc, x, y, "community")
    back = comm != acomm[anchor]  # jittered out of its community: stay on the anchor
    x[back], y[back] = ax[anchor[back]], ay[anchor[back]]
    chain = {col: locate(loc, x, y, level) for col, level in CHAIN}
    addrs = frame(territory, "addresses")
    if addrs is not None:
        address = addrs["full_address"].to_numpy(dtype=object)[nearest(x, y, addrs)]
    else:
        names = dict(zip(comms["id"], comms["name"], strict=True))
        address = np.array([f"{names.get(c, '')}辖区" for c in chain["community_id"].tolist()],
                           dtype=object)
    return Places(x=x, y=y, anchor=anchor, chain=chain, address=address)


def take(p: Places, idx: np.ndarray) -> Places:
    """The places reordered or repeated by ``idx`` (a repeat dispute is where its first was)."""
    return Places(x=p.x[idx], y=p.y[idx], anchor=p.anchor[idx],
                  chain={k: v[idx] for k, v in p.chain.items()}, address=p.address[idx])
