"""Accounts and API keys through the HTTP API of the real console: a district account sees its
district's streets only, a reset password must be changed before anything else, keys act only
within their scopes, and every step and refusal is in the audit log."""

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import text

from dispatch.vocab import OPEN_STATES
from geo import db
from tests.conftest import SERVED
from tests.e2e.test_api_dispatch import call

pytestmark = pytest.mark.e2e


def acall(method, url, body=None, *, user="admin"):
    return call(method, url, body, user=user)


def raw(method, url, body=None, **headers):
    """A request carrying exactly ``headers`` as credentials (not a demo user's token)."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", "X-Test-As": "anonymous", **headers})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def login(base, username, password):
    status, out = raw("POST", f"{base}/api/v1/auth/token",
                      {"username": username, "password": password})
    assert status == 200, out
    return out["access_token"]


@pytest.fixture(scope="module")
def base(writable_server):
    return writable_server


@pytest.fixture(scope="module")
def engine(base):
    eng = db.make_engine(SERVED[base])
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def two_districts(base, engine):
    """The demo has one district: move the streets with the fewest cases into a second one."""
    with engine.begin() as conn:
        moved = list(conn.execute(text(
            "SELECT s.id FROM streets s LEFT JOIN incidents i ON i.street_id = s.id "
            "GROUP BY s.id HAVING count(i.id) > 0 ORDER BY count(i.id), s.id LIMIT 2")).scalars())
        conn.execute(text(
            "INSERT INTO districts (id, code, name, geom) SELECT 2, 'D2', '乙区（测试）', "
            "ST_Multi(ST_Union(geom)) FROM streets WHERE id = ANY(:m)"), {"m": moved})
        conn.execute(text("UPDATE streets SET district_id = 2 WHERE id = ANY(:m)"), {"m": moved})
        kept = set(conn.execute(text("SELECT id FROM streets WHERE district_id = 1")).scalars())
    return {"moved": set(moved), "kept": kept}


def test_a_district_account_sees_exactly_its_districts_streets(base, engine, two_districts):
    status, made = acall("POST", f"{base}/api/v1/admin/accounts", {
        "username": "qu2.dispatch", "role": "dispatcher", "district_id": 2,
        "display_name": "乙区调度员", "password": "river-bend-2026"})
    assert status == 201, made
    assert made["district_id"] == 2 and made["must_change_password"]
    token = login(base, "qu2.dispatch", "river-bend-2026")
    status, out = raw("POST", f"{base}/api/v1/auth/password",
                      {"current_password": "river-bend-2026", "new_password": "hill-top-2027"},
                      **bearer(token))
    assert status == 200, out
    _, me = raw("GET", f"{base}/api/v1/auth/me", **bearer(token))
    assert me["jurisdiction"]["level"] == "district" and me["district_id"] == 2
    status, mine = raw("GET", f"{base}/api/v1/incidents?state=&limit=1000", **bearer(token))
    assert status == 200
    streets = {i["street_id"] for i in mine["items"]}
    assert streets == two_districts["moved"]  # every street of the district, none other
    # as many as the database holds in those streets (up to the page's 1,000)
    with engine.connect() as conn:
        held = conn.scalar(text("SELECT count(*) FROM incidents WHERE street_id = ANY(:m)"),
                           {"m": sorted(two_districts["moved"])})
        other = {"id": conn.scalar(text("SELECT min(id) FROM incidents WHERE street_id = ANY(:k)"),
                                   {"k": sorted(two_districts["kept"])})}
    assert len(mine["items"]) == min(held, 1000) > 0
    # a case of the other district is refused by id, in Chinese, and audited
    status, refused = raw("GET", f"{base}/api/v1/incidents/{other['id']}", **bearer(token))
    assert status == 403 and "辖区" in refused["error"]["message"]


def test_a_reset_password_must_be_changed_before_anything_else(base, engine):
    status, made = acall("POST", f"{base}/api/v1/admin/accounts", {
        "username": "reset.me", "role": "leader"})
    assert status == 201 and len(made["temporary_password"]) >= 10
    token = login(base, "reset.me", made["temporary_password"])
    status, blocked = raw("GET", f"{base}/api/v1/incidents", **bearer(token))
    assert status == 403 and blocked["error"]["code"] == "password_change_required"
    _, me = raw("GET", f"{base}/api/v1/auth/me", **bearer(token))
    assert me["must_change_password"] is True
    for new, words in (("reset.me-2026", "用户名"), ("1234567890", "常用"), ("short", "10 位")):
        status, bad = raw("POST", f"{base}/api/v1/auth/password",
                          {"current_password": made["temporary_password"], "new_password": new},
                          **bearer(token))
        assert status == 422 and words in bad["error"]["message"]
        assert bad["error"]["field"] == "new_password"
    status, _ = raw("POST", f"{base}/api/v1/auth/password",
                    {"current_password": made["temporary_password"],
                     "new_password": "blue-kettle-88"}, **bearer(token))
    assert status == 200
    status, _ = raw("GET", f"{base}/api/v1/incidents", **bearer(token))
    assert status == 200
    # the administrator resets it: the session ends, the temporary one must be changed again
    status, reset = acall("POST", f"{base}/api/v1/admin/accounts/{made['id']}/reset-password", {})
    assert status == 200 and reset["must_change_password"]
    status, _ = raw("GET", f"{base}/api/v1/incidents", **bearer(token))
    assert status == 401
    token = login(base, "reset.me", reset["temporary_password"])
    status, blocked = raw("GET", f"{base}/api/v1/incidents", **bearer(token))
    assert status == 403 and blocked["error"]["code"] == "password_change_required"
    # deactivated: no login at all
    status, off = acall("POST", f"{base}/api/v1/admin/accounts/{made['id']}/deactivate", {})
    assert status == 200 and off["active"] is False
    status, _ = raw("POST", f"{base}/api/v1/auth/token",
                    {"username": "reset.me", "password": reset["temporary_password"]})
    assert status == 401
    with engine.connect() as conn:
        trail = list(conn.execute(text(
            "SELECT action FROM audit_log WHERE entity = 'account' AND entity_id = :i "
            "AND action NOT IN ('login', 'logout') ORDER BY id"), {"i": made["id"]}).scalars())
        logged = conn.scalar(text("SELECT string_agg(detail::text || coalesce(reason, ''), ' ') "
                                  "FROM audit_log"))
    assert trail == ["account_created", "account_refused", "account_refused", "account_refused",
                     "password_changed", "password_reset", "account_deactivated",
                     "login_failed"]  # a failed login on a real account names it (issue 14)
    assert made["temporary_password"] not in logged and "blue-kettle" not in logged


def test_an_edit_and_a_refusal_are_audited_and_non_admins_are_refused(base, engine):
    status, made = acall("POST", f"{base}/api/v1/admin/accounts", {
        "username": "edit.me", "role": "duty", "password": "green-field-31"})
    assert status == 201
    status, edited = acall("PATCH", f"{base}/api/v1/admin/accounts/{made['id']}",
                          {"role": "leader", "district_id": 1})
    assert status == 200 and (edited["role"], edited["district_id"]) == ("leader", 1)
    status, bad = acall("POST", f"{base}/api/v1/admin/accounts", {
        "username": "weak.one", "role": "duty", "password": "password123"})
    assert status == 422 and bad["error"]["field"] == "password" and "常用" in bad["error"]["message"]
    status, bad = acall("PATCH", f"{base}/api/v1/admin/accounts/{made['id']}",
                       {"role": "dispatcher", "district_id": 999})
    assert status == 422 and bad["error"]["field"] == "district_id"
    status, _ = acall("POST", f"{base}/api/v1/admin/accounts",
                     {"username": "sneaky", "role": "admin"}, user="duty")
    assert status == 403
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT action, reason, detail FROM audit_log WHERE action IN "
            "('account_updated', 'account_refused', 'permission_denied') "
            "AND (entity_id = :i OR detail->>'username' IN ('weak.one', 'sneaky') "
            "OR detail->>'path' = '/api/v1/admin/accounts') ORDER BY id"),
            {"i": made["id"]}).all()
    actions = [r.action for r in rows]
    assert actions[:3] == ["account_updated", "account_refused", "account_refused"]
    assert "permission_denied" in actions
    assert rows[0].detail["changes"]["role"] == {"from": "duty", "to": "leader"}
    assert "常用" in rows[1].reason and rows[1].detail["password"] is True  # whether, not what
    assert "password123" not in json.dumps([list(map(str, r)) for r in rows], ensure_ascii=False)


def test_keys_act_only_within_their_scopes_and_stop_when_revoked(base, engine):
    status, reader = acall("POST", f"{base}/api/v1/admin/api-keys",
                          {"name": "数据平台（只读）", "scopes": ["read"]})
    assert status == 201 and reader["key"].startswith(reader["key_prefix"])
    key = {"X-API-Key": reader["key"]}
    status, _ = raw("GET", f"{base}/api/v1/incidents?limit=5", **key)
    assert status == 200
    _, addr = call("GET", f"{base}/api/v1/addresses?limit=1&offset=77")
    item = addr["items"][0]
    case = {"category": "neighbour", "channel": "hotline", "priority": "normal", "title": "密钥测试",
            "lon": item["lon"], "lat": item["lat"], "auto_dispatch": False}
    status, refused = raw("POST", f"{base}/api/v1/incidents", case, **key)
    assert status == 403 and "权限不足" in refused["error"]["message"]
    status, _ = raw("GET", f"{base}/api/v1/admin/accounts", **key)
    assert status == 403
    # the Open311 face is a scope: a read key is not an Open311 key
    form = urllib.parse.urlencode({"api_key": reader["key"], "service_code": "neighbour",
                                   "lat": item["lat"], "long": item["lon"],
                                   "description": "楼道堆物"}).encode()
    req = urllib.request.Request(f"{base}/open311/v2/requests.json", data=form, method="POST",
                                 headers={"X-Test-As": "anonymous"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=30)
    assert err.value.code == 403

    status, prov = acall("POST", f"{base}/api/v1/admin/api-keys",
                        {"name": "开通脚本", "scopes": ["admin"]})
    assert status == 201
    status, listed = raw("GET", f"{base}/api/v1/admin/api-keys", **{"X-API-Key": prov["key"]})
    assert status == 200 and all("key" not in k for k in listed["items"])
    assert {k["name"] for k in listed["items"]} >= {"数据平台（只读）", "开通脚本"}

    status, revoked = acall("POST", f"{base}/api/v1/admin/api-keys/{reader['id']}/revoke", {})
    assert status == 200 and revoked["active"] is False
    status, _ = raw("GET", f"{base}/api/v1/incidents?limit=5", **key)
    assert status == 401
    status, _ = acall("POST", f"{base}/api/v1/admin/api-keys/{reader['id']}/revoke", {})
    assert status == 422
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT key_hash, key_prefix FROM api_keys WHERE id = :i"),
                              {"i": reader["id"]}).one()
        actions = list(conn.execute(text(
            "SELECT action FROM audit_log WHERE entity = 'api_key' AND entity_id = :i "
            "ORDER BY id"), {"i": reader["id"]}).scalars())
    assert reader["key"] not in stored.key_hash and len(stored.key_hash) == 64
    assert actions == ["api_key_created", "api_key_revoked", "api_key_refused"]


def test_a_district_reader_gets_its_districts_wall_and_figures(base, engine, two_districts,
                                                               browser, artifacts):
    status, made = acall("POST", f"{base}/api/v1/admin/accounts", {
        "username": "qu2.leader", "role": "leader", "district_id": 2,
        "display_name": "乙区领导", "password": "river-bend-2026"})
    assert status == 201, made
    token = login(base, "qu2.leader", "river-bend-2026")
    status, _ = raw("POST", f"{base}/api/v1/auth/password",
                    {"current_password": "river-bend-2026", "new_password": "hill-top-2027"},
                    **bearer(token))
    assert status == 200
    # the figures with no area asked: the district's, its streets ranked, nothing else
    status, over = raw("GET", f"{base}/api/v1/stats/overview", **bearer(token))
    assert status == 200, over
    assert over["scope"]["level"] == "district" and over["scope"]["name"] == "乙区（测试）"
    status, wall = raw("GET", f"{base}/api/v1/stats/wall", **bearer(token))
    assert status == 200
    assert {a["id"] for a in wall["ranking"]} == two_districts["moved"]
    with engine.connect() as conn:  # counted here independently: open cases in its streets
        open_here = conn.scalar(text(
            "SELECT count(*) FROM incidents i WHERE i.street_id = ANY(:m) "
            "AND i.state = ANY(:open) AND NOT EXISTS (SELECT 1 FROM incident_flow f "
            "WHERE f.incident_id = i.id AND f.merged_into IS NOT NULL)"),
            {"m": sorted(two_districts["moved"]), "open": list(OPEN_STATES)})
    assert over["overview"]["open"] == open_here == sum(a["open"] for a in wall["ranking"])
    _, city = acall("GET", f"{base}/api/v1/stats/overview")
    assert city["overview"]["open"] > over["overview"]["open"]
    # a street of its own district opens; the other district, or one of its streets, is refused
    mine, other = min(two_districts["moved"]), min(two_districts["kept"])
    status, street = raw("GET", f"{base}/api/v1/stats/overview?street={mine}", **bearer(token))
    assert status == 200 and street["scope"]["street"] == mine
    for query in (f"street={other}", "district=1"):
        status, refused = raw("GET", f"{base}/api/v1/stats/overview?{query}", **bearer(token))
        assert status == 403 and "辖区" in refused["error"]["message"], query
    # the wall page: opens on the district (its name in the breadcrumb), ranks its streets only
    page = browser.new_page(user=None, viewport={"width": 1920, "height": 1080})
    page.goto(f"{base}/login", wait_until="domcontentloaded")
    page.locator("input[name=username]").fill("qu2.leader")
    page.locator("input[name=password]").fill("hill-top-2027")
    page.locator("input[name=password]").press("Enter")
    page.wait_for_url(f"{base}/wall", timeout=30_000)
    page.locator(".wb-crumb-on", has_text="乙区（测试）").wait_for(timeout=60_000)
    names = {a["name"] for a in wall["ranking"]}
    page.locator(".wb-row:visible").first.wait_for(timeout=30_000)
    shown = set(page.locator(".wb-row:visible td.wb-l").all_inner_texts())
    page.screenshot(path=str(artifacts / "wall-district.png"))
    page.close()
    assert shown == names and len(shown) == len(two_districts["moved"])
