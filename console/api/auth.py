"""Auth faces of the API: token (login), me, logout; unmasking a case's parties (audited).

Logins are rate limited per username and address (:data:`MAX_FAILURES` failures in
:data:`WINDOW` → 429); logins, failed logins and refusals go to the audit log.
"""

from __future__ import annotations

import asyncio
import urllib.parse
from datetime import timedelta
from typing import Any, ClassVar

from console.api import request_guard, schemas
from console.api.dispatch import DispatchHandler
from console.api.router import ApiHandler
from console.api.schemas import refuse_nul
from console.auth import COOKIE
from console.bootstrap import App
from dispatch.access import Principal
from dispatch.adapters import accounts as repo
from dispatch.errors import InvalidCommand, NotAuthenticated, TooManyAttempts
from dispatch.views import incident_detail

MAX_FAILURES = 5
WINDOW = timedelta(minutes=5)


def login(app: App, username: str, password: str, ip: str, *,
          client: str = "api") -> tuple[Principal, str, Any]:
    """Check the password (rate limited) and open a session: (principal, token, expiry)."""
    username = username.strip()[:60]
    if not username:
        raise InvalidCommand("请填写用户名", field="username")
    if not password:
        raise InvalidCommand("请填写密码", field="password")
    # each transaction commits before anything is raised: the attempt and its audit row stay
    with app.engine.begin() as conn:
        blocked = repo.recent_failures(conn, username, ip, window=WINDOW) >= MAX_FAILURES
        if blocked:
            _audit_refused(conn, username, "login_blocked", ip)
    if blocked:
        raise TooManyAttempts(f"登录失败次数过多，请 {int(WINDOW.total_seconds()) // 60} "
                              "分钟后再试", field="username")
    with app.engine.begin() as conn:
        p = repo.authenticate(conn, username, password)
        repo.record_attempt(conn, username, ip, p is not None)
        if p is None or p.account_id is None:
            _audit_refused(conn, username, "login_failed", ip)
        else:
            token, expires = repo.open_session(conn, p.account_id, client=client)
            repo.audit(conn, actor=p.actor, action="login", entity_id=p.account_id,
                       detail={"ip": ip, "client": client})
    if p is None or p.account_id is None:
        raise NotAuthenticated("用户名或密码错误", field="password")
    return p, token, expires


# Failed logins under names no account has are written at most this many times per window
# (all names together), each name cut short: anyone can send them, the log must not be theirs.
UNKNOWN_NAME_ROWS = 100
UNKNOWN_NAME_WINDOW = timedelta(minutes=10)
UNKNOWN_NAME_CHARS = 24


def _audit_refused(conn: Any, username: str, action: str, ip: str) -> None:
    """Audit a failed or blocked login: in full under an account's own name; under a name no
    account has, cut to :data:`UNKNOWN_NAME_CHARS` printable characters and only while fewer
    than :data:`UNKNOWN_NAME_ROWS` such rows were written in :data:`UNKNOWN_NAME_WINDOW`."""
    account = repo.get_account(conn, username=username)
    if account is not None:
        repo.audit(conn, actor=account["username"], action=action, entity_id=account["id"],
                   detail={"ip": ip})
        return
    if repo.unknown_name_refusals(conn, window=UNKNOWN_NAME_WINDOW) >= UNKNOWN_NAME_ROWS:
        return
    shown = "".join(ch if ch.isprintable() else "?" for ch in username)
    if len(shown) > UNKNOWN_NAME_CHARS:
        shown = shown[:UNKNOWN_NAME_CHARS - 1] + "…"
    repo.audit(conn, actor=shown, action=action, detail={"ip": ip, "known": False})


def form_or_json(handler: Any) -> dict[str, str]:
    """``username``/``password`` from a JSON body or an HTML/OAuth2 form."""
    ctype = handler.request.headers.get("Content-Type", "")
    if len(handler.request.body) > 16 * 1024:
        raise InvalidCommand("请求体过大", field="body")
    if "json" in ctype:
        body = request_guard.loads(handler.request.body or b"{}")  # 400 too deep, 422 numbers
        if not isinstance(body, dict):
            raise InvalidCommand("请求体须为 JSON 对象", field="body")
        out = {k: str(body.get(k) or "") for k in ("username", "password", "next")}
    else:
        form = urllib.parse.parse_qs(handler.request.body.decode("utf-8", "replace"))
        out = {k: (form.get(k) or [""])[0] for k in ("username", "password", "next")}
    refuse_nul(out)  # PostgreSQL text cannot hold NUL: a 422 naming the field, not a 500
    return out


class TokenHandler(ApiHandler):
    """``POST /api/v1/auth/token`` → ``{"access_token", "token_type": "bearer", …}``."""

    max_body = 16 * 1024

    actions: ClassVar[dict[str, str]] = {"POST": "read"}

    async def post(self) -> None:
        try:
            creds = form_or_json(self)
            p, token, expires = await asyncio.to_thread(
                login, self.app, creds["username"], creds["password"],
                self.request.remote_ip or "")
        except (InvalidCommand, NotAuthenticated, TooManyAttempts) as err:
            self.send_error_json(err.status, err.code, err.message,
                                 str(err.detail.get("field") or "") or None)
            return
        self.send_json({"access_token": token, "token_type": "bearer",
                        "expires_at": expires.isoformat(), "user": p.as_dict()})


class MeHandler(ApiHandler):
    async def get(self) -> None:
        self.send_json(self.who.as_dict())


class LogoutHandler(ApiHandler):
    """Revokes the bearer token or the page session that came with the request."""

    actions: ClassVar[dict[str, str]] = {"POST": "read"}

    async def post(self) -> None:
        auth = self.request.headers.get("Authorization") or ""
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else self.get_cookie(COOKIE)
        if token:
            def work() -> None:
                with self.app.engine.begin() as conn:
                    repo.revoke_token(conn, token)
                    repo.audit(conn, actor=self.who.actor, action="logout",
                               entity_id=self.who.account_id)
            await asyncio.to_thread(work)
            self.app.auth.forget(token)
        self.clear_cookie(COOKIE, path="/")
        self.send_json({"ok": True})


class UnmaskHandler(DispatchHandler):
    """The parties of a masked case, on purpose: the unmasking is audited with its reason."""

    actions: ClassVar[dict[str, str]] = {"POST": "incident.unmask"}

    async def post(self, incident_id: str) -> None:
        def work() -> Any:
            body = self.body_json(schemas.UnmaskIn)
            self.incident(incident_id)
            reason = str(body.get("reason") or "").strip()[:200]
            if not reason:
                raise InvalidCommand("查看完整个人信息须说明理由（reason）", field="reason")
            case = self.read(incident_detail, incident_id=int(incident_id))
            with self.app.engine.begin() as conn:
                repo.audit(conn, actor=self.who.actor, action="unmask", entity="incident",
                           entity_id=int(incident_id), reason=reason,
                           detail={"role": self.who.role, "kind": self.who.kind})
            return {"id": case["id"], "code": case["code"], "masked": False,
                    **{k: case.get(k) for k in ("caller_name", "caller_phone", "address",
                                                "description", "parties")}}
        await self.run(work)


def auth_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    return [
        (r"/api/v1/auth/token", TokenHandler, args),
        (r"/api/v1/auth/me", MeHandler, args),
        (r"/api/v1/auth/logout", LogoutHandler, args),
        (r"/api/v1/incidents/(\d{1,9})/unmask", UnmaskHandler, args),
    ]
