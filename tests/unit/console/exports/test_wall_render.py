"""The wall PNG degrades to a 503 that names what the server lacks (chromium, Playwright)."""

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from console.exports.wall_render import WallRenderer


def _renderer(chromium: Path) -> WallRenderer:
    app: Any = object()  # the renderer only keeps it until a render
    return WallRenderer(app, chromium=chromium)


def test_without_chromium_the_answer_names_it(tmp_path: Path):
    r = _renderer(tmp_path / "no-chromium")
    assert not r.available
    assert r.missing is not None and "chromium" in r.missing and str(tmp_path) in r.missing


def test_without_playwright_the_answer_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    browser = tmp_path / "chromium"
    browser.write_text("")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "playwright" else real(name, *a))
    r = _renderer(browser)
    assert not r.available
    assert r.missing is not None and "playwright" in r.missing and "chromium（" not in r.missing


def test_with_both_it_is_available(tmp_path: Path):
    browser = tmp_path / "chromium"
    browser.write_text("")
    r = _renderer(browser)
    assert r.available and r.missing is None
