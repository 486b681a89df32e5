"""The resident page's phone check on PostgreSQL with the real local SMS gateway receiver: the
code goes out through the outbox in the policy's text, is stored hashed, is spent once, counts
wrong tries, expires, and the sends per phone are limited."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, text

from dispatch import limits, sms_text
from dispatch.adapters.orm_resident import phone_codes
from dispatch.adapters.outbox_worker import OutboxWorker
from dispatch.adapters.phone_codes import EVENT, check_code, code_hash, send_code
from dispatch.adapters.senders import Channels, SmsGateway
from tests.receivers import http_receiver

from .conftest import drift


def test_orm_matches_migration_0021(empty_engine: Engine) -> None:
    with empty_engine.connect() as conn:
        assert drift(conn, {"phone_codes", "resident_reports", "outbox"}) == []
    assert phone_codes.name == "phone_codes"


def _deliver(engine: Engine, http_url: str) -> None:
    worker = OutboxWorker(engine, Channels(sms=SmsGateway(url=http_url + "/sms", app_key="k")))
    for _ in range(20):
        worker.run_once()
        with engine.connect() as conn:
            if not conn.scalar(text("SELECT count(*) FROM outbox WHERE event_type = :e "
                                    "AND state = 'pending'"), {"e": EVENT}):
                return


def test_a_code_goes_out_by_sms_hashed_once_and_expires(demo_copy: Engine) -> None:
    phone, now = "13712340001", datetime.now(UTC)
    with http_receiver(sms_key="k") as http:
        with demo_copy.begin() as conn:
            assert send_code(conn, phone, at=now, templates=sms_text.defaults()) == 0
        _deliver(demo_copy, http.url)
        (sms,) = [r.json for r in http.got if r.path == "/sms"
                  and r.json["phoneNumbers"] == [phone]]
    assert all(r.signed for r in http.got)
    code = re.search(r"验证码为(\d{6})，", sms["content"]).group(1)  # type: ignore[union-attr]
    assert sms["templateParams"] == {"code": code, "minutes": str(limits.PHONE_CODE_TTL_S // 60)}
    with demo_copy.begin() as conn:
        stored = conn.execute(text("SELECT code_hash FROM phone_codes WHERE phone = :p"),
                              {"p": phone}).scalars().all()
        assert stored == [code_hash(phone, code)] and code not in stored[0]
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        assert check_code(conn, phone, wrong, at=now) is False
        assert conn.scalar(text("SELECT tries FROM phone_codes WHERE phone = :p"),
                           {"p": phone}) == 1
        assert check_code(conn, phone, code, at=now + timedelta(seconds=limits.PHONE_CODE_TTL_S
                                                                 + 1)) is False  # expired
        assert check_code(conn, phone, code, at=now) is True
        assert check_code(conn, phone, code, at=now) is False  # spent


def test_wrong_tries_end_a_code_and_sends_per_phone_are_limited(demo_copy: Engine) -> None:
    phone, now = "13712340002", datetime.now(UTC)
    with demo_copy.begin() as conn:
        assert send_code(conn, phone, at=now, templates=sms_text.defaults()) == 0
        # a code this test knows (the real one is only stored hashed)
        conn.execute(text("UPDATE phone_codes SET code_hash = :h WHERE phone = :p"),
                     {"h": code_hash(phone, "123456"), "p": phone})
        for _ in range(limits.PHONE_CODE_TRIES):
            assert check_code(conn, phone, "000000", at=now) is False
        assert conn.scalar(text("SELECT tries FROM phone_codes WHERE phone = :p"),
                           {"p": phone}) == limits.PHONE_CODE_TRIES
        assert check_code(conn, phone, "123456", at=now) is False  # the tries ended it
        n, window = limits.PHONE_CODES_PER_PHONE
        for k in range(1, n):
            assert send_code(conn, phone, at=now + timedelta(seconds=k),
                             templates=sms_text.defaults()) == 0
        wait = send_code(conn, phone, at=now + timedelta(seconds=n),
                         templates=sms_text.defaults())
        assert 0 < wait <= window
        assert send_code(conn, "13712340003", at=now, templates=sms_text.defaults()) == 0
        assert conn.scalar(text("SELECT count(*) FROM outbox WHERE recipient = :p AND "
                                "event_type = :e"), {"p": phone, "e": EVENT}) == n


def test_a_report_refused_by_its_checks_leaves_its_code_usable(demo_copy: Engine) -> None:
    """The resident API checks the code (a wrong try counts, in its own transaction), the
    report spends it in the report's transaction: a refused report costs no code."""
    from types import SimpleNamespace

    import pytest

    from console.api.resident_phone import phone_code
    from dispatch.bootstrap import bootstrap
    from dispatch.commands_resident import SubmitResidentReport
    from dispatch.errors import InvalidCommand
    from dispatch.eta import StraightLineEta

    from .conftest import grid_point

    api = SimpleNamespace(settings=SimpleNamespace(notify=SimpleNamespace(sms=object())),
                          engine=demo_copy)
    dispatch = bootstrap(demo_copy, eta=StraightLineEta(), policy_check_s=0)
    phone, now = "13712340009", datetime.now(UTC)
    with demo_copy.begin() as conn:
        assert send_code(conn, phone, at=now, templates=sms_text.defaults()) == 0
        conn.execute(text("UPDATE phone_codes SET code_hash = :h WHERE phone = :p"),
                     {"h": code_hash(phone, "123456"), "p": phone})
    lon, lat = grid_point(demo_copy)

    def submit(code: str | None, description: str) -> dict:
        return dispatch.handle(SubmitResidentReport(
            category="neighbour", description=description, lon=lon, lat=lat, phone=phone,
            device="c" * 64, phone_code=code))

    with pytest.raises(InvalidCommand) as e:
        phone_code(api, phone, "000000")  # a wrong try: counted, refused
    assert e.value.detail["field"] == "phone_code"
    code = phone_code(api, "137 1234 0009", "123456")
    with pytest.raises(InvalidCommand) as e:
        submit(code, "")  # refused by its own checks
    assert e.value.detail["field"] == "description"
    with demo_copy.connect() as conn:
        row = conn.execute(text("SELECT used_at, tries FROM phone_codes WHERE phone = :p"),
                           {"p": phone}).one()
    assert row.used_at is None and row.tries == 1  # still usable; the wrong try counted
    out = submit(phone_code(api, phone, "123456"), "楼道里堆放杂物，多次沟通无果")
    assert out["phone_verified"] is True
    with demo_copy.connect() as conn:
        assert conn.scalar(text("SELECT phone_verified FROM resident_reports WHERE id = :i"),
                           {"i": out["id"]}) is True
        assert conn.scalar(text("SELECT used_at FROM phone_codes WHERE phone = :p"),
                           {"p": phone}) is not None
    with pytest.raises(InvalidCommand):
        phone_code(api, phone, "123456")  # spent with the report
