"""Hotspot answers from counts and geometries: Gi* per micro-grid or per square cell, per week.

Pure functions (no database): the caller brings the areas' polygons (shapely, WGS-84) or the
cases' points, and the counts; :mod:`analysis.queries` fetches them. Weights are built once per
set of areas and may be reused for every category, period and week (:class:`MicroGrids`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import shapely
from libpysal.graph import Graph
from libpysal.weights import W
from numpy.typing import ArrayLike
from shapely.geometry.base import BaseGeometry

from analysis import emerging as em
from analysis.gistar import CLASS_COLOURS, GiStar, gi_star, star_graph
from analysis.weights import CellGrid, cell_key, lattice_weights, queen_graph, queen_weights, utm_crs

CELL_SIZES = (250, 500)  # metres: the cell sizes the faces offer


@dataclass(frozen=True)
class MicroGrids:
    """The micro-grids of a study area with their queen weights (built once, reused): ``g``,
    the Gi* graph (self-weights included), at once; the ``W`` that emerging hotspots read only
    when first asked for (a city's costs seconds a report need not pay)."""

    ids: tuple[int, ...]
    polygons: tuple[BaseGeometry, ...]
    g: Graph = field(repr=False)  # queen graph with self-weights, ready for Gi*

    @classmethod
    def build(cls, ids: Sequence[int], polygons: Sequence[Any]) -> MicroGrids:
        return cls(tuple(int(i) for i in ids), tuple(polygons),
                   queen_graph(ids, polygons).assign_self_weight(1))

    @cached_property
    def w(self) -> W:
        """The binary queen ``W`` (:func:`analysis.weights.queen_weights`)."""
        return queen_weights(self.ids, self.polygons)

    def geojson(self) -> dict[object, dict[str, Any]]:
        return {i: shapely.geometry.mapping(shapely.set_precision(g, 1e-7))
                for i, g in zip(self.ids, self.polygons, strict=True)}


@dataclass(frozen=True)
class Cells:
    """Square cells covering a study area, with their lattice weights."""

    grid: CellGrid
    cells: np.ndarray
    w: W = field(repr=False)
    g: Graph = field(repr=False)

    @classmethod
    def build(cls, area: BaseGeometry, *, size_m: float = 250.0) -> Cells:
        if size_m <= 0:
            raise ValueError("size_m must be positive")
        c = area.centroid
        grid = CellGrid(float(size_m), utm_crs(c.x, c.y))
        cells = grid.cells_covering(area)
        if len(cells) == 0:  # a study area smaller than a cell: the cell of its centre
            cells = grid.cell_of(np.array([c.x]), np.array([c.y]))
        w = lattice_weights(cells)
        return cls(grid, cells, w, star_graph(w))

    def counts(self, lon: ArrayLike, lat: ArrayLike) -> dict[object, float]:
        """Cases per cell key; points outside the study area's cells are left out."""
        lons, lats = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        if len(lons) == 0:
            return {}
        keys, n = np.unique(self.grid.cell_of(lons, lats), axis=0,
                            return_counts=True)
        inside = set(self.w.id_order)
        out: dict[object, float] = {}
        for (c, r), k in zip(keys.tolist(), n.tolist(), strict=True):
            key = cell_key(c, r)
            if key in inside:
                out[key] = float(k)
        return out

    def geojson(self) -> dict[object, dict[str, Any]]:
        polys = self.grid.polygons(self.cells)
        return {cell_key(c, r): p for (c, r), p in zip(self.cells.tolist(), polys, strict=True)}


def features(result: GiStar, geometries: Mapping[object, dict[str, Any]], *,
             only_significant: bool = False) -> list[dict[str, Any]]:
    """GeoJSON features of a Gi* result: ``count``, ``z``, ``p``, ``class`` (-3 … 3), its Chinese
    ``label`` and ``colour``."""
    out = []
    for row in result.rows():
        if only_significant and row["class"] == 0:
            continue
        area = row["id"]
        out.append({"type": "Feature", "id": str(area), "geometry": geometries[area],
                    "properties": {**row, "colour": CLASS_COLOURS[int(str(row["class"]))]}})
    return out


def weekly(w: W, weeks: Sequence[Mapping[Any, float]], *, fdr_correct: bool = False
           ) -> tuple[np.ndarray, np.ndarray]:
    """(weeks × areas) Gi* classes and z-scores, one Gi* per week's counts (oldest first)."""
    graph = star_graph(w)
    results = [gi_star(dict(c), graph, fdr_correct=fdr_correct) for c in weeks]
    return (np.vstack([r.classes for r in results]), np.vstack([r.z for r in results]))


def emerging_features(w: W, weeks: Sequence[Mapping[Any, float]],
                      geometries: Mapping[object, dict[str, Any]], *, alpha: float = 0.05,
                      only_patterns: bool = True) -> list[dict[str, Any]]:
    """GeoJSON features of each area's emerging-hotspot pattern (:mod:`analysis.emerging`)."""
    classes, z = weekly(w, weeks)
    rows = em.emerging(list(w.id_order), classes, z, alpha=alpha)
    totals = np.sum([[float(c.get(i, 0.0)) for i in w.id_order] for c in weeks], axis=0)
    return [{"type": "Feature", "id": str(r["id"]), "geometry": geometries[r["id"]],
             "properties": {**r, "count": float(t), "colour": PATTERN_COLOURS[str(r["pattern"])]}}
            for r, t in zip(rows, totals, strict=True)
            if not only_patterns or r["pattern"] != "none"]


PATTERN_COLOURS: dict[str, str] = {
    "hot_new": "#ff7f00", "hot_consecutive": "#fb9a99", "hot_intensifying": "#b2182b",
    "hot_persistent": "#e31a1c", "hot_diminishing": "#fdbf6f", "hot_sporadic": "#fddbc7",
    "hot_oscillating": "#cab2d6", "hot_historical": "#bdbdbd",
    "cold_new": "#a6cee3", "cold_consecutive": "#92c5de", "cold_intensifying": "#2166ac",
    "cold_persistent": "#4393c3", "cold_diminishing": "#d1e5f0", "cold_sporadic": "#e0f3f8",
    "cold_oscillating": "#9e9ac8", "cold_historical": "#d9d9d9", "none": "#f7f7f7"}
