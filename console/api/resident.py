"""扫码说事 API, public (no login): the proof-of-work challenge, a resident's report, the
tracking view and what a resident adds there, and the QR code of a tracking link.

Every route counts per client address (and the report per device) before doing any work; the
limits live in :mod:`dispatch.limits`; the throttled answer is 429 in Chinese."""

from __future__ import annotations

import asyncio
import io
from datetime import UTC, datetime
from typing import Any, ClassVar

import segno

from console.api.dispatch import DispatchHandler
from console.api.resident_guard import THROTTLED, Windows, client_address, device_of
from console.api.schemas_resident import InfoIn, RatingIn
from console.bootstrap import App
from dispatch import challenge, limits, tracking
from dispatch.adapters.resident_repo import issue_challenge, spend_challenge
from dispatch.attachments import MULTIPART_OVERHEAD, UPLOAD_MAX_BYTES
from dispatch.commands_resident import Photo, SubmitResidentReport
from dispatch.errors import InvalidCommand
from dispatch.handlers_resident import UNKNOWN
from dispatch.views_resident import track

PREFIX = "/api/v1/resident"
REPORT_BODY = limits.RESIDENT_PHOTOS * UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD
WINDOWS = Windows()  # this process's counters (one console process per deployment today)


def qr_svg(url: str, *, scale: int = 6) -> str:
    """The QR code of ``url`` as an SVG document with its namespace (an ``<img>`` shows it;
    segno, medium error correction)."""
    buf = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind="svg", scale=scale, border=2,
                                                  xmldecl=False)
    return buf.getvalue().decode("utf-8")


class ResidentHandler(DispatchHandler):
    """Public: throttled per address (``limit``) before any work; Chinese refusals."""

    limit: ClassVar[tuple[int, int]] = limits.RESIDENT_TRACK_PER_ADDRESS
    bucket: ClassVar[str] = "track"

    def client(self) -> str:
        return client_address(self, self.app.settings.trusted_proxies)

    wait = 0  # seconds this request must wait (0: allowed)

    def count(self, key: str, limit: tuple[int, int]) -> None:
        if not self.wait:
            self.wait = WINDOWS.hit(key, limit)

    def throttled(self) -> bool:
        """Answer 429 (Chinese, ``Retry-After``) if a limit was reached; True when answered."""
        if self.wait and not self._finished:
            self.set_header("Retry-After", str(self.wait))
            self.send_error_json(429, "throttled", THROTTLED.format(wait=self.wait))
        return bool(self.wait)

    def data_received(self, chunk: bytes) -> None:
        if not self.wait:  # a throttled body is read (closing on unread data resets the
            super().data_received(chunk)  # connection before the 429 arrives) and dropped

    async def prepare(self) -> None:
        await super().prepare()
        if not self._finished:
            self.count(f"{self.bucket}:{self.client()}", self.limit)
            if self.request.method in ("GET", "HEAD"):
                self.throttled()

    def secure(self) -> bool:
        return self.request.protocol == "https"


class ChallengeHandler(ResidentHandler):
    """POST: a fresh proof-of-work challenge (single use, expires)."""

    limit = limits.RESIDENT_CHALLENGES_PER_ADDRESS
    bucket = "challenge"

    async def post(self) -> None:
        if self.throttled():
            return
        nonce, bits = challenge.new_nonce(), limits.RESIDENT_POW_BITS

        def work() -> dict[str, Any]:
            with self.app.engine.begin() as conn:
                issue_challenge(conn, nonce=nonce, bits=bits, at=datetime.now(UTC),
                                ttl_s=limits.RESIDENT_CHALLENGE_TTL_S)
            return {"nonce": nonce, "bits": bits, "expires_in": limits.RESIDENT_CHALLENGE_TTL_S}
        await self.run(work, status=201)


class ReportHandler(ResidentHandler):
    """POST multipart/form-data: the report's fields, ``nonce``/``answer`` and up to
    :data:`dispatch.limits.RESIDENT_PHOTOS` ``photo`` files."""

    limit = limits.RESIDENT_REPORTS_PER_ADDRESS
    bucket = "report"
    max_body = REPORT_BODY
    body_types: ClassVar[tuple[str, ...]] = ("multipart/form-data",
                                             "application/x-www-form-urlencoded")

    async def prepare(self) -> None:
        await super().prepare()
        if not self._finished:
            self.device = device_of(self, secure=self.secure())
            self.count(f"device:{self.device}", limits.RESIDENT_REPORTS_PER_DEVICE)

    def field(self, name: str) -> str | None:
        value = self.get_body_argument(name, None)
        if value is not None and "\x00" in value:
            raise InvalidCommand(f"字段（{name}）含有无效字符", field=name)
        return value.strip() if value is not None and value.strip() else None

    def number(self, name: str) -> float | None:
        raw = self.field(name)
        try:
            return None if raw is None else float(raw)
        except ValueError:
            raise InvalidCommand(f"坐标（{name}）须为数字", field=name) from None

    async def post(self) -> None:
        if self.throttled():
            return

        def work() -> Any:
            nonce, answer = self.field("nonce") or "", self.field("answer") or ""
            if not challenge.verify(nonce, answer, limits.RESIDENT_POW_BITS):
                raise InvalidCommand("验证未通过，请刷新页面后重试", field="answer")
            with self.app.engine.begin() as conn:
                live = spend_challenge(conn, nonce, at=datetime.now(UTC),
                                       ttl_s=limits.RESIDENT_CHALLENGE_TTL_S)
            if live is None:
                raise InvalidCommand("验证已失效或已使用，请重新提交", field="answer")
            files = self.request.files.get("photo") or []
            from console.api.resident_phone import phone_code

            code = phone_code(self.app, self.field("phone"), self.field("phone_code"))
            out = self.handle(SubmitResidentReport(
                category=self.field("category") or "", description=self.field("description")
                or "", address=self.field("address"), lon=self.number("lon"),
                lat=self.number("lat"), place=self.field("place"), name=self.field("name"),
                phone=self.field("phone"), device=self.device,
                photos=tuple(Photo(bytes(f["body"]), f.get("filename")) for f in files),
                phone_code=code))
            if out.get("tracking_code"):
                out["track_url"] = f"/track/{out['tracking_code']}"
            out["message"] = ("您已反映过相同的情况，我们已收到，请勿重复提交。" if out["duplicate"]
                              else "已收到您的反映，请记下查询码。")
            out.setdefault("phone_verified", False)
            return out
        await self.run(work, status=201)


class TrackHandler(ResidentHandler):
    """GET: the progress a tracking code may read (unknown and wrong codes: the same 404)."""

    async def get(self, code: str) -> None:
        view = await self.in_db(track, code)
        if view is None:
            self.send_error_json(404, "not_found", UNKNOWN, "code")
            return
        self.send_json(view)


class TrackInfoHandler(ResidentHandler):
    async def post(self, code: str) -> None:
        if self.throttled():
            return
        await self.run(lambda: self.handle(self.body(InfoIn).to_command(code=code)), status=201)


class TrackRatingHandler(ResidentHandler):
    async def post(self, code: str) -> None:
        if self.throttled():
            return
        await self.run(lambda: self.handle(self.body(RatingIn).to_command(code=code)),
                       status=201)


class QrHandler(ResidentHandler):
    """GET: the QR code (SVG) of ``/track/{code}`` on this server (no database)."""

    async def get(self, code: str) -> None:
        canon = tracking.normalise(code)
        if canon is None:
            self.send_error_json(404, "not_found", UNKNOWN, "code")
            return
        url = f"{self.request.protocol}://{self.request.host}/track/{tracking.display(canon)}"
        svg = await asyncio.to_thread(qr_svg, url)
        self.set_header("Content-Type", "image/svg+xml")
        self.set_header("Cache-Control", "no-store")
        self.finish(svg)


class GeocodeHandler(ResidentHandler):
    """GET ``?q=``: the geocoder's candidates, address and point only (public)."""

    async def get(self) -> None:
        from geo.geocoder import geocode

        def work() -> dict[str, Any]:
            q = (self.get_query_argument("q", "") or "").strip()
            if not q or len(q) > limits.ADDRESS:
                raise InvalidCommand(f"地址（q）须为 1 到 {limits.ADDRESS} 字", field="q")
            with self.app.engine.connect() as conn:
                found = geocode(conn, q, limit=5)
            return {"candidates": [{"address": c.address, "lon": c.lon, "lat": c.lat}
                                   for c in found.candidates]}
        await self.run(work)


_BASEMAP: dict[str, Any] = {}


class BasemapHandler(ResidentHandler):
    """GET: roads (merged by class) and community outlines for the resident's map (public:
    the territory's shapes, nothing about cases); built once per process."""

    async def get(self) -> None:
        from geo.queries import road_basemap, territory_layer

        def work() -> dict[str, Any]:
            if "fc" not in _BASEMAP:
                with self.app.engine.connect() as conn:
                    roads = [{**f, "properties": {"kind": "road"}} for f in road_basemap(conn)]
                    areas = [{"type": "Feature", "geometry": f["geometry"],
                              "properties": {"kind": "community",
                                             "name": f["properties"].get("name")}}
                             for f in territory_layer(conn, "communities")]
                _BASEMAP["fc"] = {"type": "FeatureCollection", "features": areas + roads}
            return dict(_BASEMAP["fc"])
        await self.run(work)


def resident_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    from console.api.resident_phone import phone_routes  # it builds on ResidentHandler

    args = {"app": app}
    code = r"([0-9A-Za-z\-]{1,20})"
    return [
        (rf"{PREFIX}/challenge", ChallengeHandler, args),
        (rf"{PREFIX}/reports", ReportHandler, args),
        (rf"{PREFIX}/track/{code}", TrackHandler, args),
        (rf"{PREFIX}/track/{code}/info", TrackInfoHandler, args),
        (rf"{PREFIX}/track/{code}/rating", TrackRatingHandler, args),
        (rf"{PREFIX}/qr/{code}\.svg", QrHandler, args),
        (rf"{PREFIX}/geocode", GeocodeHandler, args),
        (rf"{PREFIX}/basemap", BasemapHandler, args),
        *phone_routes(app, PREFIX),
    ]
