"""Accounts, API keys, login sessions and login attempts in PostgreSQL (argon2 passwords).

Bearer tokens and API keys are random strings shown once; only their SHA-256 is stored.
Changing a password or deactivating an account revokes its sessions.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, text

from dispatch.access import ROLES, SCOPES, Principal
from dispatch.errors import InvalidCommand, NotFound
from dispatch.passwords import MAX_INPUT

_HASHER = PasswordHasher()
# verified against when the username is unknown, so timing does not tell which names exist
_DUMMY_HASH = _HASHER.hash("not-a-password-of-anyone")
MIN_PASSWORD = 8
SESSION_TTL = {"api": timedelta(hours=12), "page": timedelta(hours=12)}

_ACCOUNT_COLS = ("a.id, a.username, a.display_name, a.role, a.district_id, a.street_id, "
                 "a.community_id, a.grid_id, a.unit_id, a.active, a.must_change_password, "
                 "ARRAY(SELECT ds.id FROM streets ds WHERE ds.district_id = a.district_id) "
                 "AS district_streets")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise InvalidCommand(f"密码至少 {MIN_PASSWORD} 位", field="password")
    if len(password) > MAX_INPUT:
        raise InvalidCommand(f"密码过长（上限 {MAX_INPUT} 位）", field="password")


def principal_from_row(row: Any) -> Principal:
    return Principal(name=row["username"], kind="account", role=row["role"],
                     account_id=row["id"], district_id=row["district_id"],
                     district_streets=frozenset(row["district_streets"] or ()),
                     street_id=row["street_id"],
                     community_id=row["community_id"], grid_id=row["grid_id"],
                     unit_id=row["unit_id"], display_name=row["display_name"],
                     must_change_password=bool(row["must_change_password"]))


def audit(conn: Connection, *, actor: str, action: str, entity: str = "account",
          entity_id: int | None = None, reason: str | None = None,
          detail: dict[str, Any] | None = None) -> None:
    """One row of the append-only audit log (never a password, token or party's data)."""
    conn.execute(text(
        "INSERT INTO audit_log (actor, action, entity, entity_id, reason, detail) "
        "VALUES (:actor, :action, :entity, :eid, :reason, CAST(:detail AS jsonb))"),
        {"actor": actor[:60], "action": action[:40], "entity": entity[:20], "eid": entity_id,
         "reason": reason, "detail": json.dumps(detail or {}, ensure_ascii=False, default=str)})


# -- accounts -------------------------------------------------------------------------------------
def _unit_home(conn: Connection, unit_id: int) -> dict[str, Any]:
    row = conn.execute(text(
        "SELECT u.id, u.street_id, u.community_id, u.home_grid_id FROM units u WHERE u.id = :u"),
        {"u": unit_id}).mappings().first()
    if row is None:
        raise NotFound(f"单位 {unit_id} 不存在", unit_id=unit_id)
    return dict(row)


def create_account(conn: Connection, *, username: str, password: str, role: str,
                   street_id: int | None = None, community_id: int | None = None,
                   grid_id: int | None = None, unit_id: int | None = None,
                   display_name: str | None = None, actor: str = "system",
                   district_id: int | None = None, must_change_password: bool = False) -> int:
    """A new account; a field account takes its unit's street, community and grid.

    Only the length floor is checked here (the demo's fixed password); people's passwords go
    through :mod:`dispatch.passwords` in :mod:`dispatch.adapters.account_admin` first.
    """
    if role not in ROLES:
        raise InvalidCommand(f"未知角色：{role}（可选：{'、'.join(ROLES)}）", field="role")
    check_password(password)
    if role == "dispatcher" and district_id is None and street_id is None and community_id is None:
        raise InvalidCommand("街道调度员须指定所属街道", field="street_id")
    if role == "field":
        if unit_id is None:
            raise InvalidCommand("网格员/外勤账号须绑定单位", field="unit_id")
        home = _unit_home(conn, unit_id)
        street_id = street_id if street_id is not None else home["street_id"]
        community_id = community_id if community_id is not None else home["community_id"]
        grid_id = grid_id if grid_id is not None else home["home_grid_id"]
    if role == "dispatcher" and community_id is not None and street_id is None:
        street_id = conn.scalar(text("SELECT street_id FROM communities WHERE id = :c"),
                                {"c": community_id})
    exists = conn.scalar(text("SELECT 1 FROM accounts WHERE lower(username) = lower(:u)"),
                         {"u": username})
    if exists:
        raise InvalidCommand(f"用户名 {username} 已存在", field="username")
    new_id = int(conn.scalar(text(
        "INSERT INTO accounts (username, display_name, password_hash, role, district_id, "
        "street_id, community_id, grid_id, unit_id, must_change_password) "
        "VALUES (:u, :d, :h, :r, :dist, :s, :c, :g, :unit, :must) RETURNING id"),
        {"u": username, "d": display_name, "h": hash_password(password), "r": role,
         "dist": district_id, "s": street_id, "c": community_id, "g": grid_id,
         "unit": unit_id, "must": must_change_password}))
    audit(conn, actor=actor, action="account_created", entity_id=new_id,
          detail={"username": username, "role": role, "district_id": district_id,
                  "street_id": street_id,
                  "community_id": community_id, "grid_id": grid_id, "unit_id": unit_id})
    return new_id


def get_account(conn: Connection, *, username: str | None = None,
                account_id: int | None = None) -> dict[str, Any] | None:
    where = "lower(a.username) = lower(:k)" if username is not None else "a.id = :k"
    row = conn.execute(text(f"SELECT {_ACCOUNT_COLS}, a.password_hash FROM accounts a "
                            f"WHERE {where}"),
                       {"k": username if username is not None else account_id}).mappings().first()
    return None if row is None else dict(row)


def list_accounts(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(text(
        f"SELECT {_ACCOUNT_COLS}, a.created_at, a.password_changed_at FROM accounts a "
        "ORDER BY a.id")).mappings()]


def set_password(conn: Connection, account_id: int, password: str, *, actor: str,
                 must_change: bool = False, keep_token: str | None = None,
                 action: str = "password_changed") -> None:
    """A new password; every session but ``keep_token``'s is revoked. ``must_change``: the
    holder must change it at the next login (a reset)."""
    check_password(password)
    n = conn.execute(text("UPDATE accounts SET password_hash = :h, password_changed_at = now(), "
                          "must_change_password = :m WHERE id = :i"),
                     {"h": hash_password(password), "i": account_id, "m": must_change})
    if not n.rowcount:
        raise NotFound(f"账号 {account_id} 不存在", account_id=account_id)
    revoke_sessions(conn, account_id, keep=keep_token)
    audit(conn, actor=actor, action=action, entity_id=account_id,
          detail={"must_change_password": must_change} if must_change else None)


def set_active(conn: Connection, account_id: int, active: bool, *, actor: str) -> None:
    n = conn.execute(text("UPDATE accounts SET active = :a WHERE id = :i"),
                     {"a": active, "i": account_id})
    if not n.rowcount:
        raise NotFound(f"账号 {account_id} 不存在", account_id=account_id)
    if not active:
        revoke_sessions(conn, account_id)
    audit(conn, actor=actor, action="account_activated" if active else "account_deactivated",
          entity_id=account_id)


def authenticate(conn: Connection, username: str, password: str) -> Principal | None:
    """The account's principal when the password is right and the account active."""
    row = get_account(conn, username=username) if username else None
    if row is None:
        verify_password(_DUMMY_HASH, password)
        return None
    if not verify_password(row["password_hash"], password) or not row["active"]:
        return None
    if _HASHER.check_needs_rehash(row["password_hash"]):
        conn.execute(text("UPDATE accounts SET password_hash = :h WHERE id = :i"),
                     {"h": hash_password(password), "i": row["id"]})
    return principal_from_row(row)


# -- sessions ------------------------------------------------------------------------------------
def open_session(conn: Connection, account_id: int, *, client: str = "api",
                 now: datetime | None = None, token: str | None = None,
                 ttl: timedelta | None = None) -> tuple[str, datetime]:
    """A fresh opaque token (random unless given) and its expiry (the client's usual span
    unless ``ttl`` says shorter); only its hash is stored."""
    token = token or secrets.token_urlsafe(32)
    expires = conn.scalar(text(
        "INSERT INTO auth_sessions (token_hash, account_id, expires_at, client) VALUES "
        "(:h, :a, COALESCE(CAST(:now AS timestamptz), now()) + CAST(:ttl AS interval), :c) "
        "RETURNING expires_at"),
        {"h": token_hash(token), "a": account_id, "now": now,
         "ttl": f"{int((ttl or SESSION_TTL[client]).total_seconds())} seconds", "c": client})
    return token, expires


def principal_for_token(conn: Connection, token: str) -> Principal | None:
    row = conn.execute(text(
        f"SELECT {_ACCOUNT_COLS} FROM auth_sessions s JOIN accounts a ON a.id = s.account_id "
        "WHERE s.token_hash = :h AND s.revoked_at IS NULL AND s.expires_at > now() "
        "AND a.active"), {"h": token_hash(token)}).mappings().first()
    return None if row is None else principal_from_row(row)


def principal_for_account(conn: Connection, account_id: int) -> Principal | None:
    """The account's principal as stored now (its areas may have been replaced: new ids), or
    None for an account gone or deactivated."""
    row = conn.execute(text(f"SELECT {_ACCOUNT_COLS} FROM accounts a WHERE a.id = :i "
                            "AND a.active"), {"i": account_id}).mappings().first()
    return None if row is None else principal_from_row(row)


def revoke_token(conn: Connection, token: str) -> bool:
    n = conn.execute(text("UPDATE auth_sessions SET revoked_at = now() WHERE token_hash = :h "
                          "AND revoked_at IS NULL"), {"h": token_hash(token)})
    return bool(n.rowcount)


def revoke_sessions(conn: Connection, account_id: int, *, keep: str | None = None) -> int:
    n = conn.execute(text("UPDATE auth_sessions SET revoked_at = now() WHERE account_id = :a "
                          "AND revoked_at IS NULL AND token_hash <> :keep"),
                     {"a": account_id, "keep": token_hash(keep) if keep else ""})
    return int(n.rowcount or 0)


# -- API keys --------------------------------------------------------------------------------------
def create_api_key(conn: Connection, *, name: str, scopes: Iterable[str],
                   key: str | None = None, street_id: int | None = None,
                   district_id: int | None = None, actor: str = "system") -> str:
    """A new key (random unless given); returns the key, which is never stored in clear."""
    scopes = sorted(set(scopes))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise InvalidCommand(f"未知的权限范围：{'、'.join(unknown) or '（空）'}"
                             f"（可选：{'、'.join(SCOPES)}）", field="scopes")
    key = key or f"fq_{secrets.token_urlsafe(30)}"
    if conn.scalar(text("SELECT 1 FROM api_keys WHERE lower(name) = lower(:n)"), {"n": name}):
        raise InvalidCommand(f"密钥名称 {name} 已存在", field="name")
    key_id = conn.scalar(text(
        "INSERT INTO api_keys (name, key_hash, scopes, street_id, district_id, key_prefix, "
        "created_by) VALUES (:n, :h, :s, :st, :d, :p, :by) RETURNING id"),
        {"n": name, "h": token_hash(key), "s": scopes, "st": street_id, "d": district_id,
         "p": key[:8], "by": actor[:60]})
    audit(conn, actor=actor, action="api_key_created", entity="api_key", entity_id=key_id,
          detail={"name": name, "scopes": scopes, "street_id": street_id,
                  "district_id": district_id})
    return key


def principal_for_api_key(conn: Connection, key: str) -> Principal | None:
    row = conn.execute(text(
        "SELECT k.id, k.name, k.scopes, k.street_id, k.district_id, "
        "ARRAY(SELECT ds.id FROM streets ds WHERE ds.district_id = k.district_id) "
        "AS district_streets FROM api_keys k WHERE k.key_hash = :h AND k.active"),
        {"h": token_hash(key)}).mappings().first()
    if row is None:
        return None
    return Principal(name=row["name"], kind="api_key", key_id=row["id"],
                     scopes=frozenset(row["scopes"]), street_id=row["street_id"],
                     district_id=row["district_id"],
                     district_streets=frozenset(row["district_streets"] or ()))


# -- login attempts ------------------------------------------------------------------------------
# The counter keys on PostgreSQL's lower(), the very function get_account() finds accounts
# with: Python's str.lower() differs on some letters ("admİn" with U+0130 lowers to "admi̇n"
# in Python but to "admin" in PostgreSQL) and such a name would log in on a fresh counter.
#
# Only the lockout reads these rows (the audit log keeps logins and failures apart), and it looks
# back one window: older rows are deleted as new ones come in, a batch at a time, so the table
# stays the size of a day's logins however many attempts a flood makes.
ATTEMPTS_KEPT = timedelta(days=1)  # must cover console.api.auth.WINDOW (a test checks)
PRUNE_BATCH = 1000


def record_attempt(conn: Connection, username: str, ip: str, ok: bool, *,
                   kept: timedelta = ATTEMPTS_KEPT) -> None:
    conn.execute(text("INSERT INTO login_attempts (username, ip, ok) "
                      "VALUES (left(lower(:u), 60), :ip, :ok)"),
                 {"u": username, "ip": ip[:64], "ok": ok})
    conn.execute(text(
        "DELETE FROM login_attempts WHERE id IN (SELECT id FROM login_attempts "
        "WHERE at < now() - CAST(:k AS interval) ORDER BY at LIMIT :n FOR UPDATE SKIP LOCKED)"),
        {"k": f"{int(kept.total_seconds())} seconds", "n": PRUNE_BATCH})


def recent_failures(conn: Connection, username: str, ip: str, *,
                    window: timedelta = timedelta(minutes=5)) -> int:
    """Failed logins for this username from this address in ``window``, since the last success."""
    return int(conn.scalar(text(
        "WITH k AS (SELECT left(lower(:u), 60) AS u) "
        "SELECT count(*) FROM login_attempts, k WHERE username = k.u AND ip = :ip AND NOT ok "
        "AND at > now() - CAST(:w AS interval) AND at > COALESCE((SELECT max(at) FROM "
        "login_attempts, k WHERE username = k.u AND ip = :ip AND ok), '-infinity')"),
        {"u": username, "ip": ip[:64],
         "w": f"{int(window.total_seconds())} seconds"}) or 0)


def unknown_name_refusals(conn: Connection, *, window: timedelta) -> int:
    """Failed or blocked logins audited under a name no account has, in the last ``window``."""
    return int(conn.execute(text(
        "SELECT count(*) FROM audit_log WHERE at > now() - CAST(:w AS interval) "
        "AND action IN ('login_failed', 'login_blocked') AND entity = 'account' "
        "AND entity_id IS NULL"),
        {"w": f"{int(window.total_seconds())} seconds"}).scalar_one())
