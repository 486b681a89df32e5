"""The 通知与 Webhook tab in a browser: an administrator sees a failed delivery with its reason,
retries it and sees it delivered to the real local receiver; then edits an SMS text (an unknown
placeholder refused in Chinese naming it, a good text saved and audited)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from tests.conftest import demo_copy, serve_console
from tests.e2e.test_api_dispatch import call
from tests.receivers import http_receiver

pytestmark = pytest.mark.e2e


@pytest.fixture()
def served(settings: Any, base_db: str, demo_territory: Any) -> Iterator[tuple[str, Engine]]:
    """The console over a private copy of the demo, and that copy's engine."""
    with demo_copy(settings, base_db, demo_territory, tag="x") as (url, engine), \
            serve_console(settings, url) as base:
        yield base, engine


def _state(engine: Engine, row: int) -> tuple[str, str | None]:
    with engine.connect() as conn:
        got = conn.execute(text("SELECT state, last_error FROM outbox WHERE id = :i"),
                           {"i": row}).one()
    return str(got[0]), got[1]


def test_a_failed_delivery_is_retried_and_an_sms_text_edited(served, browser, artifacts):
    base, engine = served
    with http_receiver(script=[500]) as http:  # the first try fails, the retry is answered
        status, sub = call("POST", f"{base}/api/v1/admin/webhooks", {
            "name": "区平台", "url": http.url + "/hook", "event_types": ["incident_registered"]},
            user="admin")
        assert status == 201, sub
        status, case = call("POST", f"{base}/api/v1/incidents", {
            "category": "neighbour", "channel": "hotline", "address": "天山路128号",
            "description": "楼道堆物影响通行"})
        assert status == 201, case
        deadline = time.monotonic() + 30
        while True:
            with engine.connect() as conn:
                # claimed (attempts counted) and its answer recorded
                row = conn.scalar(text("SELECT id FROM outbox WHERE subscription_id = :s "
                                       "AND attempts >= 1 AND (last_status IS NOT NULL "
                                       "OR state <> 'pending')"), {"s": sub["id"]})
            if row is not None:
                break
            assert time.monotonic() < deadline, "the first delivery was never tried"
            time.sleep(0.2)
        assert _state(engine, row) == ("pending", "HTTP 500")
        with engine.begin() as conn:
            # the real failure above, declared final as the worker does after
            # OUTBOX_MAX_ATTEMPTS tries (the backoff would take hours in a test)
            conn.execute(text("UPDATE outbox SET state = 'failed' "
                              "WHERE id = :i"), {"i": row})

        context = browser.new_context(viewport={"width": 1440, "height": 900}, user="admin")
        page = context.new_page()
        page.goto(f"{base}/admin", wait_until="domcontentloaded")
        page.get_by_role("button", name="通知与 Webhook").click()
        line = page.locator(f'.ad-ob-rows tr[data-row="{row}"]')
        line.wait_for(timeout=30_000)
        assert "失败" in line.inner_text() and "HTTP 500" in line.inner_text()
        page.screenshot(path=str(artifacts / "admin-outbox-failed.png"), full_page=True)

        line.get_by_role("button", name="重发").click()
        deadline = time.monotonic() + 30
        while "已送达" not in line.inner_text():
            assert time.monotonic() < deadline, line.inner_text()
            page.get_by_role("button", name="通知与 Webhook").click()  # reloads the rows
            time.sleep(0.5)
        assert _state(engine, row)[0] == "delivered"
        assert [r.headers["x-fq-event"] for r in http.got] == ["incident_registered"] * 2
        page.screenshot(path=str(artifacts / "admin-outbox-delivered.png"), full_page=True)

    form = page.locator("form.ad-sms")
    box = form.locator('textarea[name="sms_templates.accepted"]')
    box.fill("{name}您好，您反映的{category}已受理，查询码{ref}。")
    form.get_by_role("button", name="保存短信模板").click()
    form.locator(".ad-msg.bad", has_text="{name}").wait_for(timeout=15_000)
    assert "sms_templates.accepted" in form.locator(".ad-msg").inner_text()
    form.locator('textarea[name="sms_templates.accepted"]').fill(
        "【枫桥】您反映的{category}已受理，凭查询码{ref}查看进度。")
    form.locator('input[name="gateway_id.accepted"]').fill("SMS_0001")
    form.get_by_role("button", name="保存短信模板").click()
    form.locator(".ad-msg.ok", has_text="短信模板已保存").wait_for(timeout=15_000)
    page.screenshot(path=str(artifacts / "admin-outbox-sms.png"), full_page=True)
    context.close()
    status, policy = call("GET", f"{base}/api/v1/admin/policy", user="admin")
    assert policy["policy"]["sms_templates"]["accepted"] == {
        "text": "【枫桥】您反映的{category}已受理，凭查询码{ref}查看进度。", "gateway_id": "SMS_0001"}
    _, audit = call("GET", f"{base}/api/v1/admin/audit?action=policy_update,outbox_retry",
                    user="admin")
    assert {"policy_update", "outbox_retry"} <= {r["action"] for r in audit["items"]}
