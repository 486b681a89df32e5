"""The gazetteer's names in memory: exact lookup at a position, and names one edit away.

One edit (a wrong, missing or extra character) is found with a deletion index (the SymSpell
idea): every name is filed under itself and each copy of it with one character deleted; a
query string is looked up the same way, and the few keys that come back are checked with a
bounded edit distance. Recall for one edit is complete by construction, at any name length,
where trigram or bigram overlap loses short names (天山陆 shares no bigram with 天山路 but
the deletion 天山).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

MIN_FUZZY = 3  # shorter names are too easy to hit by chance


@dataclass(frozen=True)
class Entry:
    """One gazetteer name: kind (district/street/community/road/compound/place) and its ids."""

    kind: str
    ref_id: int
    name: str
    district_id: int | None = None
    street_id: int | None = None
    community_id: int | None = None


def one_edit(a: str, b: str) -> int | None:
    """0 if equal, 1 if one substitution/insertion/deletion apart, else None."""
    if a == b:
        return 0
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return None
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        return 1 if a[i + 1:] == b[i + 1:] else None
    return 1 if a[i:] == b[i + 1:] else None


def _deletions(s: str) -> Iterator[str]:
    for i in range(len(s)):
        yield s[:i] + s[i + 1:]


class Lexicon:
    """Keys (comparison forms of names and their variants) → entries.

    A variant key (街 for 街道, "… 小区") is dropped where it equals another name's own key.
    """

    def __init__(self, items: Iterable[tuple[str, Entry, bool]]):
        own: dict[str, list[Entry]] = {}
        variant: dict[str, list[Entry]] = {}
        self.by_ref: dict[tuple[str, int], Entry] = {}
        for k, entry, is_variant in items:
            if not k:
                continue
            bucket = (variant if is_variant else own).setdefault(k, [])
            if entry not in bucket:
                bucket.append(entry)
            if not is_variant:
                self.by_ref.setdefault((entry.kind, entry.ref_id), entry)
        merged = dict(variant)
        merged.update(own)
        self.variants = frozenset(variant) - frozenset(own)  # keys only a variant answers to
        self.by_key: dict[str, tuple[Entry, ...]] = {
            k: tuple(sorted(v, key=lambda e: (e.kind, e.ref_id))) for k, v in merged.items()}
        self.maxlen = max((len(k) for k in self.by_key), default=0)
        self._index: dict[str, set[str]] = {}
        for k in self.by_key:
            if len(k) < MIN_FUZZY:
                continue
            self._index.setdefault(k, set()).add(k)
            for d in _deletions(k):
                self._index.setdefault(d, set()).add(k)

    def __len__(self) -> int:
        return len(self.by_key)

    def exact(self, k: str) -> tuple[Entry, ...]:
        return self.by_key.get(k, ())

    def exact_at(self, text: str, i: int) -> Iterator[tuple[int, tuple[Entry, ...]]]:
        """Every name that starts at ``text[i]``: (end, entries)."""
        for j in range(i + 2, min(len(text), i + self.maxlen) + 1):
            found = self.by_key.get(text[i:j])
            if found:
                yield j, found

    def near(self, s: str) -> list[tuple[str, int]]:
        """Keys within one edit of ``s`` (itself included, at 0), sorted by edits then key."""
        if len(s) < MIN_FUZZY:
            return [(s, 0)] if s in self.by_key else []
        cands = set(self._index.get(s, ()))
        for d in _deletions(s):
            cands |= self._index.get(d, set())
        out = [(k, e) for k in cands if (e := one_edit(s, k)) is not None]
        return sorted(out, key=lambda ke: (ke[1], ke[0]))

    def fuzzy_spans(self, text: str, focus: set[int] | None = None
                    ) -> dict[int, list[tuple[int, list[str]]]]:
        """Keys one edit from a stretch of ``text`` touching ``focus``: start → [(end, keys)]."""
        out: dict[int, list[tuple[int, list[str]]]] = {}
        n = len(text)
        for i in range(n):
            for j in range(i + MIN_FUZZY, min(n, i + self.maxlen + 1) + 1):
                if focus is not None and not any(p in focus for p in range(i, j)):
                    continue
                keys = [k for k, edits in self.near(text[i:j]) if edits]
                if keys:
                    out.setdefault(i, []).append((j, keys))
        return out
