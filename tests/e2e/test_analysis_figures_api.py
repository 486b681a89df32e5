"""研判 figures over a chosen period: 环比/同比, breakdowns and the fair ranking on the demo, cut to
the reader's street, another street refused (403, audited), staff names masked for leaders, bad
parameters refused naming their field."""

from __future__ import annotations

import urllib.parse

import pytest

from tests.e2e.sec_http import call

A = "/api/v1/analysis"
NOV = "from=2026-11-01&to=2026-11-30"


@pytest.fixture(scope="module")
def streets(live_server: str) -> tuple[int, int]:
    _, me1, _ = call("GET", f"{live_server}/api/v1/auth/me", user="dispatcher1")
    _, me2, _ = call("GET", f"{live_server}/api/v1/auth/me", user="dispatcher2")
    return int(me1["street_id"]), int(me2["street_id"])


def test_a_month_against_the_month_before_adds_up(live_server: str) -> None:
    status, got, _ = call("GET", f"{live_server}{A}/figures?{NOV}&compare=prev&by=street",
                          user="duty")
    assert status == 200, got
    cur, base = got["current"], got["base"]
    assert got["period"]["label"] == "2026年11月" and got["against_label"] == "环比"
    assert base["period"] == {"from": "2026-10-01", "to": "2026-10-31", "days": 31,
                              "label": "2026年10月"}
    assert cur["received"] > 100 and base["received"] > 100
    assert got["change"]["received"]["abs"] == cur["received"] - base["received"]
    assert sum(c["count"] for c in cur["by_channel"]) == cur["received"]
    assert cur["success"] <= cur["done"] and cur["overdue"] == cur["due"] - cur["on_time"]
    rows = got["breakdown"]
    assert rows and sum(r["received"] for r in rows) == cur["received"]
    assert sum(r["done"] for r in rows) == cur["done"]
    status, yoy, _ = call("GET", f"{live_server}{A}/figures?{NOV}&compare=yoy", user="duty")
    assert status == 200 and yoy["base"]["period"]["from"] == "2025-11-01"
    assert yoy["current"] == cur and yoy["breakdown"] is None


def test_the_ranking_states_its_method_and_its_minimum(live_server: str) -> None:
    status, got, _ = call("GET", f"{live_server}{A}/ranking?{NOV}", user="leader")
    assert status == 200 and got["by"] == "street" and "不按数量" in got["method"]
    assert got["ranked"], got
    assert all(r["received"] >= got["min_cases"] for r in got["ranked"])
    assert all(r["reason"] for r in got["unranked"])
    scores = [r["score"] for r in got["ranked"]]
    assert scores == sorted(scores, reverse=True)


def test_a_street_dispatcher_gets_only_their_street(live_server: str, streets) -> None:
    s1, _ = streets
    _, city, _ = call("GET", f"{live_server}{A}/figures?{NOV}", user="duty")
    status, mine, _ = call("GET", f"{live_server}{A}/figures?{NOV}&by=street", user="dispatcher1")
    assert status == 200 and mine["scope"]["street"] == s1 and mine["scope"]["level"] == "street"
    assert 0 < mine["current"]["received"] < city["current"]["received"]
    assert [r["key"] for r in mine["breakdown"]] == [s1]
    _, rank, _ = call("GET", f"{live_server}{A}/ranking?{NOV}", user="dispatcher1")
    assert rank["by"] == "community" and rank["scope"]["street"] == s1


@pytest.mark.parametrize("path", ["figures", "ranking"])
def test_another_street_is_refused_and_audited(live_server: str, streets, path: str) -> None:
    _, s2 = streets
    status, body, _ = call("GET", f"{live_server}{A}/{path}?street={s2}&{NOV}", user="dispatcher1")
    assert status == 403 and "辖区" in body["error"]["message"]
    q = urllib.parse.urlencode({"actor": "dispatcher1", "action": "permission_denied"})
    status, trail, _ = call("GET", f"{live_server}/api/v1/admin/audit?{q}", user="admin")
    assert status == 200
    assert any(r["detail"].get("path") == f"{A}/{path}" for r in trail["items"])
    assert call("GET", f"{live_server}{A}/{path}", user="field1")[0] == 403


def test_staff_names_are_masked_for_leaders(live_server: str) -> None:
    q = f"{live_server}{A}/figures?{NOV}&by=mediator"
    _, duty, _ = call("GET", q, user="duty")
    _, leader, _ = call("GET", q, user="leader")
    assert duty["breakdown"] and len(duty["breakdown"]) == len(leader["breakdown"])
    assert all("*" not in r["name"] for r in duty["breakdown"])
    assert all(r["name"].endswith("**") for r in leader["breakdown"])
    assert [r["received"] for r in duty["breakdown"]] == [r["received"] for r in leader["breakdown"]]


@pytest.mark.parametrize("query", ["from=2026-13-01", "to=yesterday", "compare=mom", "by=town",
                                   "from=2026-12-01&to=2026-11-01", "from=2024-01-01&to=2025-06-01",
                                   "category=nothing", "from=1999-12-31",
                                   "from=2000-01-01&to=2000-01-31&compare=prev",
                                   "from=2000-03-01&to=2000-03-05&compare=yoy"])
def test_bad_parameters_are_named(live_server: str, query: str) -> None:
    status, body, _ = call("GET", f"{live_server}{A}/figures?{query}", user="duty")
    assert status == 400 and body["error"]["field"] in query and body["error"]["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["error"]["message"])


def test_the_ranking_refuses_a_breakdown_it_cannot_rank(live_server: str) -> None:
    status, body, _ = call("GET", f"{live_server}{A}/ranking?by=channel", user="duty")
    assert status == 400 and body["error"]["field"] == "by"


def undocumented(model: object, path: str = "") -> list[str]:
    """Fields of an answer its OpenAPI model does not name (``extra`` kept by the models)."""
    from pydantic import BaseModel

    if isinstance(model, BaseModel):
        out = [f"{path}.{k}" for k in model.__pydantic_extra__ or {}]
        for name in type(model).model_fields:
            out += undocumented(getattr(model, name), f"{path}.{name}")
        return out
    if isinstance(model, list):
        return [m for i, item in enumerate(model) for m in undocumented(item, f"{path}[{i}]")]
    if isinstance(model, dict):
        return [m for k, v in model.items() for m in undocumented(v, f"{path}.{k}")]
    return []


def test_the_answers_are_the_documented_models(live_server: str) -> None:
    """GET /analysis/figures, /ranking and /reports answer what OpenAPI documents: every field
    named with its type, none left out (the models allow extra fields, so check that here)."""
    from console.api.openapi import document
    from console.api.schemas_analysis import FiguresOut, RankingOut, ReportsOut

    paths = document()["paths"]
    for path, model in ((f"{A}/figures", FiguresOut), (f"{A}/ranking", RankingOut),
                        ("/api/v1/reports", ReportsOut)):
        ok = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{model.__name__}"}
    asks = [(FiguresOut, f"{A}/figures?{NOV}&compare={c}&by={by}")
            for c, by in (("prev", "street"), ("yoy", "unit"), ("prev", "category"))]
    asks += [(FiguresOut, f"{A}/figures?{NOV}"), (RankingOut, f"{A}/ranking?{NOV}"),
             (RankingOut, f"{A}/ranking?{NOV}&by=mediator"), (ReportsOut, "/api/v1/reports")]
    for model, path in asks:
        status, got, _ = call("GET", f"{live_server}{path}", user="duty")
        assert status == 200, (path, got)
        assert undocumented(model.model_validate(got)) == [], path
