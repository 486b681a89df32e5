"""The weekly 研判 report on the demo: its PDF's text and its Excel carry the figures the figures
API gives for the same period and area, no party's name or phone (planted and searched for),
and the scheduler's job makes one weekly report per area however often it runs."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Engine, text

from analysis import periods
from analysis.report import assemble, week_before
from analysis.report_tables import tables
from console.exports.report_job import WeeklyReports, make_report
from console.exports.report_pdf import render_report
from console.exports.report_xlsx import render_report_xlsx
from dispatch.model import BEIJING
from dispatch.policy import Policy
from dispatch.results import TickReport
from dispatch.scheduler import Scheduler
from dispatch.stats_scope import Scope
from tests.conftest import demo_copy

KEY = b"report-test-key-0123456789abcdef"
NAME, PHONE, ID_NO = "褚衍墨", "13987654321", "650102199001011234"


@pytest.fixture(scope="module")
def engine(settings, base_db, demo_territory) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    with demo_copy(settings, base_db, demo_territory, tag="rp") as (_, eng):
        yield eng


@pytest.fixture(scope="module")
def week(engine: Engine) -> tuple[date, date]:
    """The last whole week of the demo's cases, with a red-risk case naming a planted party."""
    with engine.begin() as conn:
        last = conn.scalar(text("SELECT max(reported_at) FROM incidents"))
        start, end = week_before(last.astimezone(BEIJING).date())
        at = datetime(start.year, start.month, start.day, 10, 0, tzinfo=BEIJING) + timedelta(days=2)
        parties = [{"name": NAME, "phone": PHONE, "id_number": ID_NO, "role": "applicant"},
                   {"name": "乙某某", "phone": "13900001111", "role": "respondent"}]
        street = conn.scalar(text("SELECT min(id) FROM streets"))
        conn.execute(text(
            "INSERT INTO incidents (code, channel, category, title, description, address, state, "
            "risk_level, priority, caller_name, caller_phone, parties, street_id, reported_at, "
            "close_deadline) VALUES ('RPT-PLANT-1', 'hotline', 'neighbour', :title, :descr, "
            "'天山路88号3栋501室', 'mediating', 3, 1, :name, :phone, CAST(:p AS jsonb), :s, :at, :dl)"),
            {"title": f"{NAME}（{PHONE}）与邻居因漏水纠纷，扬言报复", "descr": f"身份证 {ID_NO}",
             "name": NAME, "phone": PHONE,
             "p": json.dumps(parties, ensure_ascii=False), "s": street, "at": at,
             "dl": at + timedelta(days=1)})
    return start, end


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture(scope="module")
def made(engine: Engine, week: tuple[date, date]) -> tuple[dict, bytes, bytes]:
    with engine.connect() as conn:
        rep = assemble(conn, Scope(), *week, key=KEY)
    return rep.figures, render_report(rep.figures, rep.shapes), render_report_xlsx(rep.figures)


def test_the_pdf_text_carries_the_figures_api_figures(engine: Engine, week, made) -> None:
    figures, pdf, _ = made
    with engine.connect() as conn:
        api = periods.figures(conn, Scope(), periods.Period(*week))
        prev = periods.figures(conn, Scope(), periods.Period(*week).previous())
        received = conn.scalar(text(
            "SELECT count(*) FROM incidents i WHERE i.reported_at >= :a AND i.reported_at < :b "
            "AND NOT EXISTS (SELECT 1 FROM incident_flow f WHERE f.incident_id = i.id "
            "AND f.merged_into IS NOT NULL)"),
            {"a": datetime.combine(week[0], datetime.min.time(), BEIJING),
             "b": datetime.combine(week[1] + timedelta(days=1), datetime.min.time(), BEIJING)})
    assert api["received"] == received > 50
    body = _pdf_text(pdf)
    flat = re.sub(r"\s+", " ", body)
    # the summary row: label, this period, the period before, the change
    change = api["received"] - prev["received"]
    assert re.search(rf"受理（件） {api['received']} {prev['received']} {change}\b", flat), flat[:800]
    assert re.search(rf"办结（件） {api['done']} {prev['done']}\b", flat)
    assert f"{week[0].isoformat()} 至 {week[1].isoformat()}" in flat
    # the daily trend adds up to the period's intake; the category mix too
    assert sum(d["reported"] for d in figures["trend"]) == api["received"]
    assert sum(c["count"] for c in figures["categories"]) == api["received"]
    top = figures["categories"][0]
    assert re.search(rf"{top['label']} {top['count']}\b", flat)
    assert "RPT-PLANT-1" in flat  # the planted case: notable (red, 紧急) and on the watch list
    assert "热点分布" in body and "民转刑风险关注名单" in body


def test_the_workbook_read_back_equals_the_json(made) -> None:
    figures, _, xlsx = made
    wb = load_workbook(io.BytesIO(xlsx), read_only=True)
    expected = tables(json.loads(json.dumps(figures)))  # as archived (JSON round trip)
    assert wb.sheetnames == ["报告", *[t.name for t in expected]]
    for t in expected:
        width = len(t.headers)  # a read-only sheet drops a row's trailing empty cells
        rows = [tuple(r) + (None,) * (width - len(r))
                for r in wb[t.name].iter_rows(values_only=True)]
        assert rows[0] == t.headers
        assert rows[1:] == [tuple(r) for r in t.rows], t.name
    summary = list(wb["总体指标"].iter_rows(values_only=True))[1]
    assert summary[0] == "受理（件）" and isinstance(summary[1], int)
    assert summary[1] == figures["summary"]["prev"]["current"]["received"]


def test_no_party_name_phone_or_id_in_pdf_excel_or_json(made) -> None:
    figures, pdf, xlsx = made
    blob = json.dumps(figures, ensure_ascii=False)
    text_ = _pdf_text(pdf)
    cells = " ".join(str(v) for ws in load_workbook(io.BytesIO(xlsx), read_only=True)
                     for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    for where in (blob, text_, cells):
        assert "RPT-PLANT-1" in where
        for secret in (NAME, PHONE, ID_NO, "乙某某", "13900001111", "88号", "501室"):
            assert secret not in where
    watched = [w for w in figures["watch"] if w["code"] == "RPT-PLANT-1"]
    assert watched and "褚**" in watched[0]["title"]


def test_a_street_report_counts_only_its_street(engine: Engine, week) -> None:
    with engine.connect() as conn:
        street = conn.scalar(text("SELECT min(id) FROM streets"))
        rep = assemble(conn, Scope(street=street), *week, key=KEY)
        api = periods.figures(conn, Scope(street=street), periods.Period(*week))
    f = rep.figures
    assert f["area"]["level"] == "street" and f["summary"]["prev"]["current"]["received"] == \
        api["received"] == sum(d["reported"] for d in f["trend"])
    assert f["ranking"]["by"] == "community"


def test_the_scheduler_makes_one_weekly_report_per_area_across_restarts(engine: Engine,
                                                                       week) -> None:
    start, _ = week
    # the Monday after the week, 08:00 Beijing: that week is due
    monday = start + timedelta(days=7)
    clock = datetime(monday.year, monday.month, monday.day, 8, 0, tzinfo=BEIJING)
    policy = Policy()
    with engine.connect() as conn:
        streets = conn.scalar(text("SELECT count(*) FROM streets"))
    for _run in range(2):  # a restart: a new scheduler, a new job that remembers nothing
        job = WeeklyReports(engine, policy=lambda: policy, key=lambda: KEY, fonts=None,
                            clock=lambda: clock)
        sched = Scheduler(engine, lambda _c: TickReport(ran=True), jobs=[job])
        try:
            sched.tick()
            job.wait()
            sched.tick()  # the same week again: nothing new
            job.wait()
        finally:
            sched.stop()
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT area_level, area_id, requested_by FROM reports WHERE kind = 'weekly' "
            "AND period_start = :a"), {"a": start}).all()
        audits = conn.scalar(text("SELECT count(*) FROM audit_log WHERE action = 'report_made' "
                                  "AND actor = 'scheduler'"))
    assert len(rows) == 1 + streets == len({(r[0], r[1]) for r in rows}) == audits
    assert {r[2] for r in rows} == {"scheduler"}
    # the archive's own guard: a second weekly insert of the same area and week is refused
    rid, _ = make_report(engine, Scope(), *week, kind="weekly", who="scheduler", key=KEY,
                         fonts=None)
    assert rid is None
