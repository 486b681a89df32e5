"""GET /metrics on the real console: the Prometheus text format (parsed by prometheus-client's own
parser), the families operators watch, a request counted under its route template, and who may
read it."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from console.api.metrics import loopback

pytestmark = pytest.mark.e2e
FAMILIES = (
    "fq_http_request_duration_seconds",  # per route template
    "fq_page_sessions",  # open Panel sessions (and those with a websocket)
    "fq_desk_hub_lag_seconds", "fq_desk_hub_patch_rows", "fq_live_message_bytes",  # live
    "fq_clock_overdue", "fq_clock_overdue_seconds",  # the scheduler's lag, from the database
    "fq_db_pool_connections",  # SQLAlchemy's pool
    "fq_notify_queue_usage_ratio",  # pg_notification_queue_usage()
    "process_resident_memory_bytes",
)


def scrape(base: str, **headers: str) -> dict[str, Any]:
    req = urllib.request.Request(f"{base}/metrics", headers={"X-Test-As": "anonymous", **headers})
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.headers["Content-Type"].startswith("text/plain; version=")
        body = resp.read().decode()
    return {f.name: f for f in text_string_to_metric_families(body)}


def count(fams: dict[str, Any], route: str, status: str = "2xx") -> float:
    return sum(s.value for s in fams["fq_http_request_duration_seconds"].samples
               if s.name.endswith("_count") and s.labels["route"] == route
               and s.labels["method"] == "GET" and s.labels["status"] == status)


def test_the_families_exist_and_a_request_increments_its_routes_histogram(live_server: str) -> None:
    before = scrape(live_server)
    missing = [f for f in FAMILIES if f not in before]
    assert not missing, missing
    pool = {s.labels["state"]: s.value for s in before["fq_db_pool_connections"].samples}
    assert pool["size"] >= 1 and pool["checkedout"] >= 0
    usage = before["fq_notify_queue_usage_ratio"].samples[0].value
    assert 0.0 <= usage < 1.0
    assert before["fq_clock_overdue"].samples[0].value >= 0
    for _ in range(3):
        urllib.request.urlopen(f"{live_server}/api/v1/health", timeout=30).read()
    for _ in range(2):  # a raw path with an id: counted under its template, 4xx
        try:
            urllib.request.urlopen(f"{live_server}/api/v1/incidents/987654321", timeout=30)
        except urllib.error.HTTPError as err:
            assert err.code == 404
    after = scrape(live_server)
    assert count(after, "/api/v1/health") - count(before, "/api/v1/health") >= 3
    assert count(after, "/api/v1/incidents/{}", "4xx") - count(before, "/api/v1/incidents/{}", "4xx") == 2
    routes = {s.labels["route"] for s in after["fq_http_request_duration_seconds"].samples}
    assert not any("987654321" in r for r in routes), routes


def test_the_proxys_headers_are_not_trusted_by_a_console_without_one(live_server: str) -> None:
    # served directly (no --behind-proxy): X-Real-IP is ignored, the peer is loopback
    assert "fq_page_sessions" in scrape(live_server, **{"X-Real-IP": "203.0.113.9"})


def test_only_loopback_addresses_count_as_this_machine() -> None:
    assert loopback("127.0.0.1") and loopback("::1") and loopback("127.8.0.1")
    assert not loopback("10.0.0.5") and not loopback("203.0.113.9") and not loopback(None)
    assert not loopback("not an address")
