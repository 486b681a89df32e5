"""The mediator's record through the real console: 五步 from the phone and the desk, a room
booked twice, the 调解协议书 PDF read back as text, attachments (a spoofed .jpg refused, the
bytes only for those who may read the parties), 延期 decided one level up. The tests share one
case (module fixture); each asserts only what it wrote itself or reads the count from the API."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from io import BytesIO
from typing import Any

import pytest
from sqlalchemy import text

from geo import db
from tests.conftest import SERVED, as_user
from tests.e2e.test_api_dispatch import call

pytestmark = pytest.mark.e2e


def raw(method: str, url: str, *, user: str = "duty", data: bytes | None = None,
        headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={**(headers or {}), **as_user(user)})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def multipart(name: str, content: bytes, ctype: str) -> tuple[bytes, dict[str, str]]:
    b = uuid.uuid4().hex
    body = (f"--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: {ctype}\r\n\r\n").encode() + content + f"\r\n--{b}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={b}"}


@pytest.fixture(scope="module")
def field_case(writable_server: str) -> dict[str, Any]:
    """A case in field1's grid, assigned to field1's unit."""
    base = writable_server
    engine = db.make_engine(SERVED[base])
    try:
        with engine.connect() as conn:
            unit, lon, lat = conn.execute(text(
                "SELECT a.unit_id, ST_X(p), ST_Y(p) FROM accounts a JOIN units u ON u.id = "
                "a.unit_id JOIN LATERAL (SELECT ST_PointOnSurface(g.geom) p FROM grids g WHERE "
                "g.id = u.home_grid_id) q ON true WHERE a.username = 'field1'")).one()
            conn.execute(text("SELECT 1"))
        with engine.begin() as conn:  # on duty with room, whatever the demo's clock says
            conn.execute(text("UPDATE units SET status = 'available', shift = '24h', "
                              "capacity = 5 WHERE id = :u"), {"u": unit})
    finally:
        engine.dispose()
    status, reg = call("POST", f"{base}/api/v1/incidents", {
        "category": "neighbour", "channel": "grid_report", "title": "楼上漏水邻里纠纷",
        "lon": lon, "lat": lat, "address": "和平路18号3栋502室", "auto_dispatch": False,
        "description": "张三丰家天花板被楼上李四家漏水浸泡",
        "parties": [{"name": "张三丰", "phone": "13812341234"},
                    {"name": "李四", "phone": "13900001111", "role": "respondent"}]})
    assert status == 201, reg
    status, out = call("POST", f"{base}/api/v1/incidents/{reg['id']}/assign",
                       {"unit_ids": [unit], "reason": "本网格网格员"})
    assert status == 200, out
    return {"id": reg["id"], "code": reg["code"], "unit": unit, "base": base}


def test_the_record_api_with_its_refusals(field_case):
    base, iid = field_case["base"], field_case["id"]
    url = f"{base}/api/v1/incidents/{iid}"
    status, body = call("POST", f"{url}/steps", {"step": "listen", "note": "听取张三丰陈述"},
                        user="field1")
    assert status == 201, body
    status, body = call("POST", f"{url}/steps", {"step": "judge", "note": "x"}, user="field1")
    assert status == 422 and body["error"]["field"] == "step"
    status, body = call("POST", f"{url}/steps", {"step": "check", "note": "x"}, user="leader")
    assert status == 403
    status, rec = call("GET", f"{url}/record", user="leader")
    assert status == 200 and rec["masked"] is True and rec["steps"][0]["done"]
    assert "张**" in rec["steps"][0]["entries"][0]["note"]
    assert "张三丰" not in json.dumps(rec, ensure_ascii=False)

    # a room booked for 10:00-12:00 cannot be booked 11:00-13:00 by someone else
    room = rec["rooms"][0]["id"]
    day = (datetime.now() + timedelta(days=3)).strftime("%Y-%m-%d")
    people = [{"name": "张三丰", "kind": "party"}, {"name": "李四", "kind": "party"},
              {"name": "王调解", "kind": "mediator"}, {"name": "赵法官", "kind": "judge"}]
    status, first = call("POST", f"{url}/sessions", {
        "starts_at": f"{day}T10:00:00+08:00", "ends_at": f"{day}T12:00:00+08:00",
        "mode": "separate", "facility_id": room, "participants": people}, user="dispatcher1")
    assert status == 201, first
    status, body = call("POST", f"{url}/sessions", {
        "starts_at": f"{day}T11:00:00+08:00", "ends_at": f"{day}T13:00:00+08:00",
        "mode": "joint", "facility_id": room, "participants": people})
    assert status == 409 and "dispatcher1" in body["error"]["message"], body


def test_the_agreement_pdf_carries_masked_names_and_the_terms(field_case):
    from pypdf import PdfReader

    base, iid = field_case["base"], field_case["id"]
    url = f"{base}/api/v1/incidents/{iid}"
    status, _, _ = raw("GET", f"{url}/agreement.pdf")
    assert status == 404
    terms = "一、李四于十二月十五日前修复卫生间防水；二、李四赔偿张三丰装修损失人民币叁仟元整。"
    status, v1 = call("POST", f"{url}/agreement", {
        "committee": "和平社区人民调解委员会", "facts": "李四家卫生间漏水致张三丰家天花板受损",
        "terms": terms, "performance": "修复于十二月十五日前完成，赔偿款当日转账"})
    assert status == 201 and v1["version"] == 1, v1
    status, v2 = call("POST", f"{url}/agreement", {
        "committee": "和平社区人民调解委员会", "facts": "李四家卫生间漏水致张三丰家天花板受损",
        "terms": terms.replace("叁仟", "叁仟伍佰"), "performance": "当日转账",
        "correction": "赔偿金额更正"})
    assert status == 201 and v2["version"] == 2
    status, headers, pdf = raw("GET", f"{url}/agreement.pdf", user="leader")
    assert status == 200 and headers["Content-Type"] == "application/pdf"
    assert pdf.startswith(b"%PDF-") and len(pdf) <= 200 * 1024
    page = "".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages).replace(" ", "")
    page = page.replace("\n", "")
    assert "人民调解协议书" in page and "张**" in page and "李**" in page
    assert "张三丰" not in page and "叁仟伍佰元整" in page and "第2版" in page
    _, _, full = raw("GET", f"{url}/agreement.pdf?version=1")  # duty reads the parties
    text1 = "".join(p.extract_text() for p in PdfReader(BytesIO(full)).pages).replace(" ", "")
    assert "张三丰" in text1 and "叁仟元整" in text1.replace("\n", "")
    status, body = call("POST", f"{url}/judicial", {"status": "applied", "court": "和平区人民法院",
                                                    "on_date": datetime.now().strftime("%Y-%m-%d")})
    assert status == 201 and body["agreement_id"] == v2["id"]


def test_attachments_are_sniffed_and_only_for_those_who_read_the_parties(field_case):
    from PIL import Image

    base, iid = field_case["base"], field_case["id"]
    url = f"{base}/api/v1/incidents/{iid}/attachments"
    body, headers = multipart("photo.jpg", b"<html><script>alert(1)</script></html>",
                              "image/jpeg")
    status, _, out = raw("POST", url, user="field1", data=body, headers=headers)
    assert status == 422 and json.loads(out)["error"]["field"] == "file"
    buf = BytesIO()
    Image.new("RGB", (32, 24), (30, 120, 200)).save(buf, format="JPEG")
    body, headers = multipart("现场照片.jpg", buf.getvalue(), "image/jpeg")
    status, _, out = raw("POST", url, user="field1", data=body, headers=headers)
    got = json.loads(out)
    assert status == 201 and set(got) == {"id", "sha256", "size", "content_type"}
    assert got["content_type"] == "image/jpeg" and got["size"] == len(buf.getvalue())
    one = f"{base}/api/v1/attachments/{got['id']}"
    status, headers, data = raw("GET", one)
    assert status == 200 and data == buf.getvalue() and headers["X-Content-Type-Options"]
    assert raw("GET", one, user="leader")[0] == 403
    assert raw("GET", one, user="anonymous")[0] == 401
    _, rec = call("GET", f"{base}/api/v1/incidents/{iid}/record", user="leader")
    assert rec["attachments"][0]["filename"] is None


def test_an_extension_asked_in_the_field_is_decided_by_the_street(field_case):
    base, iid = field_case["base"], field_case["id"]
    url = f"{base}/api/v1/incidents/{iid}"
    _, before = call("GET", url)
    status, ask = call("POST", f"{url}/extensions", {"days": 4, "reason": "当事人外出务工"},
                       user="field1")
    assert status == 201, ask
    status, body = call("POST", f"{url}/extensions/{ask['id']}/decision", {"approve": True},
                        user="field1")
    assert status == 403 and "审批延期" in body["error"]["message"]
    status, out = call("POST", f"{url}/extensions/{ask['id']}/decision", {"approve": True},
                       user="dispatcher1")
    assert status == 201, out
    _, after = call("GET", url)
    moved = (datetime.fromisoformat(after["close_deadline"])
             - datetime.fromisoformat(before["close_deadline"]))
    assert moved == timedelta(days=4)
    status, figures = call("GET", f"{base}/api/v1/mediators/record?days=30")
    assert status == 200 and figures["extensions"]["approved"] >= 1
    mine = [r for r in figures["items"] if r["id"] == field_case["unit"]]
    assert mine and mine[0]["extensions_approved"] == 1 and mine[0]["steps_recorded"] >= 1


def test_five_steps_on_the_phone_and_the_desk(field_case, browser, artifacts):
    from playwright.sync_api import Error as PlaywrightError

    base, iid, code = field_case["base"], field_case["id"], field_case["code"]
    ctx = browser.new_context(viewport={"width": 375, "height": 667}, user="field1")
    page = ctx.new_page()
    page.goto(f"{base}/field?unit={field_case['unit']}", wait_until="domcontentloaded")
    card = page.locator(".fd-card", has_text=code)
    card.wait_for(timeout=30_000)
    rec = card.locator("details.fr-rec")
    rec.locator("summary").click()
    rec.locator("button.fr-step[data-step='check']").click()
    rec.locator("textarea.fr-note").fill("查看漏水位置，拍照留存")
    rec.locator("button.fr-save").click()
    rec.locator(".fr-msg", has_text="已保存").wait_for(timeout=15_000)
    rec.locator("button.fr-step.done[data-step='check']").wait_for(timeout=15_000)
    for _ in range(5):  # the task list redraws on every event: the panel moves to a new card
        try:
            rec.scroll_into_view_if_needed(timeout=5_000)
            break
        except PlaywrightError:
            page.wait_for_timeout(300)
    page.screenshot(path=str(artifacts / "record-phone.png"))
    ctx.close()

    desk = browser.new_page(viewport={"width": 1366, "height": 768})
    desk.goto(f"{base}/desk?case={iid}", wait_until="domcontentloaded")
    panel = desk.locator(".rc-record[data-loaded='1']")
    panel.wait_for(timeout=60_000)
    assert panel.locator(".rc-step.done[data-step='check']").count() == 1
    panel.locator("select[name='step']").select_option("discuss")
    panel.locator("textarea[name='step_note']").fill("双方当面陈述意见，同意协商赔偿")
    panel.locator("button.rc-save-step").click()
    panel.locator(".rc-step.done[data-step='discuss']").wait_for(timeout=15_000)
    _, record = call("GET", f"{base}/api/v1/incidents/{iid}/record")
    assert panel.locator(".rc-pdf").count() == len(record["agreements"])  # every version
    for _ in range(5):  # the case page redraws when the record's event arrives
        try:
            panel.locator(".rc-step[data-step='discuss']").scroll_into_view_if_needed(
                timeout=5_000)
            break
        except PlaywrightError:
            desk.wait_for_timeout(300)
    desk.screenshot(path=str(artifacts / "record-desk.png"))
    _, record = call("GET", f"{base}/api/v1/incidents/{iid}/record")
    done = [s["step"] for s in record["steps"] if s["done"]]
    assert {"check", "discuss"} <= set(done) and done == [
        s for s in ("listen", "check", "discuss", "mediate", "settle") if s in done]
    desk.close()


def test_the_admin_page_shows_the_per_mediator_record(field_case, browser, artifacts):
    base = field_case["base"]
    call("POST", f"{base}/api/v1/incidents/{field_case['id']}/steps",
         {"step": "mediate", "note": "背对背分别做工作"}, user="field1")
    page = browser.new_page(viewport={"width": 1366, "height": 768}, user="admin")
    page.goto(f"{base}/admin", wait_until="domcontentloaded")
    page.get_by_role("button", name="调解员档案").click()
    row = page.locator(f"tr[data-unit='{field_case['unit']}']")
    row.wait_for(timeout=30_000)
    cells = row.locator("td").all_inner_texts()
    _, figures = call("GET", f"{base}/api/v1/mediators/record?days=30", user="admin")
    (mine,) = [r for r in figures["items"] if r["id"] == field_case["unit"]]
    assert cells[2] == str(mine["handled"]) and int(cells[-1]) == mine["steps_recorded"] >= 1
    assert "延期" in page.locator(".ad-med-ext").inner_text()
    page.screenshot(path=str(artifacts / "record-mediators.png"))
    page.close()
