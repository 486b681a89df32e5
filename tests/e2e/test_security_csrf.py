"""Issue 14 item 5, CSRF on the real server: a write carried by the session cookie is done only
when it comes from the console's own origin with a JSON body; anything else (a foreign or
same-site-other-port origin, no origin at all, a form or text/plain body) is a 403 with the
reason, audited, and changes nothing. Bearer tokens and keys are not affected; the console's own
pages still write (a real browser, both ways)."""

from __future__ import annotations

import http.server
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import SERVED, TOKENS, free_port
from tests.e2e.sec_http import call, cookie_post

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def base(writable_server: str) -> str:
    return writable_server


@pytest.fixture(scope="module")
def db(base: str) -> Iterator:
    engine = create_engine(SERVED[base])
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def case_id(base: str) -> int:
    _, page, _ = call("GET", f"{base}/api/v1/addresses?limit=1&offset=300")
    item = page["items"][0]
    status, reg, _ = call("POST", f"{base}/api/v1/incidents", {
        "category": "neighbour", "channel": "hotline", "lon": item["lon"], "lat": item["lat"],
        "auto_dispatch": False, "parties": [{"name": "赵六", "phone": "13611112222"}]})
    assert status == 201, reg
    return int(reg["id"])


def unmasks(db, case_id: int) -> int:  # type: ignore[no-untyped-def]
    with db.connect() as conn:
        return int(conn.scalar(text(
            "SELECT count(*) FROM audit_log WHERE action = 'unmask' AND entity_id = :i"),
            {"i": case_id}))


def csrf_refusals(db, path: str) -> list[dict]:  # type: ignore[no-untyped-def]
    with db.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(
            "SELECT actor, reason, detail FROM audit_log WHERE action = 'permission_denied' "
            "AND reason = 'csrf' AND detail->>'path' = :p ORDER BY id"), {"p": path})]


REASON = json.dumps({"reason": "回访核实"}).encode()


@pytest.mark.parametrize("headers,ctype,body", [
    ({"Origin": "http://evil.example"}, "application/json", REASON),
    ({"Origin": "http://127.0.0.1:1"}, "application/json", REASON),  # same site, other port
    ({"Origin": "null"}, "application/json", REASON),
    ({"Referer": "http://evil.example/page"}, "application/json", REASON),
    ({}, "application/json", REASON),  # neither Origin nor Referer
    ({"Origin": "SELF"}, "text/plain", REASON),  # what a foreign form or no-cors fetch sends
    ({"Origin": "SELF"}, "application/x-www-form-urlencoded", b"reason=%E5%9B%9E%E8%AE%BF"),
    ({"Origin": "SELF"}, "multipart/form-data; boundary=x",
     b'--x\r\nContent-Disposition: form-data; name="reason"\r\n\r\nx\r\n--x--\r\n'),
])
def test_a_cookie_write_from_elsewhere_is_refused_audited_and_changes_nothing(
        base: str, db, case_id: int, headers: dict, ctype: str, body: bytes) -> None:  # type: ignore[no-untyped-def]
    headers = {k: (base if v == "SELF" else v) for k, v in headers.items()}
    path = f"/api/v1/incidents/{case_id}/unmask"
    before, refused_before = unmasks(db, case_id), len(csrf_refusals(db, path))
    status, err = cookie_post(f"{base}{path}", body, ctype=ctype, **headers)
    assert status == 403, err
    assert err["error"]["code"] == "cross_site" and "跨站请求被拒绝" in err["error"]["message"]
    assert "caller_name" not in err and "赵六" not in json.dumps(err, ensure_ascii=False)
    assert unmasks(db, case_id) == before
    rows = csrf_refusals(db, path)
    assert len(rows) == refused_before + 1
    assert rows[-1]["actor"] == "leader" and rows[-1]["detail"]["method"] == "POST"


def test_the_consoles_own_origin_with_json_is_done(base: str, db, case_id: int) -> None:  # type: ignore[no-untyped-def]
    before = unmasks(db, case_id)
    status, body = cookie_post(f"{base}/api/v1/incidents/{case_id}/unmask", REASON,
                               Origin=base)
    assert status == 200 and body["masked"] is False, body
    status, body = cookie_post(f"{base}/api/v1/incidents/{case_id}/unmask", REASON,
                               Referer=f"{base}/wall")
    assert status == 200, body
    assert unmasks(db, case_id) == before + 2


def test_bearer_tokens_are_not_cookie_writes(base: str, case_id: int) -> None:
    status, body, _ = call("POST", f"{base}/api/v1/incidents/{case_id}/unmask",
                        {"reason": "回访核实"}, user="leader",
                        headers={"Origin": "http://evil.example"})
    assert status == 200, body


def test_cookie_reads_need_no_origin(base: str) -> None:
    req = urllib.request.Request(f"{base}/api/v1/auth/me", headers={
        "Cookie": f"fq_session={TOKENS['duty']}", "X-Test-As": "anonymous"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert json.loads(resp.read())["username"] == "duty"


class _AttackPage(http.server.BaseHTTPRequestHandler):
    """A page on the same host, another port (same site: SameSite=Strict still sends the
    cookie), that posts to the console the two ways a foreign page can without asking."""

    target = ""

    def do_GET(self) -> None:
        page = f"""<!doctype html><html><body><script>
        window.done = Promise.all([
          fetch({json.dumps(self.target)}, {{method: "POST", mode: "no-cors",
            credentials: "include", headers: {{"Content-Type": "text/plain"}},
            body: JSON.stringify({{reason: "csrf"}})}}).catch(() => null),
          fetch({json.dumps(self.target)}, {{method: "POST", mode: "no-cors",
            credentials: "include", body: new URLSearchParams({{reason: "csrf"}})}})
            .catch(() => null)]).then(() => "sent")
        </script></body></html>"""
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(page.encode())

    def log_message(self, *args: object) -> None:
        return None


def test_in_a_browser_a_same_site_page_cannot_write_and_the_console_can(
        base: str, db, case_id: int, browser) -> None:  # type: ignore[no-untyped-def]
    target = f"{base}/api/v1/incidents/{case_id}/unmask"
    handler = type("Attack", (_AttackPage,), {"target": target})
    port = free_port()
    evil = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    path = f"/api/v1/incidents/{case_id}/unmask"
    try:
        before, refused = unmasks(db, case_id), len(csrf_refusals(db, path))
        context = browser.new_context(user="leader")
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}/")
        assert page.evaluate("() => window.done") == "sent"
        assert unmasks(db, case_id) == before
        assert len(csrf_refusals(db, path)) == refused + 2  # both arrived with the cookie

        page.goto(f"{base}/login")  # the console's own origin, logged in by the cookie
        got = page.evaluate("""async (url) => {
            const r = await fetch(url, {method: "POST", credentials: "same-origin",
              headers: {"Content-Type": "application/json"},
              body: JSON.stringify({reason: "回访核实"})})
            return [r.status, await r.json()] }""", target)
        assert got[0] == 200 and got[1]["masked"] is False, got
        assert unmasks(db, case_id) == before + 1
        context.close()
    finally:
        evil.shutdown()
