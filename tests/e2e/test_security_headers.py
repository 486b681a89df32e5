"""Issue 14 item 8, what a probe reads for free: no ``Server`` header on any kind of response
(API, pages, login, static files, errors), and the public health check says up or down only
unless a logged-in account asks."""

from __future__ import annotations

import json

import pytest

from tests.e2e.sec_http import fetch

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("path,user", [
    ("/api/v1/health", "anonymous"),
    ("/api/v1/health", "duty"),
    ("/api/v1/incidents?limit=1", "anonymous"),  # 401
    ("/api/v1/incidents?limit=1", "duty"),
    ("/api/v1/nowhere", "duty"),  # 404 from Tornado's default handler
    ("/login", "anonymous"),
    ("/desk", "anonymous"),  # the page's redirect to /login
    ("/wall", "leader"),  # a Panel page
    ("/assets/admin.js", "duty"),  # our static files (behind the login, as pages are)
    ("/openapi.json", "anonymous"),
    ("/open311/v2/services.json", "anonymous"),
])
def test_no_response_names_the_server(live_server: str, path: str, user: str) -> None:
    status, headers, _ = fetch(f"{live_server}{path}", user, follow=False)
    assert status < 500, (path, status)
    if path.startswith("/assets/"):
        assert status == 200
    assert "Server" not in headers, (path, headers.get("Server"))
    assert not any("tornado" in str(v).lower() for v in headers.values()), headers


def test_anonymous_health_is_up_or_down_only(live_server: str) -> None:
    status, _, raw = fetch(f"{live_server}/api/v1/health", "anonymous", follow=False)
    assert status == 200 and json.loads(raw) == {"status": "ok"}
    status, _, raw = fetch(f"{live_server}/api/v1/health", "anonymous", follow=False,
                           **{"X-API-Key": "demo-open311-key"})
    assert status == 200 and json.loads(raw) == {"status": "ok"}


def test_a_logged_in_account_still_gets_the_details(live_server: str) -> None:
    for user in ("admin", "duty"):
        status, _, raw = fetch(f"{live_server}/api/v1/health", user, follow=False)
        body = json.loads(raw)
        assert status == 200 and body["database"] == "ok" and body["postgis"]
        assert body["territory"]["streets"] > 0 and body["territory"]["grids"] > 0
