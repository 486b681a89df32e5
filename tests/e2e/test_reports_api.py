"""研判报告 over HTTP: made on demand for a period and area, its PDF's text and its Excel carry
the figures API's figures, the list and the files cut to the reader's jurisdiction (403,
audited, outside it), bad fields named in Chinese."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.e2e.sec_http import call, fetch

R = "/api/v1/reports"
WEEK = {"from": "2026-11-09", "to": "2026-11-15"}


@pytest.fixture(scope="module")
def streets(writable_server: str) -> tuple[int, int]:
    _, me1, _ = call("GET", f"{writable_server}/api/v1/auth/me", user="dispatcher1")
    _, me2, _ = call("GET", f"{writable_server}/api/v1/auth/me", user="dispatcher2")
    return int(me1["street_id"]), int(me2["street_id"])


@pytest.fixture(scope="module")
def city(writable_server: str) -> dict:
    status, body, text = call("POST", f"{writable_server}{R}", WEEK, user="leader")
    assert status == 201, text
    return body


def test_the_pdf_and_excel_carry_the_figures_api_figures(writable_server: str, city: dict) -> None:
    s = city["figures"]["summary"]["prev"]
    # the figures API (issue 15 item 3) for the same period and area, compared 环比
    status, api, _ = call("GET", f"{writable_server}/api/v1/analysis/figures?from={WEEK['from']}"
                          f"&to={WEEK['to']}&compare=prev", user="leader")
    assert status == 200
    for key in ("received", "done", "success", "overdue", "on_time_rate", "success_rate",
                "satisfaction_rate"):
        assert api["current"][key] == s["current"][key], key
        assert api["base"][key] == s["base"][key], key
    assert s["current"]["received"] > 50
    assert city["kind"] == "on_demand" and city["area_level"] == "all"
    assert city["period_start"] == WEEK["from"] and city["requested_by"] == "leader"
    status, headers, pdf = fetch(f"{writable_server}{city['pdf']}", user="leader")
    assert status == 200 and pdf.startswith(b"%PDF") and "pdf" in headers["Content-Type"]
    text = re.sub(r"\s+", " ", "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    cur, base = s["current"], s["base"]
    assert f"受理（件） {cur['received']} {base['received']} " in text
    assert f"办结（件） {cur['done']} {base['done']} " in text
    status, _, xlsx = fetch(f"{writable_server}{city['xlsx']}", user="leader")
    wb = load_workbook(io.BytesIO(xlsx), read_only=True)
    row = next(r for r in wb["总体指标"].iter_rows(values_only=True) if r[0] == "受理（件）")
    assert row[1] == cur["received"] and row[2] == base["received"]
    trend = list(wb["每日趋势"].iter_rows(values_only=True))[1:]
    assert trend[0][0] == WEEK["from"] and sum(r[1] for r in trend) == cur["received"]


def test_a_street_reader_gets_its_street_and_is_refused_the_rest(writable_server: str, city: dict,
                                                                streets) -> None:
    s1, s2 = streets
    status, mine, text = call("POST", f"{writable_server}{R}", WEEK, user="dispatcher1")
    assert status == 201, text
    assert mine["area_level"] == "street" and mine["street_id"] == s1
    api = call("GET", f"{writable_server}/api/v1/analysis/figures?from={WEEK['from']}"
               f"&to={WEEK['to']}", user="dispatcher1")[1]
    assert api["scope"]["street"] == s1
    assert api["current"]["received"] == mine["figures"]["summary"]["prev"]["current"]["received"]
    status, body, _ = call("POST", f"{writable_server}{R}", {**WEEK, "street": s2},
                           user="dispatcher1")
    assert status == 403 and "辖区" in body["error"]["message"]
    listed = call("GET", f"{writable_server}{R}", user="dispatcher1")[1]["reports"]
    assert mine["id"] in {r["id"] for r in listed}
    assert all(r["street_id"] == s1 for r in listed) and city["id"] not in {r["id"] for r in listed}
    assert fetch(f"{writable_server}{city['pdf']}", user="dispatcher1")[0] == 403
    assert fetch(f"{writable_server}{mine['xlsx']}", user="dispatcher2")[0] == 403
    assert fetch(f"{writable_server}{mine['pdf']}", user="leader")[0] == 200
    every = call("GET", f"{writable_server}{R}", user="leader")[1]["reports"]
    assert {city["id"], mine["id"]} <= {r["id"] for r in every}
    assert call("GET", f"{writable_server}{R}", user="field1")[0] == 403
    assert fetch(f"{writable_server}{R}/999999.pdf", user="leader")[0] == 404
    status, audit, _ = call("GET", f"{writable_server}/api/v1/admin/audit?entity=report",
                            user="admin")
    assert status == 200
    seen = {(r["action"], r["entity_id"], r["actor"]) for r in audit["items"]}
    assert {("report_made", mine["id"], "dispatcher1"), ("report_read", mine["id"], "leader"),
            ("permission_denied", city["id"], "dispatcher1")} <= seen


@pytest.mark.parametrize(("body", "field"), [
    ({"from": "2026-13-01"}, "from"), ({"to": "nope"}, "to"),
    ({"from": "2026-11-15", "to": "2026-11-01"}, "from"),
    ({"from": "2024-01-01", "to": "2026-11-01"}, "from"), ({"street": 0}, "street"),
    ({"from": "2000-01-01", "to": "2000-01-07"}, "from"), ("[]", "body"),
    ({"colour": "red"}, "colour")])
def test_bad_fields_are_named_in_chinese(writable_server: str, body: dict, field: str) -> None:
    status, answer, _ = call("POST", f"{writable_server}{R}", body, user="leader")
    assert status == 400 and answer["error"]["field"] == field
    assert re.search(r"[\u4e00-\u9fff]", answer["error"]["message"])
