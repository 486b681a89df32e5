"""Account and API-key faces of the API: /api/v1/admin/accounts, /api/v1/admin/api-keys, and the
holder's own password change (/api/v1/auth/password).

Handlers translate HTTP to :mod:`dispatch.adapters.account_admin`; each step runs in one
transaction with its audit row, and a refused step writes nothing but its own audited refusal.
Passwords and keys appear in an answer only when the server made them, once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from console.api.dispatch import DispatchHandler
from console.api.schemas_accounts import (
    AccountEditIn,
    AccountIn,
    ApiKeyIn,
    PasswordChangeIn,
    PasswordResetIn,
)
from console.auth import COOKIE
from console.bootstrap import App
from dispatch import passwords
from dispatch.access import LEVELS, ROLES, SCOPE_LABELS
from dispatch.adapters import account_admin as admin
from dispatch.adapters.accounts import list_accounts
from dispatch.errors import DispatchError


class AccountsBase(DispatchHandler):
    """Runs one audited step; a refusal is audited (step, reason, target) and answered."""

    async def step(self, name: str, fn: Callable[[Any], Any], *, entity: str = "account",
                   entity_id: int | None = None, detail: dict[str, Any] | None = None,
                   status: int = 200) -> None:
        def work() -> Any:
            try:
                with self.app.engine.begin() as conn:
                    return fn(conn)
            except DispatchError as err:
                with self.app.engine.begin() as conn:
                    admin.audit_refusal(conn, actor=self.who.actor, action=name,
                                        reason=err.message, entity=entity, entity_id=entity_id,
                                        detail=detail)
                raise
        await self.run(work, status=status)
        self.app.auth.forget()  # roles, areas, activity or passwords may have changed

    async def _body(self, model: Any) -> dict[str, Any] | None:
        """The checked body, or None after answering its first fault (422 naming the field)."""
        try:
            return self.body_json(model)
        except DispatchError as err:
            self.send_error_json(err.status, err.code, err.message,
                                 str(err.detail.get("field") or "") or None)
            return None


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    row.pop("password_hash", None)
    row.pop("district_streets", None)
    return row


class AccountsHandler(AccountsBase):
    """GET every account with the pickers' vocabularies; POST creates one."""

    async def get(self) -> None:
        def work() -> dict[str, Any]:
            with self.app.engine.connect() as conn:
                items = [_clean(r) for r in list_accounts(conn)]
                areas = admin.areas(conn)
            return {"items": items, "total": len(items), "roles": ROLES, "levels": LEVELS,
                    "areas": areas, "password_rule": {"min_length": passwords.MIN_LENGTH}}
        await self.run(work)

    async def post(self) -> None:
        body = await self._body(AccountIn)
        if body is None:
            return
        await self.step("create", lambda conn: admin.create(conn, body, actor=self.actor()),
                        detail=admin.scrub(body), status=201)


class AccountHandler(AccountsBase):
    """PATCH edits role, jurisdiction, unit and display name."""

    async def patch(self, account_id: str) -> None:
        body = await self._body(AccountEditIn)
        if body is None:
            return
        aid = int(account_id)
        await self.step("edit", lambda conn: admin.edit(conn, aid, body, actor=self.actor()),
                        entity_id=aid, detail=body)


class AccountActHandler(AccountsBase):
    """POST …/deactivate, …/activate, …/reset-password."""

    async def post(self, account_id: str, act: str) -> None:
        aid = int(account_id)
        if act == "reset-password":
            body = await self._body(PasswordResetIn)
            if body is None:
                return
            await self.step("reset_password", lambda conn: admin.reset_password(
                conn, aid, body, actor=self.actor()), entity_id=aid, detail=admin.scrub(body))
            return
        await self.step(act, lambda conn: admin.set_active(
            conn, aid, act == "activate", actor=self.actor()), entity_id=aid)


class ApiKeysHandler(AccountsBase):
    """GET every key (never the key itself); POST issues one and shows it once."""

    async def get(self) -> None:
        def work() -> dict[str, Any]:
            with self.app.engine.connect() as conn:
                items = admin.list_keys(conn)
                areas = admin.areas(conn)
            return {"items": items, "total": len(items), "scopes": SCOPE_LABELS,
                    "areas": {k: areas[k] for k in ("districts", "streets")}}
        await self.run(work)

    async def post(self) -> None:
        body = await self._body(ApiKeyIn)
        if body is None:
            return
        await self.step("issue", lambda conn: admin.issue_key(conn, body, actor=self.actor()),
                        entity="api_key", detail=body, status=201)


class ApiKeyRevokeHandler(AccountsBase):
    async def post(self, key_id: str) -> None:
        kid = int(key_id)
        await self.step("revoke", lambda conn: admin.revoke_key(conn, kid, actor=self.actor()),
                        entity="api_key", entity_id=kid)


class PasswordHandler(DispatchHandler):
    """POST ``{current_password, new_password}``: the caller's own account; this session stays,
    the others end. The one API call an account that must change its password may make."""

    actions: ClassVar[dict[str, str]] = {"POST": "read"}

    async def post(self) -> None:
        p = self.who
        if p.kind != "account" or p.account_id is None:
            self.send_error_json(403, "forbidden", "只有账号可以修改密码（接口密钥不能）")
            return
        auth = self.request.headers.get("Authorization") or ""
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else self.get_cookie(COOKIE)

        def work() -> dict[str, Any]:
            body = self.body_json(PasswordChangeIn)
            try:
                with self.app.engine.begin() as conn:
                    admin.change_own(conn, p.account_id or 0, body.get("current_password", ""),
                                     body.get("new_password", ""), keep_token=token)
            except DispatchError as err:
                with self.app.engine.begin() as conn:
                    admin.audit_refusal(conn, actor=p.actor, action="change_password",
                                        reason=err.message, entity_id=p.account_id)
                raise
            return {"ok": True, "home": p.home_page()}
        await self.run(work)
        self.app.auth.forget()


def change_password(app: App, token: str, current: str, new: str) -> Any:
    """The same change for the /password page (session cookie ``token``); the principal after
    it, or None when the session is not valid. Runs in a worker thread."""
    from dispatch.adapters import accounts as repo

    p = app.auth.resolve(app.engine, "token", token)
    if p is None or p.account_id is None:
        return None
    try:
        with app.engine.begin() as conn:
            admin.change_own(conn, p.account_id, current, new, keep_token=token)
    except DispatchError as err:
        with app.engine.begin() as conn:
            admin.audit_refusal(conn, actor=p.actor, action="change_password",
                                reason=err.message, entity_id=p.account_id)
        raise
    app.auth.forget()
    with app.engine.connect() as conn:
        return repo.principal_for_token(conn, token)


def account_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    return [
        (r"/api/v1/admin/accounts", AccountsHandler, args),
        (r"/api/v1/admin/accounts/([0-9]{1,9})", AccountHandler, args),
        (r"/api/v1/admin/accounts/([0-9]{1,9})/(deactivate|activate|reset-password)",
         AccountActHandler, args),
        (r"/api/v1/admin/api-keys", ApiKeysHandler, args),
        (r"/api/v1/admin/api-keys/([0-9]{1,9})/revoke", ApiKeyRevokeHandler, args),
        (r"/api/v1/auth/password", PasswordHandler, args),
    ]
