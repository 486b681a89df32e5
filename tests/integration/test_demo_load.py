"""Loading the demo: refused over a case history (the audit log is append-only), nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, text

from demo import __main__ as entry
from demo import load, seed
from demo.errors import DemoRefused


class Generating(Exception):
    """Raised by the stand-in generator: the load got past its checks."""


def _no_generation(*_a: Any, **_k: Any) -> Any:
    raise Generating


def _counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (conn.scalar(text("SELECT count(*) FROM grids")) or 0,
                conn.scalar(text("SELECT count(*) FROM audit_log")) or 0)


def _audit(engine: Engine, entity: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit_log (actor, action, entity, entity_id, to_state) "
                          "VALUES ('test', 'register', :e, 1, 'registered')"), {"e": entity})


def test_a_reload_over_a_case_history_is_refused_and_writes_nothing(
        settings, empty_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seed, "cached_demo", _no_generation)
    _audit(empty_engine, "incident")
    before = _counts(empty_engine)
    url = empty_engine.url.render_as_string(hide_password=False)
    with pytest.raises(DemoRefused) as refused:
        load.ensure_demo_loaded(settings, url, size="demo", seed=1, force=True)
    assert "1 条案件审计记录" in str(refused.value) and "FQ_DB_NAME=" in str(refused.value)
    assert "append-only" in str(refused.value)
    assert _counts(empty_engine) == before


def test_other_audit_rows_do_not_stop_a_first_load(settings, empty_engine: Engine,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(seed, "cached_demo", _no_generation)
    _audit(empty_engine, "account")  # e.g. ./run create-admin before the first ./run demo
    url = empty_engine.url.render_as_string(hide_password=False)
    with pytest.raises(Generating):
        load.ensure_demo_loaded(settings, url, size="demo", seed=1, force=True)


def test_run_generate_says_why_and_how_to_start_afresh(
        empty_engine: Engine, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(seed, "cached_demo", _no_generation)
    _audit(empty_engine, "incident")
    url = empty_engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("FQ_DB_NAME", str(empty_engine.url.database))
    assert entry.main(["generate", "--seed", "3"]) == 1
    err = capsys.readouterr().err
    assert f"数据库 {empty_engine.url.database} 已有 1 条案件审计记录" in err
    assert "FQ_DB_NAME=NEW_NAME ./run generate" in err
