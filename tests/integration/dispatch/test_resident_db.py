"""Migration 0017 (resident reports) matches its tables; challenges are spent once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatch.adapters import orm_resident
from dispatch.adapters.resident_repo import issue_challenge, spend_challenge

from .conftest import drift


def test_orm_matches_migration_0017(empty_engine):
    ours = {t.name for t in orm_resident.RESIDENT_TABLES}
    with empty_engine.connect() as conn:
        assert drift(conn, ours) == []


def test_a_challenge_is_spent_once_and_expires(empty_engine):
    now = datetime.now(UTC)
    with empty_engine.begin() as conn:
        issue_challenge(conn, nonce="a" * 32, bits=16, at=now, ttl_s=60)
        issue_challenge(conn, nonce="b" * 32, bits=16, at=now - timedelta(seconds=120), ttl_s=600)
        assert spend_challenge(conn, "a" * 32, at=now, ttl_s=60) == 16
        assert spend_challenge(conn, "a" * 32, at=now, ttl_s=60) is None
        assert spend_challenge(conn, "b" * 32, at=now, ttl_s=60) is None  # too old
