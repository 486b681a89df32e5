"""Emerging-hotspot answers are kept until the cases change (console/api/analysis_cache.py):
the same question gets the same answer, ``all=0`` is ``all=1`` without the areas of no pattern,
and a new case is counted once the signature is read again."""

from __future__ import annotations

import time

import pytest

from console.api import analysis_cache
from tests.e2e.sec_http import call

A = "/api/v1/analysis/emerging"


@pytest.fixture(scope="module")
def base(writable_server: str) -> str:
    return writable_server


def counted(base: str, query: str) -> tuple[float, dict]:
    status, body, text = call("GET", f"{base}{A}?{query}", user="duty")
    assert status == 200, text
    return sum(f["properties"]["count"] for f in body["features"]), body


def test_a_new_case_is_counted_after_the_signature_interval(base: str) -> None:
    query = "by=cell&size=500&weeks=8&all=1"
    before, whole = counted(base, query)
    assert counted(base, query)[1] == whole  # asked again: the same answer
    _, some, _ = call("GET", f"{base}{A}?by=cell&size=500&weeks=8", user="duty")
    assert some["features"] == [f for f in whole["features"]
                                if f["properties"]["pattern"] != "none"]
    _, page, _ = call("GET", f"{base}/api/v1/addresses?limit=1&offset=300")
    item = page["items"][0]
    status, _, text = call("POST", f"{base}/api/v1/incidents", {
        "category": "neighbour", "channel": "hotline", "lon": item["lon"], "lat": item["lat"],
        "auto_dispatch": False, "title": "缓存失效检查"})
    assert status == 201, text
    time.sleep(analysis_cache.SIGNATURE_S + 0.5)
    after, _ = counted(base, query)
    assert after == before + 1
