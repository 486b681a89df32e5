"""The change-password page (/password, plain Tornado HTML): a reset password is changed here
before any page opens, and anyone logged in may change theirs."""

from __future__ import annotations

import asyncio
import html
from typing import Any

from tornado.web import RequestHandler

from console.auth import COOKIE
from console.bootstrap import App
from console.pages import plain
from dispatch import passwords
from dispatch.errors import DispatchError

FORM = """<form class="card" method="post" action="/password" autocomplete="off">
<h1>修改密码</h1><p class="sub">{lead}</p>
{error}
<label for="current_password">当前密码</label>
<input id="current_password" name="current_password" type="password"
 autocomplete="current-password" required autofocus>
<label for="new_password">新密码</label>
<input id="new_password" name="new_password" type="password" autocomplete="new-password"
 required minlength="{min_length}">
<label for="confirm_password">再输入一次新密码</label>
<input id="confirm_password" name="confirm_password" type="password"
 autocomplete="new-password" required>
<div class="rule">至少 {min_length} 位；不能是或包含用户名；不能是常用密码。</div>
<button type="submit">修改密码</button>
</form>"""


def render(*, forced: bool, error: str = "") -> str:
    lead = ("管理员已重置您的密码：请先设置新密码，之后才能使用平台" if forced
            else "修改后，其他设备上的登录将失效")
    err = f'<div class="err" role="alert">{html.escape(error)}</div>' if error else ""
    return plain.page("修改密码", FORM.format(lead=html.escape(lead), error=err,
                                              min_length=passwords.MIN_LENGTH), card_width=340)


class PasswordPageHandler(RequestHandler):
    """GET shows the form to a logged-in account; POST changes the password and goes home."""

    def initialize(self, app: App) -> None:
        self.app = app

    def _page(self, status: int, **kw: Any) -> None:
        plain.send_page(self, status, render(**kw))

    async def _who(self) -> Any:
        p = await self.app.auth.of_request_async(self.app.engine, self)
        return p if p is not None and p.kind == "account" and self.get_cookie(COOKIE) else None

    async def get(self) -> None:
        p = await self._who()
        if p is None:
            self.redirect("/login")
            return
        self._page(200, forced=p.must_change_password)

    async def post(self) -> None:
        from console.api.accounts import change_password

        p = await self._who()
        token = self.get_cookie(COOKIE)
        if p is None or not token:
            self.redirect("/login")
            return
        current = self.get_body_argument("current_password", "")
        new = self.get_body_argument("new_password", "")
        if new != self.get_body_argument("confirm_password", ""):
            self._page(422, forced=p.must_change_password, error="两次输入的新密码不一致")
            return
        try:
            after = await asyncio.to_thread(change_password, self.app, token, current, new)
        except DispatchError as err:
            self._page(err.status, forced=p.must_change_password, error=err.message)
            return
        self.redirect("/login" if after is None else after.home_page())


def password_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    return [(r"/password", PasswordPageHandler, {"app": app})]
