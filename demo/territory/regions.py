"""Contiguous regions of blocks: seeded, quota-balanced region growing over the adjacency graph."""

from __future__ import annotations

import numpy as np
from scipy.cluster.vq import kmeans2


def grow_regions(*, neighbours: list[set[int]], weights: np.ndarray, centroids: np.ndarray,
                 seeds: list[int], quotas: np.ndarray) -> np.ndarray:
    """Label every item with a region grown from its seed, through neighbours only.

    At each step the region furthest below its quota takes the unlabelled neighbour nearest its
    seed, so regions stay contiguous and roughly compact. Items unreachable from any seed (not
    expected) go to the region of the nearest labelled item.
    """
    n, k = len(weights), len(seeds)
    label = np.full(n, -1)
    filled = np.zeros(k)
    frontier: list[set[int]] = [set() for _ in range(k)]
    for r, s in enumerate(seeds):
        label[s] = r
        filled[r] += weights[s]
    for r, s in enumerate(seeds):
        frontier[r] = {j for j in neighbours[s] if label[j] < 0}
    seed_xy = centroids[seeds]
    left = n - k
    while left > 0:
        chosen = -1
        for r in np.argsort(filled / quotas, kind="stable"):
            frontier[r] = {j for j in frontier[r] if label[j] < 0}
            if frontier[r]:
                chosen = int(r)
                break
        if chosen < 0:
            break
        cand = sorted(frontier[chosen])
        d = np.hypot(*(centroids[cand] - seed_xy[chosen]).T)
        i = cand[int(np.argmin(d))]
        label[i] = chosen
        filled[chosen] += weights[i]
        frontier[chosen] |= {j for j in neighbours[i] if label[j] < 0}
        left -= 1
    for lost in np.flatnonzero(label < 0):
        done = np.flatnonzero(label >= 0)
        label[lost] = label[done[np.argmin(np.hypot(*(centroids[done] - centroids[lost]).T))]]
    return label


def kmeans_seeds(centroids: np.ndarray, weights: np.ndarray, k: int,
                 rng: np.random.Generator) -> list[int]:
    """``k`` distinct items nearest the centres of a (weight-replicated) k-means of centroids."""
    if k >= len(centroids):
        return list(range(len(centroids)))
    # replicate heavy items so dense areas attract more centres
    reps = np.clip(np.rint(weights / weights.mean() * 2), 1, 8).astype(int)
    pts = np.repeat(centroids, reps, axis=0)
    centres, _ = kmeans2(pts, k, minit="++", seed=rng)
    seeds: list[int] = []
    for c in centres:
        order = np.argsort(np.hypot(*(centroids - c).T), kind="stable")
        seeds.append(int(next(i for i in order if i not in seeds)))
    return seeds


def nearest_seeds(centroids: np.ndarray, targets: np.ndarray) -> list[int]:
    """For each target point the nearest item, all distinct."""
    seeds: list[int] = []
    for c in targets:
        order = np.argsort(np.hypot(*(centroids - c).T), kind="stable")
        seeds.append(int(next(i for i in order if i not in seeds)))
    return seeds


def reading_order(points: np.ndarray, *, rows: int) -> np.ndarray:
    """Indices of points ordered north to south in ``rows`` bands, west to east in each."""
    y = points[:, 1]
    band = np.minimum(((y.max() - y) / max(np.ptp(y), 1e-9) * rows).astype(int), rows - 1)
    return np.lexsort((points[:, 0], band))
