"""The outbox on PostgreSQL with real receivers on loopback (an HTTP server for the SMS gateway
and webhooks that checks the HMAC, aiosmtpd for e-mail): rows iff the transaction commits,
delivery, retries with backoff, the limit, and the 12345 external id made idempotent."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, text

from dispatch import sms_text
from dispatch.adapters.outbox_worker import OutboxWorker
from dispatch.adapters.senders import Channels, SmsGateway, Smtp
from dispatch.adapters.webhook_admin import create_subscription, retry_delivery
from dispatch.bootstrap import Dispatch
from dispatch.commands import AssignUnits, ChangeState, Party, RegisterIncident, UpdatePolicy
from dispatch.errors import DispatchError
from dispatch.results import AlreadyRegistered, Registered
from tests.receivers import http_receiver, smtp_receiver

from .conftest import MEDIATED, drift, grid_point, to_scene

NOW = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)


def test_orm_matches_migration_0018(empty_engine: Engine) -> None:
    from dispatch.adapters import orm_outbox  # noqa: F401

    with empty_engine.connect() as conn:
        assert drift(conn, {"outbox", "webhook_subscriptions", "incidents", "units"}) == []


def _register(app: Dispatch, engine: Engine, k: int = 0, **kw: Any) -> Registered:
    lon, lat = grid_point(engine, k)
    got = app.handle(RegisterIncident(
        category="neighbour", channel="hotline", actor="接警员甲", description="楼道堆物",
        address="测试路1号", lon=lon, lat=lat, auto_dispatch=False,
        parties=(Party("李四", "13900000002"), Party("王五", "13900000003")), **kw))
    assert isinstance(got, Registered)
    return got


def _rows(engine: Engine, incident_id: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(text(
            "SELECT * FROM outbox WHERE incident_id = :i ORDER BY id"),
            {"i": incident_id}).mappings()]


def _subscribe(engine: Engine, url: str, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"name": "测试订阅", "url": url, "event_types": (),
                            "district_id": None, "street_id": None, "source": None,
                            "trusted": False, "actor": "admin", "at": NOW, **kw}
    with engine.begin() as conn:  # earlier tests' receivers are gone: only this one hears
        conn.execute(text("UPDATE webhook_subscriptions SET active = false"))
        return create_subscription(conn, **args)


def _drain(worker: OutboxWorker, engine: Engine, ids: list[int], timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        worker.run_once()
        with engine.connect() as conn:
            left = conn.scalar(text("SELECT count(*) FROM outbox WHERE incident_id = ANY(:i) "
                                    "AND state = 'pending'"), {"i": ids})
        if not left:
            return
        assert time.monotonic() < deadline, (f"{left} rows still pending",
                                             [(r["channel"], r["last_error"]) for i in ids
                                              for r in _rows(engine, i)])
        time.sleep(0.05)


def test_rows_exist_iff_the_event_commits(app: Dispatch, demo_copy: Engine) -> None:
    reg = _register(app, demo_copy)
    rows = _rows(demo_copy, reg.incident_id)
    assert sorted((r["channel"], r["recipient"]) for r in rows) == [
        ("sms", "13900000002"), ("sms", "13900000003")]
    assert all(r["state"] == "pending" and r["attempts"] == 0 for r in rows)
    with pytest.raises(DispatchError):  # 办结 before anyone arrived: refused, audited
        app.handle(ChangeState(incident_id=reg.incident_id, to="resolved", actor="值班员甲",
                               **MEDIATED))
    assert len(_rows(demo_copy, reg.incident_id)) == 2


def test_sms_email_and_signed_webhooks_reach_real_receivers(app: Dispatch,
                                                             demo_copy: Engine) -> None:
    try:
        _deliver_to_real_receivers(app, demo_copy)
    finally:  # the module's other tests see the default texts
        app.handle(UpdatePolicy(changes={"sms_templates": sms_text.defaults()}, actor="管理员"))


def _deliver_to_real_receivers(app: Dispatch, demo_copy: Engine) -> None:
    with http_receiver(sms_key="gw-key") as http, smtp_receiver() as smtp:
        sub = _subscribe(demo_copy, http.url + "/hook", event_types=["units_assigned"])
        http.secrets["/hook"] = sub["secret"]
        app.handle(UpdatePolicy(changes={"sms_templates": {  # the gateway's ids, and a text
            "task": {"gateway_id": "SMS_TASK", "text": "请签收{code}：{address}"},
            "accepted": {"gateway_id": "SMS_ACC"}}}, actor="管理员"))
        reg = _register(app, demo_copy, 1)
        unit = app.recommend(reg.incident_id).candidates[0].unit.id
        with demo_copy.begin() as conn:
            conn.execute(text("UPDATE units SET phone = '13700000099', "
                              "email = 'unit99@example.org' WHERE id = :u"), {"u": unit})
        app.handle(AssignUnits(incident_id=reg.incident_id, unit_ids=(unit,), actor="值班员甲"))
        channels = Channels(
            sms=SmsGateway(url=http.url + "/sms", app_key="gw-key"),
            email=Smtp(host="127.0.0.1", port=smtp.port))
        _drain(OutboxWorker(demo_copy, channels), demo_copy, [reg.incident_id])
        rows = _rows(demo_copy, reg.incident_id)
        assert {r["state"] for r in rows} == {"delivered"}
        keys = {str(r["key"]) for r in rows}  # (earlier tests' rows go out too)
        sms = [r for r in http.got if r.path == "/sms" and r.json["outId"] in keys]
        assert sorted((r.json["phoneNumbers"][0], r.json["templateId"]) for r in sms) == [
            ("13700000099", "SMS_TASK"), ("13900000002", "SMS_ACC"),
            ("13900000003", "SMS_ACC")]
        assert all(r.signed for r in sms)
        (task,) = [r for r in sms if r.json["templateId"] == "SMS_TASK"]
        assert task.json["content"] == f"请签收{reg.code}：测试路1号"
        assert task.json["templateParams"]["code"] == reg.code
        (hook,) = [r for r in http.got if r.path == "/hook"]
        assert hook.signed is True and hook.headers["x-fq-event"] == "units_assigned"
        assert hook.json["case"]["code"] == reg.code and "parties" not in hook.json["case"]
        (mail,) = smtp.messages
        assert mail["To"] == "unit99@example.org"
        assert reg.code in mail.get_payload(decode=True).decode()
        seen = {**http.keys(), **smtp.keys()}
        assert {k: seen.get(k) for k in keys} == dict.fromkeys(keys, 1)  # each key, once


def test_a_500_is_retried_with_backoff_then_delivered_and_the_limit_fails_it(
        app: Dispatch, demo_copy: Engine) -> None:
    with http_receiver(script=[500, 200]) as http:
        sub = _subscribe(demo_copy, http.url + "/flaky", event_types=["incident_registered"])
        http.secrets["/flaky"] = sub["secret"]
        reg = _register(app, demo_copy, 2)
        worker = OutboxWorker(demo_copy, Channels(), base_s=0.5, cap_s=4)
        worker.run_once()  # the SMS rows: no gateway configured → skipped, never attempted
        (row,) = [r for r in _rows(demo_copy, reg.incident_id) if r["channel"] == "webhook"]
        assert (row["state"], row["attempts"], row["last_status"]) == ("pending", 1, 500)
        with demo_copy.connect() as conn:
            wait = conn.scalar(text("SELECT extract(epoch FROM next_at - now()) FROM outbox "
                                    "WHERE id = :i"), {"i": row["id"]})
        assert 0.2 < wait <= 0.5  # the first backoff
        worker.run_once()  # not due yet: nothing sent
        assert len(http.got) == 1
        _drain(worker, demo_copy, [reg.incident_id])
        (row,) = [r for r in _rows(demo_copy, reg.incident_id) if r["channel"] == "webhook"]
        assert (row["state"], row["attempts"], row["last_status"]) == ("delivered", 2, 200)
        assert [r.signed for r in http.got] == [True, True]
        assert len(set(http.keys())) == 1  # the retry carried the same key
        skipped = [r for r in _rows(demo_copy, reg.incident_id) if r["channel"] == "sms"]
        assert {(r["state"], r["attempts"]) for r in skipped} == {("skipped", 0)}
        assert "未配置短信网关" in skipped[0]["last_error"]

    with http_receiver(script=[503] * 10) as http:
        sub = _subscribe(demo_copy, http.url + "/down", event_types=["incident_registered"])
        reg = _register(app, demo_copy, 3)
        worker = OutboxWorker(demo_copy, Channels(), base_s=0.05, cap_s=0.1, max_attempts=3)
        deadline = time.monotonic() + 20
        while (row := next(r for r in _rows(demo_copy, reg.incident_id)
                           if r["subscription_id"] == sub["id"]))["state"] == "pending":
            worker.run_once()
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert (row["state"], row["attempts"], row["last_error"]) == ("failed", 3, "HTTP 503")
        with demo_copy.begin() as conn:
            assert retry_delivery(conn, row["id"], actor="admin", at=NOW)
            assert conn.scalar(text("SELECT count(*) FROM audit_log WHERE action = "
                                    "'outbox_retry' AND entity_id = :i"), {"i": row["id"]}) == 1
        assert [r["state"] for r in _rows(demo_copy, reg.incident_id)
                if r["id"] == row["id"]] == ["pending"]


def test_the_same_external_id_twice_is_one_case_even_at_once(app: Dispatch,
                                                              demo_copy: Engine) -> None:
    first = _register(app, demo_copy, 4, external_source="12345", external_id="GD-A-1")
    lon, lat = grid_point(demo_copy, 4)
    again = app.handle(RegisterIncident(category="neighbour", channel="hotline", actor="x",
                                        lon=lon, lat=lat, external_source="12345",
                                        external_id="GD-A-1"))
    assert isinstance(again, AlreadyRegistered) and again.incident_id == first.incident_id
    results: list[Any] = []

    def post() -> None:
        results.append(app.handle(RegisterIncident(
            category="debt", channel="hotline", actor="x", lon=lon, lat=lat,
            external_source="12345", external_id="GD-A-2")))
    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(type(r).__name__ for r in results) == ["AlreadyRegistered"] * 3 + [
        "Registered"]
    assert len({r.incident_id for r in results}) == 1
    with demo_copy.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM incidents WHERE external_source = "
                                "'12345' AND external_id LIKE 'GD-A-%'")) == 2


def test_the_result_goes_back_to_the_source_in_its_shape(app: Dispatch,
                                                         demo_copy: Engine) -> None:
    with http_receiver(script=[500, 503]) as http:  # 受理's first two tries fail
        sub = _subscribe(demo_copy, http.url + "/12345", source="12345")
        http.secrets["/12345"] = sub["secret"]
        reg = _register(app, demo_copy, 5, external_source="12345", external_id="GD-B-9")
        to_scene(app, reg.incident_id)
        app.handle(ChangeState(incident_id=reg.incident_id, to="resolved", actor="调解员",
                               **MEDIATED))
        _drain(OutboxWorker(demo_copy, Channels(), base_s=0.05), demo_copy, [reg.incident_id])
        got = [r.json for r in http.got if r.path == "/12345"]
        # in order for one case and receiver: the later rows waited while 受理 was retried
        assert [g["stateCode"] for g in got] == ["10", "10", "10", "20", "21", "30", "40"]
        assert all(r.signed for r in http.got)
        (last,) = [g for g in got if g["stateCode"] == "40"]
        assert (last["externalId"], last["caseCode"], last["stateName"],
                last["resultText"]) == ("GD-B-9", reg.code, "已办结",
                                        "调解成功；办理结果：双方当面协商一致；"
                                        "口头协议：乙方三日内清理楼道堆物")
        assert last["handlingUnit"] and last["handledAt"]


def test_a_webhook_goes_only_to_allowed_hosts_and_never_follows_a_redirect(
        app: Dispatch, demo_copy: Engine) -> None:
    """A receiver's 3xx is a failed delivery, not a new address (its Location could be any
    internal host); a row staged or retried before the allow-list changed is cancelled when its
    host is no longer on it."""
    with http_receiver() as inner, http_receiver(script=[302]) as outer:
        outer.location = inner.url + "/internal"
        sub = _subscribe(demo_copy, outer.url + "/moved", event_types=["incident_registered"])
        outer.secrets["/moved"] = sub["secret"]
        reg = _register(app, demo_copy, 6)
        worker = OutboxWorker(demo_copy, Channels(), base_s=30)
        worker.run_once()
        (row,) = [r for r in _rows(demo_copy, reg.incident_id) if r["channel"] == "webhook"]
        assert (row["state"], row["last_status"], row["last_error"]) == ("pending", 302,
                                                                          "HTTP 302")
        assert [r.path for r in outer.got] == ["/moved"] and inner.got == []

        reg = _register(app, demo_copy, 7)
        listed = OutboxWorker(demo_copy, Channels(), webhook_hosts=lambda: ("10.0.0.0/8",))
        listed.run_once()
        (row,) = [r for r in _rows(demo_copy, reg.incident_id) if r["channel"] == "webhook"]
        assert (row["state"], row["last_error"]) == ("cancelled", "接收地址不在 Webhook 允许名单内")
        assert len(outer.got) == 1  # nothing sent to a host off the list


def test_a_cases_facts_in_one_read_equal_the_reads_they_replace(app: Dispatch,
                                                                demo_copy: Engine) -> None:
    """The notices' one read per case (row, active units, external id, units sent) against
    the four reads it replaced, on a 12345 case with a unit on scene and one without."""
    from dispatch.adapters.outbox_repo import OutboxRepository
    from dispatch.adapters.repository import IncidentRepository
    from dispatch.adapters.unit_repo import UnitRepository

    ext = _register(app, demo_copy, 6, external_source="12345", external_id="GD-F-1")
    to_scene(app, ext.incident_id)
    plain = _register(app, demo_copy, 7)
    with demo_copy.connect() as conn:
        outbox = OutboxRepository(conn)
        for iid in (ext.incident_id, plain.incident_id, 2**31 - 1):
            active = [a["unit_id"] for a in UnitRepository(conn).active_on(iid)]
            external = outbox.external(iid)
            for hooks in (True, False):
                assert outbox.case_facts(iid, handling=hooks) == (
                    IncidentRepository(conn).get(iid), outbox.contacts(active), external,
                    outbox.handled_by(iid) if external and hooks else [])
        case, units, external, handling = outbox.case_facts(ext.incident_id, handling=True)
        assert case is not None and units and handling and external == ("12345", "GD-F-1")
        ids = [ext.incident_id, plain.incident_id, 2**31 - 1]
        for hooks in (True, False):  # a commit's cases in one read: the same, the absent left out
            assert outbox.many_facts(ids, handling=hooks) == {
                i: outbox.case_facts(i, handling=hooks) for i in ids[:2]}
        # a batch's external ids in one lock and one read, as find_external's one by one
        pairs = [("12345", "GD-F-1"), ("12345", "GD-F-404")]
        assert outbox.find_externals(pairs) == {("12345", "GD-F-1"): ext.incident_id}
        assert [outbox.find_external(*p) for p in pairs] == [ext.incident_id, None]


def test_notices_of_a_channel_not_configured_are_staged_skipped_with_the_reason(
        app: Dispatch, demo_copy: Engine) -> None:
    from dataclasses import replace as with_

    from dispatch.adapters.senders import Channels

    off = with_(app, outbox_off=Channels().off)  # as the console's (no SMS gateway, no SMTP)
    reg = _register(off, demo_copy, 8)
    rows = [r for r in _rows(demo_copy, reg.incident_id) if r["channel"] != "webhook"]
    assert sorted((r["channel"], r["state"], r["attempts"]) for r in rows) == [
        ("sms", "skipped", 0), ("sms", "skipped", 0)]  # (webhooks are always configured)
    assert all("未配置短信网关" in r["last_error"] for r in rows)  # the worker's own words
