"""Answers kept until the cases change (console/api/analysis_cache.py)."""

from __future__ import annotations

from typing import Any

import pytest

from console.api import analysis_cache


class Engine:  # a stand-in the cache can hold weakly
    pass


def test_an_answer_is_rebuilt_only_when_the_case_signature_moves(
        monkeypatch: pytest.MonkeyPatch) -> None:
    cases = {"signature": (100, 1)}
    reads: list[int] = []

    def signature(conn: Any) -> tuple[int, int]:
        reads.append(1)
        return cases["signature"]

    monkeypatch.setattr(analysis_cache, "case_signature", signature)
    monkeypatch.setattr(analysis_cache, "SIGNATURE_S", 0.0)
    engine = Engine()
    builds: list[str] = []

    def build(key: str) -> Any:
        def run(conn: Any) -> dict[str, Any]:
            builds.append(key)
            return {"key": key, "n": len(builds)}
        return run

    first = analysis_cache.cached(engine, None, "a", build("a"))  # type: ignore[arg-type]
    assert analysis_cache.cached(engine, None, "a", build("a")) is first  # type: ignore[arg-type]
    other = analysis_cache.cached(engine, None, "b", build("b"))  # type: ignore[arg-type]
    assert other["key"] == "b" and builds == ["a", "b"]
    cases["signature"] = (101, 2)  # a new case
    again = analysis_cache.cached(engine, None, "a", build("a"))  # type: ignore[arg-type]
    assert again is not first and builds == ["a", "b", "a"]
    analysis_cache.forget(engine)  # type: ignore[arg-type]


def test_the_signature_is_read_once_per_interval_whichever_question_asks(
        monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[int] = []
    monkeypatch.setattr(analysis_cache, "case_signature", lambda conn: reads.append(1) or (1,))
    engine = Engine()
    for key in ("a", "b", "c", "a"):
        analysis_cache.cached(engine, None, key, lambda conn: {})  # type: ignore[arg-type]
    assert len(reads) == 1  # SIGNATURE_S (2 s) had not passed
    analysis_cache.forget(engine)  # type: ignore[arg-type]


def test_the_oldest_question_goes_past_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(analysis_cache, "case_signature", lambda conn: (1,))
    engine = Engine()
    builds: list[int] = []
    for n in range(analysis_cache.MAX_ANSWERS + 1):
        analysis_cache.cached(engine, None, n, lambda conn, n=n: builds.append(n) or {})  # type: ignore[arg-type,misc]
    analysis_cache.cached(engine, None, 0, lambda conn: builds.append(-1) or {})  # type: ignore[arg-type]
    assert builds[-1] == -1  # question 0 had been dropped: built again
    analysis_cache.forget(engine)  # type: ignore[arg-type]
