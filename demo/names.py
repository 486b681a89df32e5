"""Made-up person names and well-formed fake phone numbers for the demo data, vectorised."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

import numpy as np

from geo.settings import PROJECT_ROOT

NAMES_FILE = PROJECT_ROOT / "data" / "person_names.json"

# Name styles: Han names for most people, Uyghur and Kazakh names for those languages.
HAN, UYGHUR, KAZAKH = 0, 1, 2


@lru_cache(maxsize=1)
def _lists() -> dict[str, Any]:
    with NAMES_FILE.open(encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def style_for_languages(languages: np.ndarray) -> np.ndarray:
    """Name style per person from their (first non-Mandarin) language code."""
    out = np.full(len(languages), HAN, dtype=np.int8)
    out[languages == "uyghur"] = UYGHUR
    out[languages == "kazakh"] = KAZAKH
    return out


def _han(rng: np.random.Generator, n: int, female: np.ndarray) -> np.ndarray:
    d = _lists()
    surnames = np.array([s for s, _ in d["surnames"]], dtype=object)
    w = np.array([float(c) for _, c in d["surnames"]])
    sur = surnames[rng.choice(len(surnames), size=n, p=w / w.sum())]
    male = np.array(d["given_male"], dtype=object)
    fem = np.array(d["given_female"], dtype=object)
    pool_m1, pool_m2 = male[rng.integers(0, len(male), n)], male[rng.integers(0, len(male), n)]
    pool_f1, pool_f2 = fem[rng.integers(0, len(fem), n)], fem[rng.integers(0, len(fem), n)]
    first = np.where(female, pool_f1, pool_m1)
    second = np.where(female, pool_f2, pool_m2)
    two = rng.random(n) < 0.7  # most given names have two characters
    given = np.where(two, first + second, first)
    result: np.ndarray = sur + given
    return result


def _turkic(rng: np.random.Generator, n: int, female: np.ndarray, key: str) -> np.ndarray:
    d = _lists()
    male = np.array(d[f"{key}_male"], dtype=object)
    fem = np.array(d[f"{key}_female"], dtype=object)
    own = np.where(female, fem[rng.integers(0, len(fem), n)], male[rng.integers(0, len(male), n)])
    father = male[rng.integers(0, len(male), n)]  # patronymic: the father's given name
    result: np.ndarray = own + "·" + father
    return result


def person_names(rng: np.random.Generator, n: int, *,
                 styles: np.ndarray | None = None,
                 female_share: float | np.ndarray = 0.5) -> np.ndarray:
    """``n`` made-up names (object array); ``styles`` picks Han / Uyghur / Kazakh per person."""
    female = rng.random(n) < female_share
    out = _han(rng, n, female)
    if styles is not None:
        for style, key in ((UYGHUR, "uyghur"), (KAZAKH, "kazakh")):
            idx = np.flatnonzero(styles == style)
            if len(idx):
                out[idx] = _turkic(rng, len(idx), female[idx], key)
    return out


def fake_phones(rng: np.random.Generator, n: int, *, unique: bool = False) -> np.ndarray:
    """Mobile numbers of the right shape, all in the 13900 block so they read as demo data."""
    digits = (rng.choice(1_000_000, size=n, replace=False) if unique
              else rng.integers(0, 1_000_000, n))
    return np.array([f"13900{d:06d}" for d in digits.tolist()], dtype=object)
