"""Open311 GeoReport v2 at /open311/v2/: services, requests (create, list, one), JSON or XML.

Integrations (the 12345 hotline platform, a city app) send a case the way the GeoReport spec
says — form-encoded ``service_code``, ``lat``/``long`` and/or ``address_string``, ``api_key`` —
and it enters the same intake as the desk's: geocoded when only an address comes, located,
risk-checked and, where the policy says so, dispatched. An integration reads back only the cases
it registered itself. Extensions: ``coord_system`` (wgs84 | gcj02 | bd09, default wgs84 as the
spec says) and the attributes ``priority`` and ``channel`` (see ``services/{code}``).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import urllib.parse
from datetime import datetime
from typing import Any

from console.api import request_guard
from console.api.open311_format import (
    errors,
    request_record,
    service_definition,
    services,
    to_xml,
)
from console.api.router import ApiHandler
from console.bootstrap import App
from dispatch.attachments import MULTIPART_OVERHEAD, UPLOAD_MAX_BYTES, check_upload
from dispatch.errors import DispatchError, InvalidCommand
from dispatch.privacy import mask_address
from dispatch.views_open311 import issue_token, open311_requests
from dispatch.vocab import CATEGORIES, CHANNELS, PRIORITY_CODES

SCOPE = "open311"
MAX_BODY = 32 * 1024
MEDIA_BODY = UPLOAD_MAX_BYTES * 4 // 3 + MULTIPART_OVERHEAD  # one photo, base64 or multipart


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


class Open311Handler(ApiHandler):
    """Answers in the format the path asks for; errors as the spec's ``errors`` list."""

    fmt = "json"
    max_body = MAX_BODY

    def reply(self, root: str, item: str, items: list[dict[str, Any]], *,
              status: int = 200) -> None:
        if self.fmt == "xml":
            self.set_status(status)
            self.set_header("Content-Type", "text/xml; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(to_xml(root, item, items))
        else:
            self.send_json(items, status=status)

    def fail(self, err: Open311Error) -> None:
        self.reply("errors", "error", errors(err.status, err.description), status=err.status)

    def param(self, name: str) -> str | None:
        """A query, form or JSON body parameter (the spec posts form-encoded)."""
        value = self.get_argument(name, None)
        if value is None and self.json_body is not None:
            raw = self.json_body.get(name)
            value = None if raw is None else str(raw)
        return value.strip() if isinstance(value, str) else value

    @property
    def json_body(self) -> dict[str, Any] | None:
        ctype = self.request.headers.get("Content-Type", "")
        if "json" not in ctype or not self.request.body:
            return None
        try:
            body = request_guard.loads(self.request.body)
        except DispatchError as err:  # invalid, too deeply nested, or a number too long
            raise Open311Error(400, err.message) from None
        return body if isinstance(body, dict) else None

    def integration(self, *, optional: bool = False) -> str | None:
        """The calling integration's name (its API key), or 403 as the spec says.

        With ``optional``, a call without any key is anonymous (None): a citizen looking up
        a case by its number; a wrong key is still refused.
        """
        key = self.param("api_key") or self.request.headers.get("X-API-Key")
        if not key:
            if optional:
                return None
            raise Open311Error(403, "缺少 api_key")
        found = self.app_key_lookup(key)
        if found is None or SCOPE not in found["scopes"]:
            raise Open311Error(403, "api_key 无效或无 Open311 权限")
        return f"open311:{found['name']}"

    def app_key_lookup(self, key: str) -> dict[str, Any] | None:
        from console.auth import lookup_api_key

        return lookup_api_key(self.app, key)

    @staticmethod
    def record(row: dict[str, Any], who: str | None) -> dict[str, Any]:
        """The integration that sent a case reads it whole; anyone else (a citizen with the
        case number) reads its progress without description, door number or exact point."""
        rec = request_record(row)
        if who is None:
            rec["description"] = ""
            rec["address"] = mask_address(rec["address"]) or ""
            for k in ("lat", "long"):
                rec[k] = None if rec[k] is None else round(float(rec[k]), 3)
        return rec

    async def guarded(self, fn: Any) -> None:
        try:
            if len(self.request.body or b"") > self.max_body:
                raise Open311Error(413, f"请求体过大（上限 {self.max_body // 1024} KB）")
            await fn()
        except Open311Error as err:
            self.fail(err)
        except DispatchError as err:
            field = str(err.detail.get("field") or "")
            text = err.message if not field or field in err.message else f"{field}：{err.message}"
            self.fail(Open311Error(400 if err.status == 422 else err.status, text))


class ServicesHandler(Open311Handler):
    async def get(self, fmt: str) -> None:
        self.fmt = fmt

        async def work() -> None:
            self.reply("services", "service", services())
        await self.guarded(work)


class ServiceDefinitionHandler(Open311Handler):
    async def get(self, code: str, fmt: str) -> None:
        self.fmt = fmt

        async def work() -> None:
            if code not in CATEGORIES:
                raise Open311Error(404, f"service_code “{code}” 不存在")
            defn = service_definition(code)
            if fmt == "xml":
                self._xml_definition(defn)
            else:
                self.send_json(defn)
        await self.guarded(work)

    def _xml_definition(self, defn: dict[str, Any]) -> None:
        body = to_xml("service_definitions", "service_definition", [defn])
        # The spec's root is <service_definition>; unwrap our one-item list.
        body = body.replace("<service_definitions>", "").replace("</service_definitions>", "")
        self.set_header("Content-Type", "text/xml; charset=utf-8")
        self.finish(body)


class RequestsHandler(Open311Handler):
    max_body = MEDIA_BODY  # a photo may come along (media_url as a data: URL, or a media file)

    async def get(self, fmt: str) -> None:
        self.fmt = fmt

        async def work() -> None:
            who = self.integration(optional=True)
            ids = self.param("service_request_id")
            codes = [s.strip() for s in ids.split(",") if s.strip()][:50] if ids else None
            tokens = None
            if who is None:  # a citizen: by the unguessable token given at intake, one or a few
                raw = self.param("token") or ids
                tokens = [t.strip() for t in (raw or "").split(",") if t.strip()][:10]
                if not tokens:
                    raise Open311Error(403, "缺少 api_key（不带密钥时只能按受理时返回的 token 查询）")
                codes = None
            cats = self.param("service_code")
            categories = [s.strip() for s in cats.split(",") if s.strip()] if cats else None
            status = self.param("status")
            if status not in (None, "", "open", "closed"):
                raise Open311Error(400, "status 只能是 open 或 closed")
            start, end = _date(self.param("start_date"), "start_date"), \
                _date(self.param("end_date"), "end_date")
            rows = await self.in_db(open311_requests, created_by=who, codes=codes,
                                    categories=categories, start=start, end=end,
                                    status=status or None, tokens=tokens)
            self.reply("service_requests", "request", [self.record(r, who) for r in rows])
        await self.guarded(work)

    async def post(self, fmt: str) -> None:
        self.fmt = fmt

        async def work() -> None:
            who = self.integration() or ""  # never empty: a key is required here
            body = self.intake_body()
            photo, link = media(self)
            if photo is not None:  # checked before the case exists: a refusal registers nothing
                try:
                    check_upload(*photo)
                except InvalidCommand as err:
                    raise Open311Error(400, f"media：{err.message}") from None
            if link:  # not fetched: the console makes no outbound requests for a sender
                body["description"] = (body["description"] + f"\n附图链接：{link}")[:4000]
            external = self.param("attribute[external_id]")
            if external:  # the sender's own id: the same one again is the same case (200)
                body["external_id"] = external
                body["external_source"] = (self.param("attribute[external_source]")
                                           or who)[:40]
            result = await asyncio.to_thread(self.register, body, who)
            if result.get("existing"):
                self.reply("service_requests", "request", [{
                    "service_request_id": result["code"], "token": None,
                    "service_notice": f"该外部编号已受理，案件编号 {result['code']}（未重复登记）",
                    "account_id": None}], status=200)
                return
            token = await self.in_db(_issue, int(result["id"]))
            notice = f"已受理，案件编号 {result['code']}；凭查询码 token 查询办理进度"
            if photo is not None:
                await asyncio.to_thread(self.attach, int(result["id"]), photo, who)
                notice += "；照片已存入案卷"
            elif link:
                notice += "；附图链接已记入案件说明（未下载）"
            chain = result.get("location") or {}
            if chain.get("inside"):
                names = [(chain.get(k) or {}).get("name") for k in ("street", "community", "grid")]
                notice += "；已定位：" + " › ".join(n for n in names if n)
            else:
                notice += "；地址待值班员确认"
            self.reply("service_requests", "request", [{
                "service_request_id": result["code"], "token": token,
                "service_notice": notice, "account_id": None}], status=201)
        await self.guarded(work)

    def intake_body(self) -> dict[str, Any]:
        code = self.param("service_code")
        if not code:
            raise Open311Error(400, "缺少 service_code（纠纷类别）")
        if code not in CATEGORIES:
            raise Open311Error(400, f"service_code “{code}” 不存在；可用：{'、'.join(CATEGORIES)}")
        lat, lon, address = self.param("lat"), self.param("long"), self.param("address_string")
        if (lat in (None, "")) != (lon in (None, "")):
            raise Open311Error(400, "lat 与 long 须同时提供")
        if lat in (None, "") and not address:
            raise Open311Error(400, "须提供 lat/long 或 address_string（位置）")
        crs = (self.param("coord_system") or "wgs84").lower()
        priority = self.param("attribute[priority]") or "normal"
        if priority not in PRIORITY_CODES:
            raise Open311Error(400, "attribute[priority] 只能是 urgent、high、normal 或 low")
        channel = self.param("attribute[channel]") or "hotline"
        if channel not in CHANNELS:
            raise Open311Error(400, f"attribute[channel] 只能是 {'、'.join(CHANNELS)}")
        name = "".join(p for p in (self.param("last_name"), self.param("first_name")) if p)
        phone = self.param("phone")
        parties = [{"name": name[:60], "phone": phone, "role": "applicant"}] if name else []
        return {"category": code, "channel": channel, "priority": priority, "crs": crs,
                "lat": lat or None, "lon": lon or None, "address": address or None,
                "description": (self.param("description") or "")[:4000],
                "title": f"Open311：{CATEGORIES[code]}", "parties": parties}

    def register(self, body: dict[str, Any], actor: str) -> dict[str, Any]:
        from console.api.dispatch import placed, register_command

        try:  # checked once as the API's body, then placed (geocoded) as a command
            cmd, _ = placed(self.app, register_command(body, actor))
            return dict(self.app.dispatch.handle(cmd).as_dict())
        except InvalidCommand as err:
            field = {"lon": "long"}.get(str(err.detail.get("field")), err.detail.get("field"))
            raise Open311Error(400, f"{field}：{err.message}" if field else err.message) from None


    def attach(self, incident_id: int, photo: tuple[bytes, str | None], who: str) -> None:
        from dispatch.commands_record import AddAttachment

        try:
            self.app.dispatch.handle(AddAttachment(incident_id=incident_id, content=photo[0],
                                                   filename=photo[1], actor=who))
        except InvalidCommand as err:  # the case stands; the photo is refused with its reason
            raise Open311Error(400, f"media：{err.message}") from None


def media(handler: Open311Handler) -> tuple[tuple[bytes, str | None] | None, str | None]:
    """The request's photo: a ``media`` file part, or ``media_url`` as a ``data:`` URL (bytes,
    file name); an http(s) ``media_url`` comes back as a link only."""
    files = handler.request.files.get("media") or []
    if files:
        return (bytes(files[0]["body"]), files[0].get("filename")), None
    url = handler.param("media_url")
    if not url:
        return None, None
    if url.startswith("data:"):
        head, _, data = url.partition(",")
        if not head.endswith(";base64"):
            raise Open311Error(400, "media_url 的 data: 地址须为 base64 编码")
        try:
            return (base64.b64decode(data, validate=True), "media"), None
        except (binascii.Error, ValueError):
            raise Open311Error(400, "media_url 的 base64 内容无效") from None
    if url.startswith(("http://", "https://")) and len(url) <= 500:
        return None, url
    raise Open311Error(400, "media_url 须为 http(s) 地址或 data: 地址")


class RequestHandler(Open311Handler):
    async def get(self, request_id: str, fmt: str) -> None:
        self.fmt = fmt

        async def work() -> None:
            who = self.integration(optional=True)
            code = urllib.parse.unquote(request_id)
            # without a key the path names the case's token (its code would be guessable)
            rows = await self.in_db(open311_requests, created_by=who,
                                    codes=[code] if who else None,
                                    tokens=None if who else [code])
            if not rows:
                raise Open311Error(404, f"service_request_id “{code}” 不存在" + (
                    "" if who else "（不带 api_key 时请用受理时返回的 token 查询）"))
            self.reply("service_requests", "request", [self.record(rows[0], who)])
        await self.guarded(work)


class TokenHandler(Open311Handler):
    """The spec's ``GET tokens/{token}``: the case a token was issued for."""

    async def get(self, token: str, fmt: str) -> None:
        self.fmt = fmt

        async def work() -> None:
            rows = await self.in_db(open311_requests, created_by=None, tokens=[token])
            if not rows:
                raise Open311Error(404, f"token “{token}” 不存在")
            self.reply("service_requests", "request",
                       [{"service_request_id": rows[0]["code"], "token": token}])
        await self.guarded(work)


def _issue(conn: Any, incident_id: int) -> str:
    token = issue_token(conn, incident_id)
    conn.commit()
    return token


def _date(value: str | None, field: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{field} 须为 W3C 时间格式，如 2026-01-01T00:00:00Z") from None


def open311_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    args = {"app": app}
    f = r"\.(json|xml)"
    base = "/open311/v2"
    return [
        (rf"{base}/services{f}", ServicesHandler, args),
        (rf"{base}/services/([a-z_]{{1,20}}){f}", ServiceDefinitionHandler, args),
        (rf"{base}/requests{f}", RequestsHandler, args),
        (rf"{base}/requests/([0-9A-Za-z%\-]{{1,40}}){f}", RequestHandler, args),
        # tokens are tracking codes (``4KX9-T2QM-7RBD``, 0017); older ones 32 hex digits
        (rf"{base}/tokens/([0-9A-Za-z\-]{{12,32}}){f}", TokenHandler, args),
    ]
