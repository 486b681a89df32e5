"""Issue 14 item 6, login on the real server: ``next`` goes to same-site paths only (no TAB,
CR/LF or backslash tricks, no 500), the lockout counts under the same normalisation the account
look-up uses ("dİspatcher1" with U+0130 is "dispatcher1" to both), an event stream ends when
its session is logged out, and failed logins under made-up names cannot flood the audit log."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import DEMO_PASSWORD, SERVED
from tests.e2e.sec_http import call, login_form

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def base(writable_server: str) -> str:
    return writable_server


@pytest.fixture(scope="module")
def db(base: str) -> Iterator:
    engine = create_engine(SERVED[base])
    yield engine
    engine.dispose()


@pytest.mark.parametrize("next_url", [
    "/\t/evil.example/", "/%09/evil.example/", "//evil.example/", "/\\evil.example/",
    "/\\\\evil.example", "/\r/evil.example", "/\n/evil.example", "http://evil.example/",
])
def test_next_never_leaves_the_site(base: str, next_url: str) -> None:
    status, headers, _ = login_form(base, "leader", DEMO_PASSWORD, next_url)
    assert status == 302, status
    assert headers["Location"] == "/wall"  # the leader's own page instead
    page = urllib.request.urlopen(urllib.request.Request(
        f"{base}/login?next={urllib.parse.quote(next_url)}",
        headers={"X-Test-As": "anonymous"}), timeout=30).read().decode()
    assert 'name="next" value=""' in page


def test_a_crlf_in_next_is_no_server_error(base: str) -> None:
    status, headers, _ = login_form(base, "leader", DEMO_PASSWORD,
                                    "/desk\r\nSet-Cookie: fq_session=planted")
    assert status == 302 and headers["Location"] == "/wall"
    assert "planted" not in json.dumps(headers)


def test_next_to_a_page_of_the_site_still_works(base: str) -> None:
    status, headers, _ = login_form(base, "leader", DEMO_PASSWORD, "/wall?street=1")
    assert status == 302 and headers["Location"] == "/wall?street=1"


def _token_status(base: str, username: str, password: str) -> int:
    return call("POST", f"{base}/api/v1/auth/token",
                {"username": username, "password": password}, user="anonymous")[0]


def test_the_lockout_and_the_lookup_normalise_alike(base: str, db) -> None:  # type: ignore[no-untyped-def]
    with db.connect() as conn:
        same = conn.scalar(text("SELECT lower('dİspatcher1') = 'dispatcher1'"))
    assert "dİspatcher1".lower() != "dispatcher1"  # Python's lower() would open a new counter
    for _ in range(5):
        assert _token_status(base, "dispatcher1", "wrong-password") == 401
    status = _token_status(base, "dİspatcher1", DEMO_PASSWORD)
    # PostgreSQL finds the account under this name only where its lower() folds İ to i; then
    # the counter must be the account's, already full
    assert status == (429 if same else 401), status
    # and the other way round: failures under the dotted name lock the plain one
    for _ in range(5):
        assert _token_status(base, "ADMİN", "wrong-password") in (401, 429)
    assert _token_status(base, "admin", DEMO_PASSWORD) == (429 if same else 200)


def test_an_event_stream_ends_when_its_session_logs_out(base: str) -> None:
    status, tok, _ = call("POST", f"{base}/api/v1/auth/token",
                       {"username": "duty", "password": DEMO_PASSWORD}, user="anonymous")
    assert status == 200
    auth = {"Authorization": f"Bearer {tok['access_token']}"}
    lines: list[str] = []
    opened, ended = threading.Event(), threading.Event()

    def listen() -> None:
        req = urllib.request.Request(f"{base}/api/v1/events", headers=auth)
        with urllib.request.urlopen(req, timeout=40) as resp:
            opened.set()
            for raw in resp:
                lines.append(raw.decode().strip())
        ended.set()

    threading.Thread(target=listen, daemon=True).start()
    assert opened.wait(20)
    assert call("POST", f"{base}/api/v1/auth/logout", {}, headers=auth)[0] == 200
    assert call("GET", f"{base}/api/v1/auth/me", headers=auth)[0] == 401
    # a case registered after the logout must not reach the closed session
    _, page, _ = call("GET", f"{base}/api/v1/addresses?limit=1&offset=400")
    item = page["items"][0]
    call("POST", f"{base}/api/v1/incidents", {
        "category": "debt", "channel": "app", "lon": item["lon"], "lat": item["lat"],
        "auto_dispatch": False, "parties": [{"name": "孙八"}]}, user="duty")
    # the logout ends it at once (console.live.sessions); the wait only guards against a hang
    assert ended.wait(60), f"the stream was still open after logout: {lines}"
    assert "event: end" in lines
    assert not any(line.startswith("data: {") and "incident_registered" in line
                   for line in lines), lines


def test_failed_logins_under_made_up_names_are_bounded_in_the_audit_log(base: str, db) -> None:  # type: ignore[no-untyped-def]
    from console.api.auth import UNKNOWN_NAME_CHARS, UNKNOWN_NAME_ROWS

    mark = uuid.uuid4().hex[:8]
    for i in range(UNKNOWN_NAME_ROWS + 15):
        name = f"x{mark}{i:04d}" + "界" * 80 + "\u202e"
        assert _token_status(base, name, "some-password") == 401
    with db.connect() as conn:
        rows = [r[0] for r in conn.execute(text(
            "SELECT actor FROM audit_log WHERE action = 'login_failed' AND entity_id IS NULL "
            "AND at > now() - interval '10 minutes'"))]
    ours = [a for a in rows if a.startswith(f"x{mark}")]
    assert len(rows) <= UNKNOWN_NAME_ROWS and 0 < len(ours) <= UNKNOWN_NAME_ROWS
    assert all(len(a) <= UNKNOWN_NAME_CHARS and "\u202e" not in a for a in ours)
    # a real account's failure is still written in full, flood or not
    assert _token_status(base, "leader", "wrong-password") == 401
    with db.connect() as conn:
        row = conn.execute(text(
            "SELECT actor, entity_id FROM audit_log WHERE action = 'login_failed' "
            "AND actor = 'leader' ORDER BY id DESC LIMIT 1")).first()
    assert row is not None and row.entity_id is not None
