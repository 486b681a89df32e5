"""Schemathesis against /openapi.json on the real server (tests/e2e/fuzz_api.py), part 1 of 3."""

from __future__ import annotations

import pytest

from tests.e2e.fuzz_api import fuzz_test


@pytest.fixture(scope="module")
def base(writable_server: str) -> str:
    return writable_server


test_no_input_gets_a_server_error = fuzz_test(1)
