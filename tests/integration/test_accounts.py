"""Accounts, sessions, API keys and login attempts on real PostgreSQL."""

import pytest
from sqlalchemy import text

from dispatch.adapters import accounts as repo
from dispatch.errors import InvalidCommand


def test_accounts_sessions_keys_and_attempts(empty_engine):
    with empty_engine.begin() as conn:
        aid = repo.create_account(conn, username="boss", password="s3cret-pass", role="admin")
        with pytest.raises(InvalidCommand) as err:
            repo.create_account(conn, username="BOSS", password="s3cret-pass", role="admin")
        assert err.value.detail["field"] == "username"
        with pytest.raises(InvalidCommand):
            repo.create_account(conn, username="x1", password="short", role="admin")
        with pytest.raises(InvalidCommand):
            repo.create_account(conn, username="d1", password="long-enough", role="dispatcher")
        stored = conn.scalar(text("SELECT password_hash FROM accounts WHERE id = :i"), {"i": aid})
        assert stored.startswith("$argon2") and "s3cret" not in stored
        assert repo.authenticate(conn, "boss", "wrong-pass") is None
        assert repo.authenticate(conn, "nobody", "s3cret-pass") is None
        p = repo.authenticate(conn, "boss", "s3cret-pass")
        assert p is not None and p.role == "admin" and p.account_id == aid
        token, _ = repo.open_session(conn, aid)
        assert repo.principal_for_token(conn, token).name == "boss"
        assert conn.scalar(text("SELECT count(*) FROM auth_sessions WHERE token_hash = :t"),
                           {"t": token}) == 0  # only the hash is stored
        repo.set_password(conn, aid, "another-pass", actor="boss")
        assert repo.principal_for_token(conn, token) is None  # revoked with the password
        token2, _ = repo.open_session(conn, aid)
        repo.set_active(conn, aid, False, actor="boss")
        assert repo.principal_for_token(conn, token2) is None
        assert repo.authenticate(conn, "boss", "another-pass") is None
        key = repo.create_api_key(conn, name="hotline", scopes=["open311"])
        kp = repo.principal_for_api_key(conn, key)
        assert kp.kind == "api_key" and kp.scopes == frozenset({"open311"})
        assert repo.principal_for_api_key(conn, key + "x") is None
        with pytest.raises(InvalidCommand):
            repo.create_api_key(conn, name="bad", scopes=["everything"])
        for _ in range(3):
            repo.record_attempt(conn, "Boss", "10.0.0.1", False)
        assert repo.recent_failures(conn, "boss", "10.0.0.1") == 3
        assert repo.recent_failures(conn, "boss", "10.0.0.2") == 0
        repo.record_attempt(conn, "boss", "10.0.0.1", True)
        assert repo.recent_failures(conn, "boss", "10.0.0.1") == 0
        actions = list(conn.execute(text(
            "SELECT action FROM audit_log WHERE entity IN ('account', 'api_key') ORDER BY id"))
            .scalars())
    assert actions == ["account_created", "password_changed", "account_deactivated",
                       "api_key_created"]


def test_demo_accounts_only_on_an_illustrative_territory(demo_engine):
    with demo_engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT username, role FROM accounts")).all())
        assert rows == {"admin": "admin", "duty": "duty", "dispatcher1": "dispatcher",
                        "dispatcher2": "dispatcher", "leader": "leader", "field1": "field"}
        d = dict(conn.execute(text(
            "SELECT username, street_id FROM accounts WHERE role = 'dispatcher'")).all())
        assert d["dispatcher1"] != d["dispatcher2"]
        assert repo.authenticate(conn, "field1", "demo12345").unit_id is not None
        assert repo.principal_for_api_key(conn, "demo-open311-key").scopes == {"open311"}


def test_no_demo_accounts_on_a_real_territory(empty_engine):
    from demo.accounts import ensure_demo_accounts

    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO districts (id, code, name, geom) VALUES (1, 'd', '区', "
                          "ST_Multi(ST_MakeEnvelope(0, 0, 1, 1, 4326)))"))
        conn.execute(text("INSERT INTO streets (id, code, name, district_id, illustrative, geom) "
                          "VALUES (1, 's', '街道', 1, false, "
                          "ST_Multi(ST_MakeEnvelope(0, 0, 1, 1, 4326)))"))
        assert ensure_demo_accounts(conn) == []
        assert conn.scalar(text("SELECT count(*) FROM accounts")) == 0


def test_login_attempts_older_than_the_lockout_needs_are_pruned(empty_engine):
    """The table keeps what the lockout reads (its window, with a margin), not every attempt
    ever made: each insert deletes a batch of rows older than ``ATTEMPTS_KEPT``."""
    from console.api.auth import WINDOW

    assert repo.ATTEMPTS_KEPT >= WINDOW
    n_old = repo.PRUNE_BATCH + 200
    with empty_engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO login_attempts (username, ip, ok, at) SELECT 'flood' || g, '10.9.9.9', "
            "false, now() - interval '2 days' - g * interval '1 second' "
            "FROM generate_series(1, :n) g"), {"n": n_old})
        conn.execute(text("INSERT INTO login_attempts (username, ip, ok, at) VALUES "
                          "('keep', '10.9.9.8', false, now() - interval '3 minutes')"))
    with empty_engine.begin() as conn:
        repo.record_attempt(conn, "keep", "10.9.9.8", False)
    with empty_engine.connect() as conn:
        old = conn.scalar(text("SELECT count(*) FROM login_attempts WHERE username LIKE 'flood%'"))
        assert old == n_old - repo.PRUNE_BATCH  # one batch per insert, oldest first
        assert repo.recent_failures(conn, "keep", "10.9.9.8") == 2  # the window is untouched
    with empty_engine.begin() as conn:
        repo.record_attempt(conn, "keep", "10.9.9.8", True)
    with empty_engine.connect() as conn:
        assert conn.scalar(text(
            "SELECT count(*) FROM login_attempts WHERE username LIKE 'flood%'")) == 0
        assert conn.scalar(text(
            "SELECT count(*) FROM login_attempts WHERE username = 'keep'")) == 3
