"""``python -m demo``: its verbs and options, and a bad setting stopping it before the database."""

from __future__ import annotations

from typing import Any

import pytest

from demo import __main__ as entry
from demo import load


def test_the_verbs_keep_the_options_of_run_generate() -> None:
    args = entry.build_parser().parse_args(["generate", "--size", "city", "--seed", "7"])
    assert (args.verb, args.size, args.seed) == ("generate", "city", 7)
    args = entry.build_parser().parse_args(["generate", "--size", "province"])
    assert args.size == "province"
    args = entry.build_parser().parse_args(["generate"])
    assert (args.size, args.seed) == ("demo", 20261121)
    with pytest.raises(SystemExit):
        entry.build_parser().parse_args(["generate", "--size", "town"])


def test_a_bad_setting_stops_before_any_database_work(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    def no_db(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the database must not be touched")

    monkeypatch.setattr(load.db, "ready_database", no_db)
    monkeypatch.setenv("FQ_SEED", "twelve")
    assert entry.main(["load"]) == 2
    assert "twelve" in capsys.readouterr().err


def test_load_and_generate_hand_the_settings_on(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(load.db, "ready_database", lambda settings: "postgresql://x/y")
    monkeypatch.setattr(load, "ensure_demo_loaded",
                        lambda settings, url, **kw: calls.append((url, kw)))
    monkeypatch.setenv("FQ_TERRITORY", "city")
    monkeypatch.setenv("FQ_SEED", "5")
    assert entry.main(["load"]) == 0
    assert entry.main(["generate", "--seed", "9"]) == 0
    assert calls == [("postgresql://x/y", {"size": "city", "seed": 5}),
                     ("postgresql://x/y", {"size": "demo", "seed": 9, "force": True})]
