"""The mediator's record on real PostGIS: each command one transaction with its audit row; a
refusal writes nothing but its own audit row; the room booking refuses overlaps."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import text

from dispatch.adapters import orm_record
from dispatch.adapters.repository import IncidentRepository
from dispatch.commands import AssignUnits, Party, RegisterIncident
from dispatch.commands_record import (
    AddAttachment,
    BookSession,
    CancelSession,
    DecideExtension,
    RecordJudicial,
    RecordStep,
    RequestExtension,
    WriteAgreement,
)
from dispatch.errors import Conflict, InvalidCommand, InvalidTransition

from .conftest import audit_rows, drift, grid_point

OURS = {t.name for t in orm_record.RECORD_TABLES}


def test_orm_matches_migration_0009(empty_engine):
    with empty_engine.connect() as conn:
        assert drift(conn, OURS) == []
        assert conn.scalar(text("SELECT count(*) FROM pg_tables WHERE tablename = ANY(:t)"),
                           {"t": list(OURS)}) == len(OURS)



def _assigned(app, engine, k):  # type: ignore[no-untyped-def]
    lon, lat = grid_point(engine, k)
    reg = app.handle(RegisterIncident(
        category="neighbour", channel="hotline", actor="duty", lon=lon, lat=lat,
        address=f"调解路{k}号", auto_dispatch=False,
        parties=(Party("张三丰", "13812341234"), Party("李四", role="respondent"))))
    unit = app.recommend(reg.incident_id).candidates[0].unit.id
    app.handle(AssignUnits(incident_id=reg.incident_id, unit_ids=(unit,), actor="duty"))
    return reg.incident_id, unit


def _count(engine, table: str, incident_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text(f"SELECT count(*) FROM {table} WHERE incident_id = :i"),
                               {"i": incident_id}))


def test_steps_are_recorded_with_who_and_when_and_refusals_are_audited(app, demo_copy, clock):
    iid, unit = _assigned(app, demo_copy, 11)
    out = app.handle(RecordStep(incident_id=iid, step="listen", note="分别听取双方陈述",
                                actor="field1", unit_id=unit))
    assert out["step"] == "listen"
    with pytest.raises(InvalidCommand):
        app.handle(RecordStep(incident_id=iid, step="check", note=" ", actor="field1"))
    assert _count(demo_copy, "mediation_steps", iid) == 1
    actions = [(r["action"], r["actor"]) for r in audit_rows(demo_copy, iid)]
    assert ("mediation_step", "field1") in actions
    assert ("mediation_step_refused", "field1") in actions
    with demo_copy.connect() as conn:
        row = conn.execute(text("SELECT recorded_by, unit_id, happened_at FROM "
                                "mediation_steps WHERE incident_id = :i"), {"i": iid}).one()
    assert row[0] == "field1" and row[1] == unit and row[2] == clock.now


def _room(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT id FROM facilities WHERE kind = 'mediation_room' "
                                    "ORDER BY id LIMIT 1")))


def test_a_room_cannot_be_booked_twice_for_overlapping_times(app, demo_copy, clock):
    a, _ = _assigned(app, demo_copy, 12)
    b, _ = _assigned(app, demo_copy, 13)
    room = _room(demo_copy)
    start = clock.now + timedelta(days=1)
    people = ({"name": "张三丰", "kind": "party"}, {"name": "王调解", "kind": "mediator"},
              {"name": "刘警官", "kind": "police"})
    first = app.handle(BookSession(incident_id=a, starts_at=start, ends_at=start + timedelta(
        hours=2), mode="joint", participants=people, facility_id=room, actor="dispatcher1"))
    assert first["officials"] == ["police"]
    with pytest.raises(Conflict, match="dispatcher1") as err:
        app.handle(BookSession(incident_id=b, starts_at=start + timedelta(hours=1),
                               ends_at=start + timedelta(hours=3), mode="separate",
                               participants=people, facility_id=room, actor="duty"))
    assert err.value.detail["booked_by"] == "dispatcher1"
    assert _count(demo_copy, "mediation_sessions", b) == 0
    assert "session_booking_refused" in [r["action"] for r in audit_rows(demo_copy, b)]
    # back to back is fine; after a cancellation the slot is free again
    app.handle(BookSession(incident_id=b, starts_at=start + timedelta(hours=2),
                           ends_at=start + timedelta(hours=3), mode="separate",
                           participants=people, facility_id=room, actor="duty"))
    app.handle(CancelSession(incident_id=a, session_id=first["id"], reason="当事人改期",
                             actor="dispatcher1"))
    app.handle(BookSession(incident_id=b, starts_at=start, ends_at=start + timedelta(hours=1),
                           mode="joint", participants=people, facility_id=room, actor="duty"))
    assert _count(demo_copy, "mediation_sessions", b) == 2


def test_agreements_are_versioned_and_judicial_confirmation_follows(app, demo_copy):
    iid, _ = _assigned(app, demo_copy, 14)
    with demo_copy.connect() as conn:
        assert IncidentRepository(conn).has_agreement(iid) is False
    fields = {"committee": "测试社区人民调解委员会", "facts": "张三丰家天花板被李四家漏水浸泡",
              "terms": "李四赔偿张三丰三千元", "performance": "十二月十日前转账"}
    v1 = app.handle(WriteAgreement(incident_id=iid, actor="duty", **fields))
    with pytest.raises(InvalidCommand, match="correction"):
        app.handle(WriteAgreement(incident_id=iid, actor="duty", **fields))
    v2 = app.handle(WriteAgreement(incident_id=iid, actor="duty", correction="金额写错",
                                   **{**fields, "terms": "李四赔偿张三丰三千五百元"}))
    assert (v1["version"], v2["version"]) == (1, 2) and v1["number"] == v2["number"]
    with demo_copy.connect() as conn:
        assert IncidentRepository(conn).has_agreement(iid) is True
        terms = list(conn.execute(text("SELECT terms FROM agreements WHERE incident_id = :i "
                                       "ORDER BY version"), {"i": iid}).scalars())
    assert terms == ["李四赔偿张三丰三千元", "李四赔偿张三丰三千五百元"]  # the old one is kept
    today = app.clock().date()
    with pytest.raises(InvalidTransition):
        app.handle(RecordJudicial(incident_id=iid, status="confirmed", court="某区人民法院",
                                  on_date=today, actor="duty"))
    app.handle(RecordJudicial(incident_id=iid, status="applied", court="某区人民法院",
                              on_date=today, actor="duty"))
    out = app.handle(RecordJudicial(incident_id=iid, status="confirmed", court="某区人民法院",
                                    on_date=today, actor="duty"))
    assert out["agreement_id"] == v2["id"]


def test_an_extension_moves_the_close_clock_when_the_level_above_approves(app, demo_copy,
                                                                          clock):
    iid, unit = _assigned(app, demo_copy, 15)
    with demo_copy.connect() as conn:
        before = conn.scalar(text("SELECT close_deadline FROM incidents WHERE id = :i"),
                             {"i": iid})
    ask = app.handle(RequestExtension(incident_id=iid, days=5, reason="当事人外出务工",
                                      actor="field1", role="field", unit_id=unit))
    with pytest.raises(InvalidTransition, match="待审批"):
        app.handle(RequestExtension(incident_id=iid, days=2, reason="再延", actor="field1",
                                    role="field"))
    with pytest.raises(InvalidTransition, match="本人"):
        app.handle(DecideExtension(incident_id=iid, extension_id=ask["id"], approve=True,
                                   actor="field1", role="field"))
    out = app.handle(DecideExtension(incident_id=iid, extension_id=ask["id"], approve=True,
                                     actor="dispatcher1", role="dispatcher"))
    with demo_copy.connect() as conn:
        after = conn.scalar(text("SELECT close_deadline FROM incidents WHERE id = :i"),
                            {"i": iid})
        yellow = conn.scalar(text(
            "SELECT due_at FROM incident_timers WHERE incident_id = :i AND kind = 'close' AND "
            "stage = 'yellow' AND processed_at IS NULL"), {"i": iid})
        cancelled = conn.scalar(text(
            "SELECT count(*) FROM incident_timers WHERE incident_id = :i AND kind = 'close' "
            "AND outcome = 'cancelled'"), {"i": iid})
    assert after == before + timedelta(days=5) == yellow
    assert cancelled >= 1 and out["status"] == "approved"
    rows = [r for r in audit_rows(demo_copy, iid) if r["action"] == "extension_approved"]
    assert rows and rows[0]["actor"] == "dispatcher1"
    assert rows[0]["detail"]["deadline_after"] == after.isoformat()


def test_a_spoofed_attachment_is_refused_and_a_real_one_stored_once(app, demo_copy):
    iid, _ = _assigned(app, demo_copy, 16)
    with pytest.raises(InvalidCommand, match="file"):
        app.handle(AddAttachment(incident_id=iid, content=b"<html><script>x</script></html>",
                                 filename="photo.jpg", actor="field1"))
    assert _count(demo_copy, "attachments", iid) == 0
    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, format="PNG")
    one = app.handle(AddAttachment(incident_id=iid, content=buf.getvalue(), filename="a.jpg",
                                   actor="field1"))
    two = app.handle(AddAttachment(incident_id=iid, content=buf.getvalue(), filename="b.png",
                                   actor="duty"))
    assert one["content_type"] == "image/png" and one["sha256"] == two["sha256"]
    with demo_copy.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM attachment_blobs WHERE sha256 = :h"),
                           {"h": one["sha256"]}) == 1
