"""Schemathesis against /openapi.json on the real server, in parts: no input it generates gets a
5xx. The operations are dealt round-robin into ``PARTS`` test files so that pytest-xdist (which
keeps a file on one worker) fuzzes them on several workers at once.

Every operation is called as the city duty officer (the widest non-admin jurisdiction) with
generated parameters and bodies, valid and invalid. Excluded: the event stream (it never ends)
and logout (it would end the shared test session).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

from console.api.openapi import document
from tests.conftest import TOKENS

PARTS = 3
NEVER = ["/api/v1/events", "/api/v1/triage/stream", "/api/v1/auth/logout"]


def part(k: int) -> Any:
    """The schema with only the ``k``-th of ``PARTS`` round-robin shares of the paths."""
    paths = sorted(p for p in document()["paths"] if p not in NEVER)
    others = [p for i, p in enumerate(paths) if i % PARTS != k]
    return schemathesis.openapi.from_dict(document()).exclude(path=NEVER + others)


# GET requests already answered below 500 in this process, as the server reads them. Hypothesis
# draws the same request again and again where an operation has few or no parameters: GET
# /api/v1/export/wall.png has none, and its 20 examples differed only in generated
# Authorization/X-API-Key values, which our bearer token overrides (console.auth.credentials
# reads a bearer token first): 20 identical chromium renders, ~250 s of the suite. A read asked
# again is the same check, so each distinct GET is sent once; writes are always sent.
CHECKED: set[tuple[str, ...]] = set()
CREDENTIALS = frozenset({"authorization", "x-api-key"})


def _request_key(case: Any, headers: dict[str, str]) -> tuple[str, ...] | None:
    if case.method.upper() != "GET":
        return None
    sent = {k: v for k, v in (case.headers or {}).items()
            if not (headers.get("Authorization") and k.lower() in CREDENTIALS)}
    return (case.formatted_path, repr(sorted((case.query or {}).items())),
            repr(sorted({**sent, **headers}.items())),
            repr(sorted((case.cookies or {}).items())))


def check(case: Any, base: str) -> None:
    headers = {"Authorization": f"Bearer {TOKENS['duty']}"}
    if case.path.startswith("/open311/"):
        headers = {}
    key = _request_key(case, headers)
    if key is not None and key in CHECKED:
        return
    resp = case.call(base_url=base, headers=headers, timeout=60)
    assert resp.status_code < 500, f"{case.method} {case.formatted_path} -> " \
        f"{resp.status_code}: {resp.text[:300]}"
    if resp.status_code >= 400 and "json" in resp.headers.get("Content-Type", ""):
        body = resp.json()
        if case.path.startswith("/api/"):
            assert body["error"]["code"] and body["error"]["message"]
    if key is not None:
        CHECKED.add(key)


def fuzz_test(k: int) -> Callable[..., None]:
    """The test of part ``k``: one item per API operation."""

    @part(k).parametrize()
    @settings(max_examples=int(os.environ.get("FQ_FUZZ_EXAMPLES", "20")), deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                     HealthCheck.function_scoped_fixture])
    def test_no_input_gets_a_server_error(case, base: str) -> None:  # type: ignore[no-untyped-def]
        check(case, base)

    return test_no_input_gets_a_server_error  # type: ignore[no-any-return]
