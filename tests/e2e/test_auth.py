"""Accounts on the real server: login, tokens, the role × endpoint matrix, two streets, masks."""

import json
import threading
import urllib.error
import urllib.parse
import urllib.request

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import DEMO_PASSWORD, TOKENS, as_user
from tests.e2e.sec_plant import A_SECRETS, C_SECRETS, KEY, leaks, plant


def call(method, url, body=None, *, user="duty", headers=None, form=False):
    if body is None:
        data = None
    elif form:
        data = urllib.parse.urlencode(body).encode()
    else:
        data = json.dumps(body).encode()
    hdrs = {"Content-Type": "application/x-www-form-urlencoded" if form
            else "application/json", **as_user(user), **(headers or {})}
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw[:1] in (b"{", b"[") else raw
    except urllib.error.HTTPError as err:
        raw = err.read()
        return err.code, json.loads(raw) if raw[:1] in (b"{", b"[") else raw


@pytest.fixture(scope="module")
def base(writable_server):
    return writable_server


@pytest.fixture(scope="module")
def db(base):
    """The server's database, to read its audit log."""
    from tests.conftest import SERVED

    engine = create_engine(SERVED[base])
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def planted(base):
    """Cases with planted party names, phones and door numbers (tests.e2e.sec_plant)."""
    return plant(base)


@pytest.fixture(scope="module")
def me(base):
    return {u: call("GET", f"{base}/api/v1/auth/me", user=u)[1] for u in TOKENS}


@pytest.fixture(scope="module")
def cases(base, me):
    """One fresh case in each dispatcher's street, registered by the duty officer."""
    out = {}
    for user in ("dispatcher1", "dispatcher2"):
        street = me[user]["street_id"]
        _, page = call("GET", f"{base}/api/v1/addresses?limit=50&offset=100")
        item = next(i for i in page["items"] if i.get("street_id") == street) if any(
            i.get("street_id") == street for i in page["items"]) else None
        if item is None:
            _, units = call("GET", f"{base}/api/v1/units", user=user)
            u = next(x for x in units["items"] if x["lon"] is not None)
            point = (u["lon"], u["lat"])
        else:
            point = (item["lon"], item["lat"])
        status, reg = call("POST", f"{base}/api/v1/incidents", {
            "category": "neighbour", "channel": "hotline", "lon": point[0], "lat": point[1],
            "auto_dispatch": False, "address": "示例路128号3栋501室",
            "description": "张三丰称邻居李四夜间噪音，电话13912345678",
            "parties": [{"name": "张三丰", "phone": "13912345678"},
                        {"name": "李四", "phone": "13800001111", "role": "respondent"}]})
        assert status == 201, reg
        assert reg["location"]["street"]["id"] == street, (user, reg["location"])
        out[user] = reg["id"]
    return out


def test_health_is_open_everything_else_needs_credentials(base):
    assert call("GET", f"{base}/api/v1/health", user="anonymous")[0] == 200
    for path in ("/api/v1/incidents", "/api/v1/units", "/api/v1/layers/units.geojson",
                 "/api/v1/layers/grids.geojson", "/api/v1/stats/overview",
                 "/api/v1/desk/snapshot", "/api/v1/geocode?q=x", "/api/v1/auth/me",
                 "/api/v1/events"):
        status, body = call("GET", f"{base}{path}", user="anonymous")
        assert status == 401, (path, status)
        assert "登录" in body["error"]["message"]
    status, _ = call("GET", f"{base}/api/v1/units",
                     headers={"Authorization": "Bearer not-a-token"})
    assert status == 401


def test_token_login_me_and_logout(base):
    status, tok = call("POST", f"{base}/api/v1/auth/token",
                       {"username": "dispatcher1", "password": DEMO_PASSWORD}, user="anonymous")
    assert status == 200 and tok["token_type"] == "bearer", tok
    auth = {"Authorization": f"Bearer {tok['access_token']}"}
    status, me = call("GET", f"{base}/api/v1/auth/me", headers=auth)
    assert status == 200 and me["role"] == "dispatcher" and me["street_id"]
    assert me["jurisdiction"]["level"] == "street"
    # the OAuth2 password form works too
    status, tok2 = call("POST", f"{base}/api/v1/auth/token",
                        {"username": "leader", "password": DEMO_PASSWORD}, form=True,
                        user="anonymous")
    assert status == 200 and tok2["user"]["role"] == "leader"
    assert call("POST", f"{base}/api/v1/auth/logout", {}, headers=auth)[0] == 200
    assert call("GET", f"{base}/api/v1/auth/me", headers=auth)[0] == 401


def test_me_tells_role_and_jurisdiction(me):
    assert me["duty"]["jurisdiction"]["level"] == "city"
    assert me["dispatcher1"]["street_id"] != me["dispatcher2"]["street_id"]
    f = me["field1"]
    assert f["role"] == "field" and f["unit_id"] and f["grid_id"] and f["street_id"]
    assert f["home"] == f"/field?unit={f['unit_id']}"
    assert me["leader"]["home"] == "/wall" and me["admin"]["home"] == "/admin"


def test_wrong_passwords_are_refused_then_rate_limited(base, db):
    for _ in range(5):
        status, body = call("POST", f"{base}/api/v1/auth/token",
                            {"username": "dispatcher2", "password": "wrong-one"}, user="anonymous")
        assert status == 401 and body["error"]["message"] == "用户名或密码错误"
    status, body = call("POST", f"{base}/api/v1/auth/token",
                        {"username": "dispatcher2", "password": DEMO_PASSWORD}, user="anonymous")
    assert status == 429 and "次数过多" in body["error"]["message"]
    with db.connect() as conn:
        actions = [r[0] for r in conn.execute(text(
            "SELECT action FROM audit_log WHERE actor = 'dispatcher2' AND entity = 'account' "
            "ORDER BY id"))]
    assert actions.count("login_failed") >= 5 and "login_blocked" in actions


def test_api_key_with_scope(base):
    key = {"X-API-Key": "demo-open311-key"}
    # an Open311 key serves the Open311 face only (issue 14 item 4)
    status, body = call("GET", f"{base}/api/v1/incidents?limit=1", headers=key)
    assert status == 403 and "接口密钥" in body["error"]["message"]
    status, body = call("POST", f"{base}/api/v1/incidents/1/assign", {"unit_ids": [1]},
                        headers=key)
    assert status == 403 and "权限不足" in body["error"]["message"]
    assert call("GET", f"{base}/api/v1/units",
                headers={"X-API-Key": "demo-open311-key-wrong"})[0] == 401


# role × endpoint: the expected status for each (None: 2xx or a domain 4xx, never 401/403)
MATRIX = [
    ("GET", "/api/v1/incidents?limit=5", None,
     {"admin": 200, "duty": 200, "dispatcher1": 200, "leader": 200, "field1": 200}),
    ("GET", "/api/v1/units", None,
     {"admin": 200, "duty": 200, "dispatcher1": 200, "leader": 200, "field1": 200}),
    ("GET", "/api/v1/layers/incidents.geojson", None, {u: 200 for u in TOKENS}),
    ("GET", "/api/v1/stats/overview", None,
     {"admin": 200, "duty": 200, "dispatcher1": 200, "dispatcher2": 200, "leader": 200,
      "field1": 403, KEY: 403}),
    ("GET", "/api/v1/stats/streets", None,
     {"admin": 200, "duty": 200, "dispatcher1": 200, "leader": 200, "field1": 403, KEY: 403}),
    ("GET", "/api/v1/stats/wall?street={s1}", None,
     {"admin": 200, "duty": 200, "dispatcher1": 200, "dispatcher2": 403, "leader": 200,
      "field1": 403, KEY: 403}),
    ("GET", "/api/v1/stats/heat.geojson", None,
     {"duty": 200, "dispatcher2": 200, "field1": 403, KEY: 403}),
    ("GET", "/api/v1/incidents/{a}", None,
     {"admin": 200, "duty": 200, "dispatcher1": 200, "dispatcher2": 403, "leader": 200,
      KEY: 403}),
    ("GET", "/api/v1/units/{unit1}/tasks", None,
     {"admin": 200, "duty": 200, "dispatcher1": 200, "dispatcher2": 403, "leader": 200,
      KEY: 403}),
    ("GET", "/api/v1/incidents/{a}/recommendations", None,
     {"duty": 200, "dispatcher1": 200, "dispatcher2": 403, "leader": 403, "field1": 403,
      KEY: 403}),
    ("GET", "/api/v1/export/street/{s1}.html", None,
     {"admin": 200, "duty": 200, "dispatcher1": 200, "dispatcher2": 403, "leader": 200,
      "field1": 403, KEY: 403}),
    ("GET", "/api/v1/export/case/{a}.html", None,
     {"admin": 200, "duty": 200, "dispatcher1": 200, "dispatcher2": 403, "leader": 200,
      KEY: 403}),
    ("GET", "/api/v1/admin/audit?code={a_code}", None,
     {"admin": 200, "duty": 403, "dispatcher1": 403, "leader": 403, KEY: 403}),
    ("GET", "/api/v1/desk/snapshot", None,
     {"admin": 200, "duty": 200, "dispatcher1": 200, "leader": 403, "field1": 403}),
    ("POST", "/api/v1/incidents", {"category": "nope"},
     {"admin": 422, "duty": 422, "dispatcher1": 422, "leader": 403, "field1": 422}),
    ("POST", "/api/v1/desk/precheck", {},
     {"duty": 200, "dispatcher1": 200, "leader": 403, "field1": 403}),
    ("GET", "/api/v1/admin/units", None,
     {"admin": 200, "duty": 403, "dispatcher1": 403, "leader": 403, "field1": 403}),
]


@pytest.mark.parametrize("method, path, body, expected", MATRIX,
                         ids=[f"{m} {p}" for m, p, _, _ in MATRIX])
def test_role_endpoint_matrix(base, planted, method, path, body, expected):
    for user, want in expected.items():
        who = {"user": "anonymous", "headers": {"X-API-Key": KEY}} if user == KEY \
            else {"user": user}
        status, out = call(method, f"{base}{path.format(**planted)}", body, **who)
        assert status == want or (want == 200 and status in (200, 201)), (user, status, out)
        if status == 403:
            assert "权限不足" in out["error"]["message"] or "辖区" in out["error"]["message"]


def test_case_actions_by_role(base, cases, me):
    c1 = cases["dispatcher1"]
    # reads
    assert call("GET", f"{base}/api/v1/incidents/{c1}", user="dispatcher1")[0] == 200
    status, body = call("GET", f"{base}/api/v1/incidents/{c1}", user="dispatcher2")
    assert status == 403 and "辖区" in body["error"]["message"]
    assert call("GET", f"{base}/api/v1/incidents/{c1}/recommendations",
                user="dispatcher2")[0] == 403
    assert call("GET", f"{base}/api/v1/incidents/{c1}/recommendations",
                user="leader")[0] == 403
    assert call("GET", f"{base}/api/v1/incidents/99999999", user="dispatcher1")[0] == 404
    # writes across the border
    _, units2 = call("GET", f"{base}/api/v1/units", user="dispatcher2")
    unit2 = units2["items"][0]["id"]
    status, _ = call("POST", f"{base}/api/v1/incidents/{c1}/assign", {"unit_ids": [unit2]},
                     user="dispatcher2")
    assert status == 403
    status, _ = call("POST", f"{base}/api/v1/incidents/{c1}/assign", {"unit_ids": [unit2]},
                     user="dispatcher1")
    assert status == 403  # a unit of another street
    assert call("POST", f"{base}/api/v1/units/{unit2}/status",
                {"status": "off_duty"}, user="dispatcher1")[0] == 403
    assert call("POST", f"{base}/api/v1/units/{unit2}/position",
                {"lon": 0, "lat": 0}, user="field1")[0] == 403
    assert call("POST", f"{base}/api/v1/incidents/{c1}/transitions",
                {"to": "acknowledged"}, user="leader")[0] == 403
    assert call("POST", f"{base}/api/v1/incidents/{c1}/transitions",
                {"to": "acknowledged"}, user="field1")[0] == 403  # not its task
    # the field unit's own task
    unit = me["field1"]["unit_id"]
    status, body = call("POST", f"{base}/api/v1/incidents/{c1}/assign", {"unit_ids": [unit]},
                        user="dispatcher1")
    assert status in (200, 409), body
    if status == 200:
        assert call("POST", f"{base}/api/v1/incidents/{c1}/transitions",
                    {"to": "acknowledged", "unit_id": unit}, user="field1")[0] == 200
        status, tasks = call("GET", f"{base}/api/v1/units/{unit}/tasks", user="field1")
        assert status == 200 and any(t["id"] == c1 for t in tasks["tasks"])
        own = next(t for t in tasks["tasks"] if t["id"] == c1)
        assert own["masked"] is False and own["parties"][0]["name"] == "张三丰"


def test_two_streets_see_only_their_own(base, cases, me):
    for user, other in (("dispatcher1", "dispatcher2"), ("dispatcher2", "dispatcher1")):
        street = me[user]["street_id"]
        _, lst = call("GET", f"{base}/api/v1/incidents?limit=1000", user=user)
        assert lst["items"] and all(i["street_id"] == street for i in lst["items"])
        ids = {i["id"] for i in lst["items"]}
        assert cases[user] in ids and cases[other] not in ids
        _, units = call("GET", f"{base}/api/v1/units", user=user)
        assert units["items"] and all(u["street_id"] == street for u in units["items"])
        for layer in ("incidents", "units"):
            _, fc = call("GET", f"{base}/api/v1/layers/{layer}.geojson?state=all", user=user)
            assert fc["features"], layer
            assert {f["properties"]["street_id"] for f in fc["features"]} == {street}, layer
        _, snap = call("GET", f"{base}/api/v1/desk/snapshot", user=user)
        queue = {r["id"] for r in snap["queue"]}
        assert queue and queue <= ids and cases[other] not in queue
        assert {r["id"] for r in snap["units"]} <= {u["id"] for u in units["items"]}
    wall = {u: {f["id"] for f in call("GET", f"{base}/api/v1/stats/cases.geojson", user=u)[1][
        "features"]} for u in ("duty", "dispatcher1", "dispatcher2")}
    assert wall["dispatcher1"] and wall["dispatcher2"]
    assert not wall["dispatcher1"] & wall["dispatcher2"]
    assert wall["dispatcher1"] | wall["dispatcher2"] <= wall["duty"]
    _, all_units = call("GET", f"{base}/api/v1/units", user="duty")
    assert len({u["street_id"] for u in all_units["items"]}) > 2


def test_map_layer_and_exports_keep_to_the_street(base, cases, me):
    """The home map's open-case layer and the offline exports obey jurisdiction too."""
    for user, other in (("dispatcher1", "dispatcher2"), ("dispatcher2", "dispatcher1")):
        street = me[user]["street_id"]
        _, fc = call("GET", f"{base}/api/v1/map/incidents.geojson", user=user)
        ids = {f["properties"]["id"] for f in fc["features"]}
        assert cases[user] in ids and cases[other] not in ids
        assert {f["properties"]["street_id"] for f in fc["features"]} == {street}
        mine = _text(f"{base}/api/v1/export/case/{cases[user]}.html", user)
        assert mine[0] == 200 and "13912345678" not in mine[1]
        assert _text(f"{base}/api/v1/export/case/{cases[other]}.html", user)[0] == 403
        other_street = me[other]["street_id"]
        code = call("GET", f"{base}/api/v1/incidents/{cases[other]}", user="duty")[1]["code"]
        status, page = _text(f"{base}/api/v1/export/street/{other_street}.html", user)
        assert status == 403 and code not in page  # refused, not an empty map (issue 13)
    _, everything = call("GET", f"{base}/api/v1/map/incidents.geojson", user="duty")
    assert set(cases.values()) <= {f["properties"]["id"] for f in everything["features"]}


def _text(url, user):
    req = urllib.request.Request(url, headers=as_user(user))
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_sse_carries_only_the_streets_events(base, me):
    got = {"dispatcher1": [], "dispatcher2": []}
    ready = {u: threading.Event() for u in got}

    def listen(user):
        req = urllib.request.Request(f"{base}/api/v1/events", headers=as_user(user))
        with urllib.request.urlopen(req, timeout=30) as resp:
            ready[user].set()
            for raw in resp:
                line = raw.decode().strip()
                if line.startswith("data: "):
                    got[user].append(json.loads(line[6:]))
                    if any(e.get("type") == "incident_registered"
                           and e.get("code", "").endswith("-END") for e in got[user]):
                        return
                    if len([e for e in got[user] if e.get("type") == "incident_located"]) >= 1:
                        return

    threads = [threading.Thread(target=listen, args=(u,), daemon=True) for u in got]
    for t in threads:
        t.start()
    assert all(r.wait(20) for r in ready.values())
    _, units = call("GET", f"{base}/api/v1/units", user="dispatcher1")
    u = next(x for x in units["items"] if x["lon"] is not None)
    status, reg = call("POST", f"{base}/api/v1/incidents", {
        "category": "debt", "channel": "app", "lon": u["lon"], "lat": u["lat"],
        "auto_dispatch": False, "parties": [{"name": "钱七"}]}, user="duty")
    assert status == 201 and reg["location"]["street"]["id"] == me["dispatcher1"]["street_id"]
    # a case in street 2, so dispatcher2's stream has something to end on
    _, units2 = call("GET", f"{base}/api/v1/units", user="dispatcher2")
    u2 = next(x for x in units2["items"] if x["lon"] is not None)
    status, reg2 = call("POST", f"{base}/api/v1/incidents", {
        "category": "debt", "channel": "app", "lon": u2["lon"], "lat": u2["lat"],
        "auto_dispatch": False, "parties": [{"name": "孙八"}]}, user="duty")
    assert status == 201
    for t in threads:
        t.join(20)
    ids1 = {e.get("incident_id") for e in got["dispatcher1"]}
    ids2 = {e.get("incident_id") for e in got["dispatcher2"]}
    assert reg["id"] in ids1 and reg["id"] not in ids2
    assert reg2["id"] in ids2 and reg2["id"] not in ids1


def test_leader_reads_masks_and_unmasking_is_audited(base, cases, db):
    c1 = cases["dispatcher1"]
    status, case = call("GET", f"{base}/api/v1/incidents/{c1}", user="leader")
    assert status == 200 and case["masked"] is True
    flat = json.dumps(case, ensure_ascii=False)
    for secret in ("张三丰", "李四", "13912345678", "128号"):
        assert secret not in flat, secret
    assert case["parties"][0]["name"] == "张**"
    assert case["parties"][0]["phone"] == "139****5678"
    status, plain = call("GET", f"{base}/api/v1/incidents/{c1}", user="dispatcher1")
    assert plain["masked"] is False and plain["parties"][0]["name"] == "张三丰"
    assert call("POST", f"{base}/api/v1/incidents/{c1}/unmask", {}, user="leader")[0] == 422
    status, un = call("POST", f"{base}/api/v1/incidents/{c1}/unmask",
                      {"reason": "领导督办需联系当事人"}, user="leader")
    assert status == 200 and un["parties"][0]["name"] == "张三丰"
    assert call("POST", f"{base}/api/v1/incidents/{c1}/unmask", {"reason": "x"},
                user="dispatcher2")[0] == 403
    with db.connect() as conn:
        rows = conn.execute(text(
            "SELECT actor, action, reason FROM audit_log WHERE entity = 'incident' "
            "AND entity_id = :i AND action IN ('unmask', 'permission_denied') ORDER BY id"),
            {"i": c1}).all()
    assert ("leader", "unmask", "领导督办需联系当事人") in [tuple(r) for r in rows]
    assert any(r[0] == "dispatcher2" and r[1] == "permission_denied" for r in rows)


def test_writes_are_audited_under_the_authenticated_name(base, cases):
    status, case = call("GET", f"{base}/api/v1/incidents/{cases['dispatcher2']}", user="duty")
    assert status == 200
    assert case["audit"][0]["actor"] == "duty"  # not a name the body or a header claims


# Every read route (GET unless a body is given); {a} … are the planted cases (sec_plant).
READ_ROUTES = [
    "/api/v1/incidents?limit=1000", "/api/v1/incidents?limit=1000&state=registered",
    "/api/v1/incidents/{a}", "/api/v1/incidents/{b}", "/api/v1/incidents/{c}",
    "/api/v1/incidents/{a}/recommendations?limit=50",
    "/api/v1/incidents/{c}/recommendations?limit=50",
    "/api/v1/units", "/api/v1/units/{unit1}/tasks", "/api/v1/units/{field_unit}/tasks",
    "/api/v1/layers/incidents.geojson?state=all", "/api/v1/layers/units.geojson",
    "/api/v1/map/incidents.geojson", "/api/v1/map/heat.geojson",
    "/api/v1/stats/overview", "/api/v1/stats/trend", "/api/v1/stats/categories",
    "/api/v1/stats/ranking", "/api/v1/stats/streets", "/api/v1/stats/wall",
    "/api/v1/stats/wall?street={s1}", "/api/v1/stats/wall?street={s2}",
    "/api/v1/stats/definitions", "/api/v1/stats/hub", "/api/v1/stats/heat.geojson",
    "/api/v1/stats/overdue.geojson", "/api/v1/stats/cases.geojson",
    "/api/v1/desk/snapshot", "/api/v1/desk/hub",
    "/api/v1/admin/audit?code={a_code}", "/api/v1/admin/audit?q=13755550001",
    "/api/v1/admin/audit.csv?code={a_code}", "/api/v1/admin/units",
    "/api/v1/export/case/{a}.html", "/api/v1/export/case/{c}.html",
    "/api/v1/export/street/{s1}.html", "/api/v1/export/street/{s2}.html",
    "/api/v1/auth/me", "/open311/v2/requests.json?api_key=demo-open311-key",
    "/open311/v2/requests/{a_code}.json", "/open311/v2/requests/{a_code}.json?api_key="
    "demo-open311-key",
    ("/api/v1/desk/precheck", {"parties": [{"name": "司马青衫", "phone": "13755550001"},
                                           {"name": "上官飞燕", "phone": "13755550003"}]}),
]
# What each reader may not read: leaders, administrators, Open311 keys and field accounts not
# on the case read masks; a dispatcher reads its own street's parties, not another street's.
FORBIDDEN = {"leader": A_SECRETS + C_SECRETS, "admin": A_SECRETS + C_SECRETS,
             "field1": A_SECRETS + C_SECRETS, KEY: A_SECRETS + C_SECRETS,
             "dispatcher2": A_SECRETS, "dispatcher1": C_SECRETS}
_TYPED = ("司马青衫", "13755550001", "上官飞燕", "13755550003")  # what a precheck body sends


@pytest.mark.parametrize("reader", list(FORBIDDEN))
def test_planted_secrets_reach_no_reader_that_may_not_read_them(base, planted, reader):
    """Issue 14 proof: every read route's whole body, for every role, searched for the planted
    names, phones and door numbers (and the codes of cases outside a street)."""
    who = {"user": "anonymous", "headers": {"X-API-Key": KEY}} if reader == KEY \
        else {"user": reader}
    secrets = FORBIDDEN[reader]
    if reader == "dispatcher1":
        secrets += (planted["c_code"],)
    if reader == "dispatcher2":
        secrets += (planted["a_code"],)
    found = {}
    for route in READ_ROUTES:
        path, body = (route, None) if isinstance(route, str) else route
        url = f"{base}{path.format(**planted)}"
        status, text = _raw("POST" if body else "GET", url, body, **who)
        if body:  # the caller typed these: only what comes back beyond them counts
            for typed in _TYPED:
                text = text.replace(typed, "")
        hits = [h for h in leaks(text, secrets) if h not in url]  # not an echo of the URL
        if hits:
            found[path] = (status, hits)
    assert found == {}, found
    # the control: the duty officer reads them (so the planting and the scan work)
    assert leaks(_raw("GET", f"{base}/api/v1/incidents/{planted['a']}", user="duty")[1],
                 A_SECRETS)


def _raw(method, url, body=None, *, user="duty", headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Content-Type": "application/json", **as_user(user), **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")
