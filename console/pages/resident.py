"""The resident pages (扫码说事): /report and /track for residents (public, phone-first, our own
script and style, no CDN), /triage for the desk's queue and /admin/posters for the QR posters."""

from __future__ import annotations

import asyncio
import html
import json
from typing import Any

from tornado.web import RequestHandler, StaticFileHandler

from console.bootstrap import App
from console.map import STATIC_DIR
from dispatch import limits, tracking, vocab
from dispatch.access import may
from dispatch.views_resident import place

TITLE = "扫码说事"
# /assets asks for a login (Panel's static route); a resident has none, so these pages' own
# files, the request helper they import and Leaflet are served here too, and nothing else.
PUBLIC = "/public"
PUBLIC_FILES = r"(resident/[a-z_]+\.(?:js|css)|lib/http\.js|vendor/leaflet/leaflet\.(?:js|css))"
STATIC_URL = PUBLIC
CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
       "form-action 'self'")


def shell(title: str, body: str, *, config: dict[str, Any], scripts: tuple[str, ...],
          leaflet: bool = False) -> str:
    """A whole page: our CSS, the page's config as JSON data (never executed), our modules."""
    css = [f"{STATIC_URL}/resident/resident.css"]
    if leaflet:
        css.insert(0, f"{STATIC_URL}/vendor/leaflet/leaflet.css")
    links = "".join(f'<link rel="stylesheet" href="{c}">' for c in css)
    data = json.dumps(config, ensure_ascii=False).replace("</", "<\\/")
    pre = f'<script src="{STATIC_URL}/vendor/leaflet/leaflet.js"></script>' if leaflet else ""
    mods = "".join(f'<script type="module" src="{STATIC_URL}/resident/{s}"></script>'
                   for s in scripts)
    return ('<!doctype html>\n<html lang="zh-CN"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)}</title>{links}</head><body>"
            f'<script type="application/json" id="fq-config">{data}</script>'
            f"{body}{pre}{mods}</body></html>\n")


class PageHandler(RequestHandler):
    def initialize(self, app: App) -> None:
        self.app = app

    def send(self, page: str, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("Content-Security-Policy", CSP)
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.finish(page)

    async def staff(self, action: str) -> bool:
        """Whether a logged-in account may ``action``; otherwise answered (login or 403)."""
        p = await self.app.auth.of_request_async(self.app.engine, self)
        if p is None or p.kind != "account":
            self.redirect("/login")
            return False
        if not may(p, action):
            self.send(shell(TITLE, "<main class='card'><h1>无权访问此页面</h1></main>",
                            config={}, scripts=()), 403)
            return False
        return True


REPORT_BODY = """
<header class="bar"><h1>扫码说事</h1><p>矛盾纠纷在线反映 · 可匿名</p></header>
<main class="card">
<form id="report" novalidate>
<label for="category">纠纷类别</label><select id="category" name="category" required></select>
<label for="description">发生了什么</label>
<textarea id="description" name="description" rows="5" required
 placeholder="请说明时间、经过、涉及的人（可不写姓名）"></textarea>
<fieldset><legend>在哪里</legend>
<p id="place-note" class="note"></p>
<div id="map" class="map"></div>
<p class="note">在地图上点选位置（地图为示意）。</p>
<button type="button" id="locate" class="secondary">使用手机定位</button>
<p id="locate-note" class="note"></p>
<label for="address">或填写地址</label>
<div class="row"><input id="address" name="address" autocomplete="street-address">
<button type="button" id="find" class="secondary">查找</button></div>
<ul id="candidates" class="candidates"></ul>
<p id="where" class="where"></p>
</fieldset>
<label for="name">姓名（可不填）</label><input id="name" name="name" autocomplete="name">
<label for="phone">电话（可不填，便于回访）</label>
<input id="phone" name="phone" type="tel" autocomplete="tel" inputmode="tel">
<div id="phone-check" class="note">
<button type="button" id="send-code" hidden>获取短信验证码</button>
<input id="phone_code" name="phone_code" inputmode="numeric" autocomplete="one-time-code"
 placeholder="验证码" hidden>
<span id="phone-note"></span></div>
<label for="photo">照片（可选）</label>
<input id="photo" name="photo" type="file" accept="image/jpeg,image/png,image/webp" multiple>
<p id="photo-note" class="note"></p>
<p id="error" class="err" role="alert" hidden></p>
<button type="submit" id="submit">提交</button>
<p id="progress" class="note"></p>
</form>
<section id="done" hidden>
<h2 id="done-title">已收到您的反映</h2>
<p>您的查询码：</p><p id="code" class="code"></p>
<p class="note">请记下查询码或保存下方二维码，凭码查看办理进度、补充情况。</p>
<img id="qr" alt="查询二维码" class="qr">
<p><a id="track-link" href="#">查看办理进度</a></p>
</section>
</main>
"""

TRACK_BODY = """
<header class="bar"><h1>办理进度查询</h1><p>扫码说事</p></header>
<main class="card">
<form id="lookup" class="row"><input id="code-in" aria-label="查询码"
 placeholder="查询码，如 4KX9-T2QM-7RBD" autocomplete="off">
<button type="submit">查询</button></form>
<p id="error" class="err" role="alert" hidden></p>
<section id="view" hidden>
<p class="code" id="code"></p>
<ol id="steps" class="steps"></ol>
<p id="summary" class="summary"></p>
<dl id="facts" class="facts"></dl>
<form id="info" hidden><label for="info-text">补充情况</label>
<textarea id="info-text" rows="3"></textarea><button type="submit">提交补充</button></form>
<form id="rate" hidden><label>对办理结果的评价</label><div id="stars" class="stars"></div>
<textarea id="rate-note" rows="2" placeholder="评价说明（可不填）"></textarea>
<button type="submit">提交评价</button></form>
<p id="said" class="note"></p>
</section>
</main>
"""


class ReportPage(PageHandler):
    async def get(self) -> None:
        at = self.get_query_argument("at", None)
        found = await asyncio.to_thread(self._place, at) if at else None
        config = {"categories": vocab.CATEGORIES, "place": found,
                  "limits": {"description": limits.RESIDENT_TEXT, "name": limits.NAME,
                             "phone": limits.PHONE, "address": limits.ADDRESS,
                             "photos": limits.RESIDENT_PHOTOS,
                             "phone_code": limits.PHONE_CODE_DIGITS},
                  # the phone is checked by SMS only where a gateway is configured
                  "sms": self.app.settings.notify.sms is not None}
        self.send(shell(TITLE, REPORT_BODY, config=config, scripts=("report.js",),
                        leaflet=True))

    def _place(self, at: str) -> dict[str, Any] | None:
        with self.app.engine.connect() as conn:
            return place(conn, at)


class TrackPage(PageHandler):
    async def get(self, code: str | None = None) -> None:
        canon = tracking.normalise(code)
        config = {"code": tracking.display(canon) if canon else (code or ""),
                  "limits": {"info": limits.RESIDENT_INFO}}
        self.send(shell("办理进度查询", TRACK_BODY, config=config, scripts=("track.js",)))


TRIAGE_BODY = """
<header class="bar"><h1>居民反映待审核</h1><p>扫码说事 · 受理后进入正常受理流程</p>
<nav><a href="/desk">值班台</a></nav></header>
<main class="wide">
<div class="tabs"><button data-status="pending" class="on">待审核</button>
<button data-status="accepted">已受理</button><button data-status="rejected">不予受理</button></div>
<p id="error" class="err" role="alert" hidden></p>
<div id="queue" class="queue"></div>
</main>
"""


class TriagePage(PageHandler):
    async def get(self) -> None:
        if await self.staff("desk"):
            self.send(shell("居民反映待审核", TRIAGE_BODY,
                            config={"categories": vocab.CATEGORIES,
                                    "priorities": {k: vocab.PRIORITIES[v] for k, v in
                                                   vocab.PRIORITY_CODES.items()}},
                            scripts=("triage.js",)))


POSTERS_BODY = """
<header class="bar"><h1>扫码说事二维码海报</h1><p>每个社区、每个调解室一张 A4 海报，打开后打印</p>
<nav><a href="/admin">管理</a></nav></header>
<main class="wide"><ul id="places" class="places"></ul></main>
"""


class PostersPage(PageHandler):
    async def get(self) -> None:
        if await self.staff("admin"):
            self.send(shell("二维码海报", POSTERS_BODY, config={}, scripts=("posters.js",)))


def resident_pages(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    return [(rf"{PUBLIC}/{PUBLIC_FILES}", StaticFileHandler, {"path": str(STATIC_DIR)}),
            (r"/report", ReportPage, args), (r"/track", TrackPage, args),
            (r"/track/([0-9A-Za-z\-]{1,20})", TrackPage, args), (r"/triage", TriagePage, args),
            (r"/posters", PostersPage, args)]
