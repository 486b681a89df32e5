"""Travel time from units to an incident behind a small Protocol; a straight-line stand-in.

The road-network provider lives in :mod:`dispatch.adapters.road_eta` (geo.routing); tests and
deployments without roads use :class:`StraightLineEta`, whose answers are flagged as estimates.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np
from numpy.typing import NDArray

_R = 6_371_008.8


class Eta(NamedTuple):
    """Seconds and metres of one unit's way; ``method``: road | straight_line | unreachable.

    A named tuple: a city recommendation makes thousands per request, and these cost a third
    of a frozen dataclass and nothing to the garbage collector."""

    seconds: float
    metres: float
    method: str = "road"


class EtaProvider(Protocol):
    def etas_to(self, origins: Sequence[tuple[float, float]], on_foot: Sequence[bool],
                destination: tuple[float, float]) -> list[Eta]:
        """One ETA per origin (lon, lat) to ``destination`` (lon, lat), in order."""
        ...


@dataclass(frozen=True, eq=False)
class EtaColumns:
    """Many ETAs as arrays (seconds, metres, method), in the origins' order."""

    seconds: NDArray[np.float64]
    metres: NDArray[np.float64]
    method: NDArray[np.str_]

    @classmethod
    def of(cls, etas: Sequence[Eta]) -> EtaColumns:
        return cls(np.array([e.seconds for e in etas], dtype=float),
                   np.array([e.metres for e in etas], dtype=float),
                   np.array([e.method for e in etas], dtype=np.str_))

    def at(self, k: int) -> Eta:
        return Eta(float(self.seconds[k]), float(self.metres[k]), str(self.method[k]))

    def by_id(self, ids: Sequence[int] | NDArray[np.int64]) -> Mapping[int, Eta]:
        """The row of each id (unique) as an :class:`Eta`, made only when asked for."""
        return _ById(self, np.asarray(ids, dtype=np.int64))


class _ById(Mapping[int, Eta]):
    """Looked up by a sorted search: a recommendation asks for a few dozen of many thousand
    rows, and a dict of them all cost ~11 ms at province scale."""

    def __init__(self, cols: EtaColumns, ids: NDArray[np.int64]) -> None:
        self._cols, self._ids = cols, ids
        ascending = ids.size < 2 or bool((ids[1:] > ids[:-1]).all())
        self._order = None if ascending else np.argsort(ids, kind="stable")
        self._sorted = ids if self._order is None else ids[self._order]

    def __getitem__(self, key: int) -> Eta:
        k = int(np.searchsorted(self._sorted, key))
        if k >= self._sorted.size or self._sorted[k] != key:
            raise KeyError(key)
        return self._cols.at(k if self._order is None else int(self._order[k]))

    def __iter__(self) -> Iterator[int]:
        return iter(self._ids.tolist())

    def __len__(self) -> int:
        return int(self._ids.size)


def eta_columns(provider: EtaProvider, origins: NDArray[np.float64], on_foot: NDArray[np.bool_],
                destination: tuple[float, float], *, within_s: float | None = None
                ) -> EtaColumns:
    """ETAs from each (lon, lat) row of ``origins`` as columns: the provider's own array path
    when it has one (``eta_columns``), else its ``etas_to`` list.

    ``within_s``: only times up to that many seconds are wanted. Every row whose ETA is within
    it is then exactly the unbounded answer; every other row is ``inf`` with method
    ``"beyond"`` (a provider with a bounded path, e.g. the road graphs', does less work)."""
    fast = getattr(provider, "eta_columns", None)
    if fast is not None and within_s is not None and _takes_bound(fast):
        got: EtaColumns = fast(origins, on_foot, destination, within_s=within_s)
        return got
    if fast is not None:
        got = fast(origins, on_foot, destination)
    else:
        got = EtaColumns.of(provider.etas_to([(float(x), float(y)) for x, y in origins.tolist()],
                                             on_foot.tolist(), destination))
    if within_s is None:
        return got
    past = ~(got.seconds <= within_s)
    return EtaColumns(np.where(past, np.inf, got.seconds), np.where(past, np.inf, got.metres),
                      np.where(past, "beyond", got.method).astype(np.str_))


def _takes_bound(fn: Callable[..., object]) -> bool:
    return "within_s" in inspect.signature(fn).parameters


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * _R * math.asin(math.sqrt(h))


@dataclass(frozen=True)
class StraightLineEta:
    """Great-circle distance × detour at a fixed speed: a stated estimate, never a road time."""

    drive_mps: float = 8.3
    walk_mps: float = 1.3
    detour: float = 1.3

    def etas_to(self, origins: Sequence[tuple[float, float]], on_foot: Sequence[bool],
                destination: tuple[float, float]) -> list[Eta]:
        out = []
        for origin, foot in zip(origins, on_foot, strict=True):
            metres = haversine_m(origin, destination) * self.detour
            out.append(Eta(metres / (self.walk_mps if foot else self.drive_mps), metres,
                           "straight_line"))
        return out
