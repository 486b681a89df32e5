"""居民评价 on PostgreSQL: a resident's rating of a closed case reaches the 回访 form as context
(the follow-up stays unanswered) and the figures as its own count, beside 满意度."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, text

from analysis import periods
from dispatch import stats, stats_resident, views
from dispatch.bootstrap import Dispatch
from dispatch.commands import ChangeState
from dispatch.commands_resident import (
    AcceptResidentReport,
    RateResident,
    SubmitResidentReport,
)
from dispatch.model import BEIJING
from dispatch.stats_scope import Scope

from .conftest import MEDIATED, grid_point, to_scene


def test_a_rating_is_context_for_the_visit_and_a_figure_of_its_own(app: Dispatch,
                                                                   demo_copy: Engine) -> None:
    lon, lat = grid_point(demo_copy, 3)
    got = app.handle(SubmitResidentReport(category="neighbour", description="楼道长期堆放杂物",
                                          lon=lon, lat=lat, phone="13700005555"))
    code, rid = got["tracking_code"], got["id"]
    reg = app.handle(AcceptResidentReport(report_id=rid, actor="值班员甲"))
    iid = reg.incident_id
    if reg.state == "assigned":  # the policy dispatched it already
        for to in ("acknowledged", "on_scene"):
            app.handle(ChangeState(incident_id=iid, to=to, actor="调解员"))
    else:
        to_scene(app, iid)
    app.handle(ChangeState(incident_id=iid, to="resolved", actor="调解员", **MEDIATED))
    with demo_copy.connect() as conn:
        scope = Scope(*conn.execute(text(
            "SELECT i.street_id, i.community_id, i.grid_id FROM incidents i WHERE i.id = :i"),
            {"i": iid}).one())
        before = stats_resident.ratings(conn, scope, days=30)
        sat_before = stats.overview(conn, scope)["windows"]["30"]["rated"]
    app.handle(RateResident(code=code, rating=2, note="堆物清走两天又堆回来了"))
    with demo_copy.begin() as conn:
        # the test's clock runs ahead of the database's now(); the figures cut at now()
        conn.execute(text("UPDATE resident_reports SET rated_at = now() - interval '1 hour' "
                          "WHERE id = :r"), {"r": rid})
    with demo_copy.connect() as conn:
        case = views.incident_detail(conn, iid)
        assert [(r["rating"], r["note"]) for r in case["resident_ratings"]] == [
            (2, "堆物清走两天又堆回来了")]
        assert all(f["satisfaction"] is None for f in case["followups"])  # nothing pre-filled
        after = stats_resident.ratings(conn, scope, days=30)
        assert after["resident_rated"] == before["resident_rated"] + 1
        assert after["resident_satisfied"] == before["resident_satisfied"]  # 2 stars: not
        window = stats.overview(conn, scope)["windows"]["30"]
        assert window["resident_rated"] == after["resident_rated"]
        assert window["rated"] == sat_before  # 满意度 counts the officers' visits only
        today = conn.scalar(text("SELECT now()")).astimezone(BEIJING).date()
        period = periods.figures(conn, scope, periods.Period(today - timedelta(days=1), today))
        assert period["resident_rated"] >= 1 and period["resident_rate"] is not None
        assert "resident_rate" in periods.DEFINITIONS and "resident_rate" in periods.COMPARED
