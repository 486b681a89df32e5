"""Schemathesis against /openapi.json on the real server: no input it generates gets a 5xx.

The document is the one the server serves (checked equal below); every operation is called
as the city duty officer (the widest non-admin jurisdiction) with generated parameters and
bodies, valid and invalid. Excluded: the event stream (it never ends) and logout (it would
end the shared test session).
"""

from __future__ import annotations

import json
import os
import urllib.request

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from console.openapi import document
from tests.conftest import TOKENS

schema = schemathesis.openapi.from_dict(document()).exclude(
    path=["/api/v1/events", "/api/v1/auth/logout"])


@pytest.fixture(scope="module")
def base(writable_server: str) -> str:
    return writable_server


def test_the_server_serves_this_document(base: str) -> None:
    with urllib.request.urlopen(f"{base}/openapi.json", timeout=30) as resp:
        assert json.loads(resp.read()) == json.loads(json.dumps(document()))
    with urllib.request.urlopen(f"{base}/api/docs", timeout=30) as resp:
        page = resp.read().decode()
    assert "/api/v1/incidents" in page and "Open311" in page


@schema.parametrize()
@settings(max_examples=int(os.environ.get("FQ_FUZZ_EXAMPLES", "20")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_no_input_gets_a_server_error(case, base: str) -> None:  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {TOKENS['duty']}"}
    if case.path.startswith("/open311/"):
        headers = {}
    resp = case.call(base_url=base, headers=headers, timeout=60)
    assert resp.status_code < 500, f"{case.method} {case.formatted_path} -> " \
        f"{resp.status_code}: {resp.text[:300]}"
    if resp.status_code >= 400 and "json" in resp.headers.get("Content-Type", ""):
        body = resp.json()
        if case.path.startswith("/api/"):
            assert body["error"]["code"] and body["error"]["message"]
