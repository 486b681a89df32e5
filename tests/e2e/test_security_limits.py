"""Issue 14 item 7, cheap denials on the real server: a body over the route's limit is refused
from its headers (before a byte of it is read, before any credential is looked up), and JSON
too deeply nested or with a number thousands of digits long is a 400/422, never a 500, on
every JSON face (token, Open311, precheck, intake)."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from tests.e2e.sec_http import call, post_bytes, raw_request

pytestmark = pytest.mark.e2e
DEEP = b"[" * 15_000 + b"]" * 15_000  # 30 KB: over the token's and Open311's size limits
DEEP_SMALL = b"[" * 5_000 + b"]" * 5_000  # 10 KB: under every JSON route's size limit
DEEP_OBJECT = b'{"a":' * 2_000 + b"1" + b"}" * 2_000
LONG_NUMBER = b'{"lon": ' + b"9" * 5000 + b', "lat": 45.6, "category": "debt"}'


@pytest.mark.parametrize("path,user", [
    ("/api/v1/auth/token", None),
    ("/open311/v2/requests.json?api_key=demo-open311-key", None),
    ("/api/v1/desk/precheck", "duty"),
    ("/api/v1/incidents", "duty"),
])
def test_deep_json_is_refused_not_a_server_error(live_server: str, path: str,
                                                 user: str | None) -> None:
    status, err = post_bytes(f"{live_server}{path}", DEEP, user=user)
    assert status in (400, 413), (path, status, err)
    assert "嵌套过深" in str(err) or "请求体过大" in str(err), err
    for body in (DEEP_SMALL, DEEP_OBJECT):
        status, err = post_bytes(f"{live_server}{path}", body, user=user)
        assert status == 400, (path, status, err)
        assert "嵌套过深" in json.dumps(err, ensure_ascii=False), err


@pytest.mark.parametrize("path,user", [
    ("/api/v1/auth/token", None),
    ("/open311/v2/requests.json?api_key=demo-open311-key", None),
    ("/api/v1/desk/precheck", "duty"),
    ("/api/v1/incidents", "duty"),
])
def test_a_five_thousand_digit_number_is_refused_not_a_server_error(
        live_server: str, path: str, user: str | None) -> None:
    status, err = post_bytes(f"{live_server}{path}", LONG_NUMBER, user=user)
    assert status in (400, 422), (path, status, err)
    assert "数字过长" in json.dumps(err, ensure_ascii=False)


@pytest.mark.parametrize("path,auth", [
    ("/api/v1/incidents", ""),  # no credentials at all: refused on its length before the 401
    ("/api/v1/incidents", "Authorization: Bearer nonsense\r\n"),
    ("/api/v1/auth/token", ""),
    ("/open311/v2/requests.json", ""),
    ("/api/v1/desk/precheck", ""),
])
def test_an_oversized_body_is_refused_from_its_headers_alone(live_server: str, path: str,
                                                             auth: str) -> None:
    host = urllib.parse.urlsplit(live_server).netloc
    # 50 MB announced, none sent: the answer must come without waiting for it
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"{auth}Content-Length: 50000000\r\n\r\n")
    # not a byte of the body is ever sent: an answer at all proves it was not waited for
    answer = raw_request(live_server, head, wait_s=10)
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert "请求体过大" in answer


def test_a_refused_request_never_reads_an_upload(live_server: str) -> None:
    """The import route takes 200 MB, but only from an administrator: without credentials
    the answer comes at once and the connection closes with the body unread."""
    host = urllib.parse.urlsplit(live_server).netloc
    head = (f"POST /api/v1/admin/import/roads HTTP/1.1\r\nHost: {host}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 150000000\r\n\r\n")
    answer = raw_request(live_server, head, wait_s=10)
    assert answer.startswith("HTTP/1.1 401"), answer[:200]


def test_a_chunked_body_is_cut_at_the_limit(live_server: str) -> None:
    from tests.conftest import TOKENS

    host = urllib.parse.urlsplit(live_server).netloc
    head = (f"POST /api/v1/desk/precheck HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {TOKENS['duty']}\r\nContent-Type: application/json\r\n"
            "Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"a" * 65536
    body = (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 4  # 256 KB > the route's 64 KB
    answer = raw_request(live_server, head, body, wait_s=10)
    assert answer.startswith("HTTP/1.1 400") or answer == "", answer[:200]


def test_the_login_form_has_the_server_ceiling(live_server: str) -> None:
    host = urllib.parse.urlsplit(live_server).netloc
    head = (f"POST /login HTTP/1.1\r\nHost: {host}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 50000000\r\n\r\n")
    answer = raw_request(live_server, head, wait_s=10)
    assert answer.startswith("HTTP/1.1 400"), answer[:200]


def test_ordinary_bodies_still_work(live_server: str) -> None:
    status, body, _ = call("POST", f"{live_server}/api/v1/desk/precheck",
                           {"category": "debt", "lon": 84.87, "lat": 45.6,
                            "parties": [{"name": "王五", "phone": "13900000000"}]})
    assert status == 200, body
    status, body, _ = call("POST", f"{live_server}/api/v1/auth/token",
                           {"username": "nobody-here", "password": "x" * 10}, user="anonymous",
                           form=True)
    assert status == 401 and body["error"]["message"] == "用户名或密码错误"


def test_uploads_above_the_json_limit_reach_the_import(writable_server: str) -> None:
    """2 MB of a CSV that is not a roster: the import reads it and says why (not a 413)."""
    boundary = "fqboundary"
    payload = ("code,name\n" + "x,y\n" * 600_000).encode()
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"units.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode() + payload + \
        f"\r\n--{boundary}--\r\n".encode()
    assert len(body) > 2 * 1024 * 1024
    status, answer = post_bytes(f"{writable_server}/api/v1/admin/import/units", body,
                                ctype=f"multipart/form-data; boundary={boundary}", user="admin")
    assert status not in (400, 413) and status < 500, (status, answer)
