"""案件查询 (issue 15 item 6) on the real server: each filter, paging totals, jurisdiction,
masking in the list and in both exports, the export cap and the audit row, and a clerk in the
browser filtering, paging and downloading.

The planted cases (tests/e2e/sec_plant.py) all carry the address "示例路…": a search for it
isolates them from the demo's year of cases; A and B lie in dispatcher1's street, C (debt,
with a unit of street 1 assigned) in dispatcher2's.
"""

from __future__ import annotations

import csv
import io
import urllib.parse
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from openpyxl import load_workbook

from dispatch import limits, vocab
from tests.e2e.sec_http import call, send
from tests.e2e.sec_plant import A_SECRETS, C_SECRETS, leaks, plant

pytestmark = pytest.mark.e2e
MARK = "示例路"
BEIJING = timezone(timedelta(hours=8))


@pytest.fixture(scope="module")
def base(writable_server: str) -> str:
    return writable_server


@pytest.fixture(scope="module")
def planted(base: str) -> dict:
    return plant(base)


def listed(base: str, user: str = "duty", **params: Any) -> dict[str, Any]:
    status, body, text = call("GET", f"{base}/api/v1/incidents?"
                              f"{urllib.parse.urlencode(params)}", user=user)
    assert status == 200, text
    return body  # type: ignore[no-any-return]


def ids(base: str, user: str = "duty", **params: Any) -> set[int]:
    body = listed(base, user, q=MARK, limit=1000, **params)
    assert body["total"] == len(body["items"])
    return {r["id"] for r in body["items"]}


def test_each_filter_keeps_exactly_its_cases(base: str, planted: dict) -> None:
    a, b, c = planted["a"], planted["b"], planted["c"]
    today = datetime.now(BEIJING).date()
    assert ids(base) == {a, b, c}
    # period (received time, Beijing days, inclusive)
    assert ids(base, **{"from": today.isoformat(), "to": today.isoformat()}) == {a, b, c}
    assert ids(base, to=(today - timedelta(days=1)).isoformat()) == set()
    assert ids(base, **{"from": (today + timedelta(days=1)).isoformat()}) == set()
    # area: street, community, grid
    assert ids(base, street=planted["s1"]) == {a, b}
    assert ids(base, street=planted["s2"]) == {c}
    row_a = next(r for r in listed(base, q=planted["a_code"])["items"] if r["id"] == a)
    assert ids(base, community=row_a["community_id"]) >= {a, b}
    assert c not in ids(base, community=row_a["community_id"])
    assert ids(base, grid=row_a["grid_id"]) == {a, b}
    # category, state (one state and the vocabulary's groups), unit, channel
    assert ids(base, category="debt") == {c}
    assert ids(base, category="neighbour") == {a, b}
    assert ids(base, state="open") == {a, b, c}
    assert ids(base, state="done") == set()
    assert ids(base, state="assigned") == {c}
    assert ids(base, unit=planted["unit1"]) == {c}
    assert ids(base, channel="hotline") == {a, b, c}
    assert ids(base, channel="walk_in") == set()


def test_text_search_finds_code_title_and_address(base: str, planted: dict) -> None:
    by_code = listed(base, q=planted["a_code"])
    assert [r["id"] for r in by_code["items"]] == [planted["a"]] and by_code["total"] == 1
    assert {r["id"] for r in listed(base, q="上官飞燕")["items"]} == {planted["c"]}
    assert {r["id"] for r in listed(base, q="66号5栋")["items"]} == {planted["c"]}
    # LIKE's wildcards are searched for, not obeyed
    assert listed(base, q="%")["total"] == 0 and listed(base, q="_")["total"] == 0


def test_pages_add_up_to_the_total_in_the_asked_order(base: str, planted: dict) -> None:
    pages = [listed(base, q=MARK, sort="code", limit=2, offset=o) for o in (0, 2, 4)]
    assert [p["total"] for p in pages] == [3, 3, 3]
    assert [len(p["items"]) for p in pages] == [2, 1, 0]
    codes = [r["code"] for p in pages for r in p["items"]]
    assert codes == sorted(codes) and len(set(codes)) == 3
    newest = listed(base, q=MARK, limit=3)["items"]  # default: newest first
    assert [r["id"] for r in newest] == sorted((r["id"] for r in newest), reverse=True)
    # the whole demo pages too, with a total the pages agree with
    first = listed(base, limit=50, sort="-reported_at")
    assert first["total"] > 1000 and len(first["items"]) == 50
    last = listed(base, limit=50, offset=first["total"] - 10)
    assert len(last["items"]) == 10


def test_a_street_reads_only_its_street(base: str, planted: dict) -> None:
    assert ids(base, "dispatcher1") == {planted["a"], planted["b"]}
    assert ids(base, "dispatcher1", street=planted["s2"]) == set()
    assert ids(base, "dispatcher2") >= {planted["c"]}
    every = listed(base, "dispatcher1", limit=1000)
    assert all(r["street_id"] == planted["s1"] or r["id"] in (planted["a"], planted["b"])
               for r in every["items"])


def test_the_list_masks_as_the_desk_does(base: str, planted: dict) -> None:
    own = {r["id"]: r for r in listed(base, "dispatcher1", q=MARK)["items"]}
    assert own[planted["a"]]["masked"] is False
    assert own[planted["a"]]["title"] == "司马青衫与诸葛云裳噪音纠纷"
    for user in ("leader", "admin"):
        status, body, text = call("GET", f"{base}/api/v1/incidents?q={urllib.parse.quote(MARK)}",
                                  user=user)
        assert status == 200
        rows = {r["id"]: r for r in body["items"]}
        assert rows[planted["a"]]["masked"] is True
        assert rows[planted["a"]]["title"] == "司**与诸**噪音纠纷"
        assert rows[planted["a"]]["address"] == "示例路*号*栋*室"
        assert leaks(text, A_SECRETS + C_SECRETS) == [], user
        assert "party_names" not in text and "created_by" not in rows[planted["a"]]


def export(base: str, fmt: str, user: str, **params: Any) -> Any:
    return send("GET", f"{base}/api/v1/export/incidents.{fmt}?"
                f"{urllib.parse.urlencode(params)}", user=user)


def csv_table(raw: bytes) -> tuple[list[list[str]], list[dict[str, str]]]:
    """The header block and the table of an exported CSV."""
    assert raw.startswith("\ufeff".encode())
    lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    gap = lines.index([])
    head, table = lines[:gap], lines[gap + 1:]
    return head, [dict(zip(table[0], r, strict=True)) for r in table[1:]]


def test_the_csv_is_masked_as_the_list(base: str, planted: dict) -> None:
    got = export(base, "csv", "leader", q=MARK, sort="code")
    assert got.status == 200, got.text
    assert got.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in got.headers["Content-Disposition"]
    head, rows = csv_table(got.raw)
    assert head[0] == ["案件列表导出"]
    assert any(h[0] == "导出人" and h[1] for h in head)
    assert ["关键词", MARK] in head and ["案件数", "3"] in head
    codes = [r["案件编号"] for r in rows]
    assert codes == sorted(codes) and len(codes) == 3
    assert {planted["a_code"], planted["c_code"]} <= set(codes)
    a = next(r for r in rows if r["案件编号"] == planted["a_code"])
    assert a["标题"] == "司**与诸**噪音纠纷" and a["地址"] == "示例路*号*栋*室"
    assert a["个人信息已遮蔽"] == "是" and a["类别"] == vocab.CATEGORIES["neighbour"]
    assert leaks(got.raw.decode("utf-8-sig"), A_SECRETS + C_SECRETS) == []
    # the control: the duty officer handles the cases and exports them whole
    duty = export(base, "csv", "duty", q=MARK)
    assert "司马青衫与诸葛云裳噪音纠纷" in duty.raw.decode("utf-8-sig")


def test_the_excel_holds_real_dates_and_numbers_masked_as_the_list(base: str,
                                                                   planted: dict) -> None:
    got = export(base, "xlsx", "leader", q=MARK, sort="code")
    assert got.status == 200, got.text
    assert got.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(got.raw)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    gap = next(i for i, r in enumerate(values) if all(v is None for v in r))
    head, names, table = values[:gap], values[gap + 1], values[gap + 2:]
    assert head[0][0] == "案件列表导出" and any(r[0] == "关键词" and r[1] == MARK for r in head)
    assert any(r[0] == "导出人" for r in head) and any(r[0] == "案件数" and r[1] == "3"
                                                     for r in head)
    rows = [dict(zip(names, r, strict=True)) for r in table]
    assert len(rows) == 3
    a = next(r for r in rows if r["案件编号"] == planted["a_code"])
    assert a["标题"] == "司**与诸**噪音纠纷" and a["地址"] == "示例路*号*栋*室"
    assert isinstance(a["受理时间"], datetime) and isinstance(a["风险等级"], int)
    assert isinstance(a["系统编号"], int) and a["系统编号"] == planted["a"]
    received = a["受理时间"]
    assert abs(received - datetime.now(BEIJING).replace(tzinfo=None)) < timedelta(hours=2)
    text = " ".join(str(v) for r in values for v in r if v is not None)
    assert leaks(text, A_SECRETS + C_SECRETS) == []


def test_every_export_is_audited_with_its_filters_and_rows(base: str, planted: dict) -> None:
    assert export(base, "xlsx", "leader", q=MARK, category="debt").status == 200
    status, body, _ = call("GET", f"{base}/api/v1/admin/audit?action=case_export&actor=leader",
                           user="admin")
    assert status == 200
    rows = [r for r in body["items"] if r["detail"]["filters"].get("category") == "debt"]
    assert rows, body["items"][:3]
    assert rows[0]["detail"]["rows"] == 1 and rows[0]["detail"]["format"] == "xlsx"
    assert rows[0]["detail"]["filters"]["q"] == MARK and rows[0]["detail"]["masked_rows"] == 1


def test_an_export_over_the_cap_is_refused_in_chinese_and_audited(base: str,
                                                                  planted: dict) -> None:
    total = listed(base, limit=1)["total"]
    assert total > limits.EXPORT_ROWS  # the demo's year of cases
    for fmt in ("csv", "xlsx"):
        got = export(base, fmt, "duty")
        assert got.status == 400, got.text
        err = got.json["error"]
        assert err["code"] == "too_many_rows" and err["field"] == "from"
        assert f"{total:,}" in err["message"] and "超过单次导出上限" in err["message"]
    status, body, _ = call("GET", f"{base}/api/v1/admin/audit?action=case_export_refused"
                           "&actor=duty", user="admin")
    assert status == 200 and body["items"][0]["detail"]["rows"] == total


@pytest.mark.parametrize(("query", "field"), [
    ("from=2026-13-01", "from"), ("to=yesterday", "to"), ("from=2026-02-01&to=2026-01-01", "from"),
    ("category=fishing", "category"), ("state=lost", "state"), ("channel=pigeon", "channel"),
    ("street=abc", "street"), ("unit=0", "unit"), ("limit=0", "limit"),
    (f"limit={limits.CASE_PAGE + 1}", "limit"), ("offset=-1", "offset"), ("sort=title", "sort"),
    (f"q={urllib.parse.quote('长' * (limits.CASE_QUERY + 1))}", "q"),
])
def test_bad_parameters_get_a_chinese_400_naming_them(base: str, query: str,
                                                      field: str) -> None:
    for path in ("/api/v1/incidents", "/api/v1/export/incidents.csv"):
        got = send("GET", f"{base}{path}?{query}")
        assert got.status == 400, (path, query, got.text)
        assert got.json["error"]["field"] == field
        assert any("\u4e00" <= ch <= "\u9fff" for ch in got.json["error"]["message"])


def test_a_clerk_filters_pages_and_downloads(base: str, planted: dict, browser,  # type: ignore[no-untyped-def]
                                             artifacts) -> None:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, user="dispatcher1",
                                  accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{base}/cases", wait_until="domcontentloaded")
        root = page.locator(".cl-root")
        rows = root.locator(".cl-table tbody tr")
        rows.first.wait_for(timeout=30_000)
        total = root.locator(".cl-total")
        assert total.inner_text().startswith("共 ")
        # more cases than one export may carry: the buttons are off and say why
        count = int(total.inner_text().removeprefix("共 ").removesuffix(" 件"))
        assert count == listed(base, "dispatcher1", limit=1)["total"]
        over = count > limits.EXPORT_ROWS
        assert root.get_by_role("button", name="导出 CSV").is_disabled() is over
        # page 2 of the street's cases, then back
        root.locator(".cl-next").click()
        root.locator(".cl-page", has_text="第 2 /").wait_for(timeout=15_000)
        root.locator(".cl-prev").click()
        root.locator(".cl-page", has_text="第 1 /").wait_for(timeout=15_000)
        # the planted cases: a keyword, then a category
        root.locator('input[name="q"]').fill(MARK)
        root.get_by_role("button", name="查询").click()
        root.locator(".cl-total", has_text="共 2 件").wait_for(timeout=15_000)
        assert rows.count() == 2 and "司马青衫" in rows.first.inner_text() + rows.last.inner_text()
        root.locator('select[name="sort"]').select_option("code")
        root.get_by_role("button", name="查询").click()
        for _ in range(150):  # the answer replaces the rows: poll until they are in order
            codes = root.locator(".cl-code").all_inner_texts()
            if len(codes) == 2 and codes[0] < codes[1]:
                break
            page.wait_for_timeout(100)
        assert len(codes) == 2 and codes[0] < codes[1], codes
        root.locator('select[name="category"]').select_option("debt")
        root.get_by_role("button", name="查询").click()
        root.locator(".cl-none").wait_for(timeout=15_000)  # C lies in another street
        root.locator('select[name="category"]').select_option("neighbour")
        root.get_by_role("button", name="查询").click()
        root.locator(".cl-total", has_text="共 2 件").wait_for(timeout=15_000)
        # a bad date range: the API's reason, the field marked
        root.locator('input[name="from"]').fill("2026-02-01")
        root.locator('input[name="to"]').fill("2026-01-01")
        root.get_by_role("button", name="查询").click()
        root.locator(".cl-msg.bad", has_text="开始日期").wait_for(timeout=15_000)
        root.get_by_role("button", name="重置").click()
        root.locator('input[name="q"]').fill(MARK)
        root.get_by_role("button", name="查询").click()
        root.locator(".cl-total", has_text="共 2 件").wait_for(timeout=15_000)
        with page.expect_download(timeout=30_000) as got:
            root.get_by_role("button", name="导出 Excel").click()
        path = got.value.path()
        assert got.value.suggested_filename.endswith(".xlsx")
        sheet = load_workbook(io.BytesIO(path.read_bytes())).active
        found = [r for r in sheet.iter_rows(values_only=True) if r[0] == planted["a_code"]]
        assert len(found) == 1 and found[0][1] == "司马青衫与诸葛云裳噪音纠纷"  # its own street
        with page.expect_download(timeout=30_000) as got_csv:
            root.get_by_role("button", name="导出 CSV").click()
        head, table = csv_table(got_csv.value.path().read_bytes())
        assert len(table) == 2 and ["关键词", MARK] in head
        page.screenshot(path=str(artifacts / "case-list.png"), full_page=True)
    finally:
        context.close()
