"""The login page (/login, plain Tornado HTML, no external assets) and the pages' auth hooks.

Panel pages are guarded by a Bokeh ``AuthProvider``: without a valid ``fq_session`` cookie the
page (and its websocket) redirects to ``/login?next=…``. The provider leaves the principal on
the request; :class:`PrincipalHandler` copies it (never the cookie) into the session token,
where :func:`page_principal` reads it back while the page is built.
"""

from __future__ import annotations

import asyncio
import html
from typing import Any

from bokeh.application.handlers.handler import Handler
from bokeh.server.auth_provider import AuthProvider
from tornado.web import RequestHandler

from console.api.faults import DatabaseFaults
from console.api.request_guard import cross_site_refusal
from console.auth import COOKIE, audit_access, safe_next
from console.bootstrap import App
from console.pages import plain
from dispatch.access import ROLES, Principal
from dispatch.errors import DispatchError

FORM = """<form class="card" method="post" action="/login" autocomplete="on">
<h1>枫桥式矛盾纠纷调处指挥平台</h1><p class="sub">请使用工作账号登录</p>
{error}
<label for="username">用户名</label>
<input id="username" name="username" autocomplete="username" required autofocus value="{username}">
<label for="password">密码</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<input type="hidden" name="next" value="{next}">
<button type="submit">登录</button>
</form>"""
LOGOUT = """<form class="card" method="post" action="/logout">
<h1>退出登录</h1><p class="sub">{who}</p>
<button type="submit">退出登录</button>
</form>"""


def render(*, error: str = "", username: str = "", next_url: str = "") -> str:
    err = f'<div class="err" role="alert">{html.escape(error)}</div>' if error else ""
    return plain.page("登录", FORM.format(error=err, username=html.escape(username, quote=True),
                                          next=html.escape(next_url, quote=True)))


class LoginPageHandler(DatabaseFaults, RequestHandler):
    """GET shows the form; POST checks it, sets the session cookie and goes on."""

    def initialize(self, app: App) -> None:
        self.app = app

    def _page(self, status: int, **kw: Any) -> None:
        plain.send_page(self, status, render(**kw))

    async def get(self) -> None:
        p = await self.app.auth.of_request_async(self.app.engine, self)
        if p is not None and p.must_change_password:  # pages turned it away: change it first
            self.redirect("/password")
            return
        self._page(200, next_url=safe_next(self.get_query_argument("next", "")) or "")

    async def post(self) -> None:
        from console.api.auth import login

        username = self.get_body_argument("username", "")[:60]
        password = self.get_body_argument("password", "")
        next_url = safe_next(self.get_body_argument("next", "")) or ""
        try:
            p, token, _ = await asyncio.to_thread(login, self.app, username, password,
                                                  self.request.remote_ip or "", client="page")
        except DispatchError as err:
            self._page(err.status, error=err.message, username=username, next_url=next_url)
            return
        self.set_cookie(COOKIE, token, path="/", httponly=True, samesite="Strict",
                        secure=self.request.protocol == "https", expires_days=None)
        if p.must_change_password:  # a reset password: the change-password page first
            self.redirect("/password")
            return
        self.redirect(next_url if next_url and next_url != "/" else p.home_page())


class LogoutPageHandler(DatabaseFaults, RequestHandler):
    """``GET /logout`` changes nothing: a page with the logout button (a cross-site image or
    link cannot log anyone out). ``POST /logout``, from the console's own origin only (the
    check every cookie-carried write passes, :func:`console.api.request_guard.cross_site_refusal`;
    a refusal is a 403, audited), revokes the page session — its websockets and event streams
    close with it (:mod:`console.live.sessions`) — and goes to the login page."""

    def initialize(self, app: App) -> None:
        self.app = app

    async def get(self) -> None:
        p = await self.app.auth.of_request_async(self.app.engine, self)
        if p is None or not self.get_cookie(COOKIE):
            self.redirect("/login")
            return
        who = f"当前登录：{ROLES.get(p.role or '', p.role or '')} {p.name}"
        plain.send_page(self, 200, plain.page("退出登录", LOGOUT.format(who=html.escape(who))))

    async def post(self) -> None:
        from dispatch.adapters import accounts as repo

        token = self.get_cookie(COOKIE)
        p = await self.app.auth.of_request_async(self.app.engine, self) if token else None
        refused = cross_site_refusal("POST", self.request.headers, self.app.served.origins,
                                     body=False)
        if refused is not None:
            h = self.request.headers
            await audit_access(self.app.engine, actor=p.actor if p else "anonymous",
                               action="permission_denied", reason="csrf",
                               detail={"method": "POST", "path": "/logout",
                                       "origin": (h.get("Origin") or h.get("Referer") or "")[:120]})
            body = f'<div class="card"><h1>未退出</h1><p class="err">{html.escape(refused.message)}' \
                   '</p><p class="sub"><a href="/logout">从本平台页面退出</a></p></div>'
            plain.send_page(self, refused.status, plain.page("未退出", body))
            return
        if token:
            def work() -> None:
                with self.app.engine.begin() as conn:
                    if repo.revoke_token(conn, token) and p is not None:
                        repo.audit(conn, actor=p.actor, action="logout", entity_id=p.account_id,
                                   detail={"client": "page"})
            await asyncio.to_thread(work)
            self.app.auth.forget(token)  # and the session's live channels close
        self.clear_cookie(COOKIE, path="/")
        self.redirect("/login")


class PageAuth(AuthProvider):
    """Bokeh's hook: a page or websocket without a valid session goes to /login."""

    def __init__(self, app: App) -> None:
        self.app = app
        super().__init__()

    @property
    def get_user_async(self) -> Any:
        async def get_user(handler: Any) -> str | None:
            p = await self.app.auth.of_request_async(self.app.engine, handler)
            if p is not None and (p.kind != "account" or p.must_change_password):
                p = None  # keys are for integrations; a reset password is changed first
            handler.request.fq_principal = p
            return None if p is None else p.name
        return get_user

    @property
    def login_url(self) -> str:
        return "/login"


def principal_payload(p: Principal | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"name": p.name, "kind": p.kind, "role": p.role, "account_id": p.account_id,
            "district_id": p.district_id, "district_streets": sorted(p.district_streets),
            "street_id": p.street_id, "community_id": p.community_id, "grid_id": p.grid_id,
            "unit_id": p.unit_id, "display_name": p.display_name,
            "must_change_password": p.must_change_password}


class PrincipalHandler(Handler):
    """Adds the request's principal (set by :class:`PageAuth`) to the Bokeh session token."""

    def modify_document(self, doc: Any) -> None:
        return None

    def process_request(self, request: Any) -> dict[str, Any]:
        return {"fq_principal": principal_payload(getattr(request, "fq_principal", None))}


def page_principal() -> Principal | None:
    """The principal of the Panel session being built (None outside a served page)."""
    import panel as pn

    ctx = getattr(pn.state.curdoc, "session_context", None) if pn.state.curdoc else None
    if ctx is None or getattr(ctx, "_token", None) is None:
        return None
    data = ctx.token_payload.get("fq_principal")
    if not isinstance(data, dict):
        return None
    return principal_from_payload(data)


def principal_from_payload(data: dict[str, Any]) -> Principal:
    """The principal :func:`principal_payload` wrote (JSON has lists, not frozensets)."""
    return Principal(**{**data, "district_streets": frozenset(data.get("district_streets") or ())})


def page_refusal(action: str) -> Any | None:
    """A Chinese "not for your role" page when the session's principal may not ``action``
    (None when it may, or outside a served page)."""
    import panel as pn

    from dispatch.access import ACTIONS, HOME_PAGES, ROLES, may

    p = page_principal()
    if p is None or may(p, action):
        return None
    home = HOME_PAGES.get(p.role or "", "/")
    return pn.pane.HTML(
        f"<div style='font-family:sans-serif;padding:48px'><h2>无权访问此页面</h2>"
        f"<p>{html.escape(ROLES.get(p.role or '', p.role or ''))} “{html.escape(p.name)}” "
        f"没有“{html.escape(ACTIONS.get(action, action))}”的权限。</p>"
        f"<p><a href='{html.escape(home)}'>前往我的页面</a> · "
        f"{plain.logout_form(label='切换账号')}</p>"
        "</div>", sizing_mode="stretch_width")


def guarded_apps(pages: dict[str, Any], *, title: str, server_id: str) -> dict[str, Any]:
    """Panel applications for ``pages``, each carrying :class:`PrincipalHandler`."""
    from panel.io.application import build_applications

    apps = build_applications(pages, title=title, server_id=server_id)
    for application in apps.values():
        application.add(PrincipalHandler())
    return apps


def login_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    return [(r"/login", LoginPageHandler, {"app": app}),
            (r"/logout", LogoutPageHandler, {"app": app})]
