"""Administering accounts and API keys: create, edit, deactivate, reset, change, issue, revoke.

Each function is one step an administrator (or the account holder) takes, run inside the
caller's transaction with its audit row; a refused step raises before writing anything and the
caller audits the refusal (:func:`audit_refusal`) in a transaction of its own. Passwords meet
:mod:`dispatch.passwords`; a jurisdiction is one area at one of the levels of
:data:`dispatch.access.LEVELS` and must nest (a street inside the district given, and so on).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, text

from dispatch import passwords
from dispatch.access import ROLES, SCOPES
from dispatch.adapters import accounts as repo
from dispatch.errors import InvalidCommand, NotFound

USERNAME = re.compile(r"[A-Za-z0-9_.-]{2,40}")  # as the accounts table's check constraint
AREA_FIELDS = ("district_id", "street_id", "community_id", "grid_id")
_AREA_SQL = {
    "district_id": ("区县", "SELECT id, NULL::int AS parent FROM districts WHERE id = :i"),
    "street_id": ("街道", "SELECT id, district_id AS parent FROM streets WHERE id = :i"),
    "community_id": ("社区", "SELECT id, street_id AS parent FROM communities WHERE id = :i"),
    "grid_id": ("网格", "SELECT id, community_id AS parent FROM grids WHERE id = :i"),
}
# roles whose jurisdiction may be narrower than the city (admin always sees the whole)
AREA_ROLES = ("duty", "dispatcher", "leader", "field")


def jurisdiction(conn: Connection, role: str, given: Mapping[str, Any]) -> dict[str, Any]:
    """The checked area columns for ``role`` from ``given`` (ids of ``AREA_FIELDS`` and
    ``unit_id``): each area exists, each nests in the wider one given; a field account takes
    its unit's street, community and grid when they are not given."""
    if role not in ROLES:
        raise InvalidCommand(f"未知角色：{role}（可选：{'、'.join(ROLES)}）", field="role")
    area: dict[str, Any] = {k: given.get(k) for k in (*AREA_FIELDS, "unit_id")}
    for k, v in area.items():
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
            raise InvalidCommand(f"{k} 须为正整数", field=k)
    if role == "admin":
        if any(area.values()):
            raise InvalidCommand("系统管理员管理全市，不设辖区与单位", field="role")
        return area
    if area["unit_id"] is not None and role != "field":
        raise InvalidCommand("只有网格员/外勤账号绑定单位", field="unit_id")
    if area["grid_id"] is not None and role != "field":
        raise InvalidCommand("网格级辖区只用于网格员/外勤账号", field="grid_id")
    if role == "field":
        if area["unit_id"] is None:
            raise InvalidCommand("网格员/外勤账号须绑定单位", field="unit_id")
        unit = conn.execute(text("SELECT street_id, community_id, home_grid_id FROM units "
                                 "WHERE id = :u"), {"u": area["unit_id"]}).mappings().first()
        if unit is None:
            raise InvalidCommand(f"单位 {area['unit_id']} 不存在", field="unit_id")
        for k, col in (("street_id", "street_id"), ("community_id", "community_id"),
                       ("grid_id", "home_grid_id")):
            if area[k] is None:
                area[k] = unit[col]
    if role == "dispatcher" and not any(area[k] for k in AREA_FIELDS):
        raise InvalidCommand("街道调度员须指定辖区（区县、街道或社区）", field="street_id")
    parents: dict[str, Any] = {}
    for k in AREA_FIELDS:
        if area[k] is None:
            continue
        label, sql = _AREA_SQL[k]
        row = conn.execute(text(sql), {"i": area[k]}).mappings().first()
        if row is None:
            raise InvalidCommand(f"{label} {area[k]} 不存在", field=k)
        parents[k] = row["parent"]
    # each given level must sit inside the next wider one given
    for inner, outer in zip(AREA_FIELDS[1:], AREA_FIELDS[:-1], strict=True):
        if inner in parents and area[outer] is not None and parents[inner] != area[outer]:
            raise InvalidCommand(f"{_AREA_SQL[inner][0]} {area[inner]} 不属于"
                                 f"{_AREA_SQL[outer][0]} {area[outer]}", field=inner)
    if role == "dispatcher" and area["community_id"] is not None and area["street_id"] is None:
        area["street_id"] = parents["community_id"]
    return area


def audit_refusal(conn: Connection, *, actor: str, action: str, reason: str,
                  entity: str = "account", entity_id: int | None = None,
                  detail: dict[str, Any] | None = None) -> None:
    """A refused account or key step, for the record (never the password that was refused)."""
    repo.audit(conn, actor=actor, action="account_refused" if entity == "account"
               else "api_key_refused", entity=entity, entity_id=entity_id, reason=reason[:500],
               detail={"step": action, **(detail or {})})


def _account(conn: Connection, account_id: int) -> dict[str, Any]:
    row = repo.get_account(conn, account_id=account_id)
    if row is None:
        raise NotFound(f"账号 {account_id} 不存在", account_id=account_id)
    return row


def create(conn: Connection, body: Mapping[str, Any], *, actor: str) -> dict[str, Any]:
    """A new account. Without a ``password`` a temporary one is made and returned once; either
    way the holder must change it at the first login."""
    username = str(body.get("username") or "").strip()
    if not USERNAME.fullmatch(username):
        raise InvalidCommand("用户名须为 2–40 位字母、数字、下划线、点或连字符", field="username")
    role = str(body.get("role") or "")
    area = jurisdiction(conn, role, body)
    given = body.get("password")
    password = passwords.temporary() if not given else passwords.check(given, username=username)
    new_id = repo.create_account(conn, username=username, password=password, role=role,
                                 display_name=(body.get("display_name") or None),
                                 actor=actor, must_change_password=True, **area)
    out = view(conn, new_id)
    if not given:
        out["temporary_password"] = password
    return out


def edit(conn: Connection, account_id: int, body: Mapping[str, Any], *,
         actor: str) -> dict[str, Any]:
    """Change display name, role and jurisdiction (and unit); the changes are audited as
    before → after. Sessions are revoked when the role or jurisdiction changes."""
    row = _account(conn, account_id)
    role = str(body.get("role") or row["role"])
    jur_keys = (*AREA_FIELDS, "unit_id")
    moved = role != row["role"] or any(k in body for k in jur_keys)
    area = ({k: (body[k] if k in body else (None if role != row["role"] else row[k]))
             for k in jur_keys} if moved else {k: row[k] for k in jur_keys})
    if moved:
        area = jurisdiction(conn, role, area)
    if role != row["role"] and row["username"] == actor and row["role"] == "admin":
        raise InvalidCommand("不能修改自己的管理员角色", field="role")
    new = {"display_name": body.get("display_name", row["display_name"]), "role": role, **area}
    changes = {k: {"from": row[k], "to": v} for k, v in new.items() if row[k] != v}
    if not changes:
        raise InvalidCommand("没有要修改的内容", field="body")
    conn.execute(text(
        "UPDATE accounts SET display_name = :display_name, role = :role, district_id = "
        ":district_id, street_id = :street_id, community_id = :community_id, grid_id = "
        ":grid_id, unit_id = :unit_id WHERE id = :id"), {**new, "id": account_id})
    if set(changes) - {"display_name"}:
        repo.revoke_sessions(conn, account_id)
    repo.audit(conn, actor=actor, action="account_updated", entity_id=account_id,
               detail={"username": row["username"], "changes": changes})
    return view(conn, account_id)


def set_active(conn: Connection, account_id: int, active: bool, *, actor: str) -> dict[str, Any]:
    row = _account(conn, account_id)
    if not active and row["username"] == actor:
        raise InvalidCommand("不能停用自己的账号", field="account_id")
    if bool(row["active"]) == active:
        raise InvalidCommand("账号已是启用状态" if active else "账号已停用", field="active")
    repo.set_active(conn, account_id, active, actor=actor)
    return view(conn, account_id)


def reset_password(conn: Connection, account_id: int, body: Mapping[str, Any], *,
                   actor: str) -> dict[str, Any]:
    """A new password (given, or made and returned once) that must be changed at the next
    login; every session of the account ends."""
    row = _account(conn, account_id)
    given = body.get("password")
    password = (passwords.temporary() if not given
                else passwords.check(given, username=row["username"]))
    repo.set_password(conn, account_id, password, actor=actor, must_change=True,
                      action="password_reset")
    out = view(conn, account_id)
    if not given:
        out["temporary_password"] = password
    return out


def change_own(conn: Connection, account_id: int, current: str, new: str, *,
               keep_token: str | None = None) -> None:
    """The holder's own change: the current password, then a new one meeting the policy and
    differing from it; other sessions end, the forced-change mark is cleared."""
    row = _account(conn, account_id)
    if not current or not repo.verify_password(row["password_hash"], current):
        raise InvalidCommand("当前密码不正确", field="current_password")
    passwords.check(new, username=row["username"], field="new_password")
    if new == current:
        raise InvalidCommand("新密码不能与当前密码相同", field="new_password")
    repo.set_password(conn, account_id, new, actor=row["username"], keep_token=keep_token)


def view(conn: Connection, account_id: int) -> dict[str, Any]:
    """An account as the admin API shows it (never its hash)."""
    row = dict(_account(conn, account_id))
    row.pop("password_hash", None)
    row.pop("district_streets", None)
    return row


# -- API keys ------------------------------------------------------------------------------------
def issue_key(conn: Connection, body: Mapping[str, Any], *, actor: str) -> dict[str, Any]:
    """A new key with scopes and an optional district or street; the key is in the answer
    once and only its SHA-256 is stored."""
    name = str(body.get("name") or "").strip()
    if not name:
        raise InvalidCommand("请填写密钥名称（接入方）", field="name")
    scopes = body.get("scopes")
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        raise InvalidCommand(f"scopes 须为权限范围列表（可选：{'、'.join(SCOPES)}）",
                             field="scopes")
    area = {k: body.get(k) for k in ("district_id", "street_id")}
    checked = jurisdiction(conn, "leader", area)  # same existence and nesting rules
    key = repo.create_api_key(conn, name=name, scopes=scopes, actor=actor,
                              street_id=checked["street_id"],
                              district_id=checked["district_id"])
    key_id = conn.scalar(text("SELECT id FROM api_keys WHERE key_hash = :h"),
                         {"h": repo.token_hash(key)})
    return {**key_view(conn, int(key_id)), "key": key}


def revoke_key(conn: Connection, key_id: int, *, actor: str) -> dict[str, Any]:
    n = conn.execute(text("UPDATE api_keys SET active = false, revoked_at = now(), "
                          "revoked_by = :a WHERE id = :i AND active"), {"a": actor[:60], "i": key_id})
    if not n.rowcount:
        if conn.scalar(text("SELECT 1 FROM api_keys WHERE id = :i"), {"i": key_id}):
            raise InvalidCommand(f"密钥 {key_id} 已吊销", field="key_id")
        raise NotFound(f"密钥 {key_id} 不存在", key_id=key_id)
    repo.audit(conn, actor=actor, action="api_key_revoked", entity="api_key", entity_id=key_id)
    return key_view(conn, key_id)


_KEY_COLS = ("id, name, scopes, district_id, street_id, key_prefix, active, created_at, "
             "created_by, revoked_at, revoked_by")


def key_view(conn: Connection, key_id: int) -> dict[str, Any]:
    row = conn.execute(text(f"SELECT {_KEY_COLS} FROM api_keys WHERE id = :i"),
                       {"i": key_id}).mappings().first()
    if row is None:
        raise NotFound(f"密钥 {key_id} 不存在", key_id=key_id)
    return dict(row)


def list_keys(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(text(
        f"SELECT {_KEY_COLS} FROM api_keys ORDER BY active DESC, id")).mappings()]


def areas(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    """Districts, streets and communities by id and name, for the admin page's pickers."""
    out: dict[str, list[dict[str, Any]]] = {}
    for key, sql in (("districts", "SELECT id, name, NULL::int AS parent FROM districts"),
                     ("streets", "SELECT id, name, district_id AS parent FROM streets"),
                     ("communities", "SELECT id, name, street_id AS parent FROM communities")):
        out[key] = [dict(r) for r in conn.execute(text(sql + " ORDER BY id")).mappings()]
    return out


def scrub(body: Mapping[str, Any], secret: Iterable[str] = ("password", "current_password",
                                                           "new_password")) -> dict[str, Any]:
    """A request body fit for the audit log: secrets replaced by whether they were given."""
    return {k: (bool(v) if k in secret else v) for k, v in body.items()}
