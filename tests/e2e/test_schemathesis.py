"""Schemathesis against /openapi.json on the real server (tests/e2e/fuzz_api.py), part 0 of 3,
and the document the server serves is the one fuzzed."""

from __future__ import annotations

import json
import urllib.request

import pytest

from console.api.openapi import document
from tests.e2e.fuzz_api import fuzz_test


@pytest.fixture(scope="module")
def base(writable_server: str) -> str:
    return writable_server


def test_the_server_serves_this_document(base: str) -> None:
    with urllib.request.urlopen(f"{base}/openapi.json", timeout=30) as resp:
        assert json.loads(resp.read()) == json.loads(json.dumps(document()))
    with urllib.request.urlopen(f"{base}/api/docs", timeout=30) as resp:
        page = resp.read().decode()
    assert "/api/v1/incidents" in page and "Open311" in page


test_no_input_gets_a_server_error = fuzz_test(0)  # parts 1, 2: test_schemathesis_{1,2}.py
