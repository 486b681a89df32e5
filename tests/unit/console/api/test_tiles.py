"""The console's own tile folder (FQ_TILE_DIR at /tiles/{z}/{x}/{y}) and the tile settings'
way to every page: ints only, nothing outside the folder, 404 for a missing tile, the file's
own content type and long cache headers; a bad setting stops the start."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import types
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPResponse
from tornado.httpserver import HTTPServer
from tornado.testing import bind_unused_port
from tornado.web import Application

from console.api.tiles import CACHE_S, find_tile, parse_tile, tile_routes
from console.map import basemap
from dispatch.access import Principal
from layers.tiles import TILE_ROUTE, TileSettings

PNG = b"\x89PNG\r\n\x1a\n fake png body"
JPG = b"\xff\xd8\xff fake jpeg body"
WEBP = b"RIFF\x00\x00\x00\x00WEBP fake"


class _Auth:
    """Every request with a Bearer header is the duty officer; none is anonymous."""

    async def of_request_async(self, _engine: Any, handler: Any) -> Principal | None:
        if "Authorization" not in handler.request.headers:
            return None
        return Principal(name="值班员", role="duty", account_id=1)


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    (tmp_path / "15" / "23").mkdir(parents=True)
    (tmp_path / "15" / "23" / "11.png").write_bytes(PNG)
    (tmp_path / "15" / "23" / "12.jpg").write_bytes(JPG)
    (tmp_path / "15" / "23" / "13.webp").write_bytes(WEBP)
    (tmp_path.parent / f"{tmp_path.name}-secret.png").write_bytes(b"outside")
    return tmp_path


def fetch(folder: Path | None, *paths: str, headers: dict[str, str] | None = None,
          ) -> list[HTTPResponse]:
    """GET each path from a Tornado app holding only the tile route (raw paths, unnormalised)."""
    app = types.SimpleNamespace(tiles=TileSettings.from_env(
        {"FQ_TILE_DIR": str(folder)} if folder else {}), auth=_Auth(), engine=None)
    sent = {"Authorization": "Bearer t"} if headers is None else headers

    async def run() -> list[HTTPResponse]:
        sock, port = bind_unused_port()
        server = HTTPServer(Application(tile_routes(app)))  # type: ignore[arg-type]
        server.add_sockets([sock])
        client = AsyncHTTPClient()
        try:
            return [await client.fetch(f"http://127.0.0.1:{port}{p}", headers=sent,
                                       raise_error=False) for p in paths]
        finally:
            server.stop()

    # its own thread and loop: a test before this one may have left a loop running here
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def test_a_tile_comes_with_its_content_type_and_long_cache(folder: Path) -> None:
    png, png_suffix, jpg, webp = fetch(folder, "/tiles/15/23/11", "/tiles/15/23/11.png",
                                       "/tiles/15/23/12.png", "/tiles/15/23/13.webp")
    for resp, body, kind in ((png, PNG, "image/png"), (png_suffix, PNG, "image/png"),
                             (jpg, JPG, "image/jpeg"), (webp, WEBP, "image/webp")):
        assert resp.code == 200, resp.body
        assert resp.body == body
        assert resp.headers["Content-Type"] == kind
        assert resp.headers["Cache-Control"] == f"private, max-age={CACHE_S}"
        assert CACHE_S >= 86400 and resp.headers["Etag"]
    again = fetch(folder, "/tiles/15/23/11", headers={"Authorization": "Bearer t",
                                                      "If-None-Match": png.headers["Etag"]})
    assert again[0].code == 304 and again[0].body == b""


@pytest.mark.parametrize(("path", "bad"), [
    ("/tiles/a/0/0", "z"), ("/tiles/-1/0/0", "z"), ("/tiles/23/0/0", "z"), ("/tiles/+1/0/0", "z"),
    ("/tiles/1.0/0/0", "z"), ("/tiles/%201/0/0", "z"), ("/tiles/%D9%A1/0/0", "z"),
    ("/tiles/1/2/0", "x"), ("/tiles/15/23x/11", "x"), ("/tiles/15/1_0/11", "x"),
    ("/tiles/15/23/32768", "y"), ("/tiles/15/23/11.gif", "y"), ("/tiles/15/23/11.png.png", "y"),
    ("/tiles/15/23/..", "y"), ("/tiles/..%2F..%2F..%2Fetc/passwd/0", "z"),
    ("/tiles/15/23/..%2F..%2F..%2Fsecret", "y"), ("/tiles/15/..%2F..%2F..%2F/11", "x"),
])
def test_bad_or_escaping_coordinates_are_refused_naming_the_part(folder: Path, path: str,
                                                                  bad: str) -> None:
    (resp,) = fetch(folder, path)
    assert resp.code == 400, (path, resp.code, resp.body)
    err = json.loads(resp.body)["error"]
    assert err["field"] == bad and f"瓦片参数 {bad}" in err["message"]


def test_paths_that_are_not_three_parts_never_reach_a_file(folder: Path) -> None:
    for resp in fetch(folder, "/tiles/../../etc/passwd", "/tiles/15/23", "/tiles/15/23/11/x",
                      f"/tiles/../{folder.name}-secret.png"):
        assert resp.code == 404 and b"outside" not in (resp.body or b"")


def test_a_missing_tile_is_a_404_and_no_folder_is_a_404_too(folder: Path) -> None:
    missing, other_zoom = fetch(folder, "/tiles/15/23/14", "/tiles/3/1/1.png")
    for resp in (missing, other_zoom):
        assert resp.code == 404
        assert "不存在" in json.loads(resp.body)["error"]["message"]
    (none,) = fetch(None, "/tiles/15/23/11")
    assert none.code == 404 and "FQ_TILE_DIR" in json.loads(none.body)["error"]["message"]


def test_tiles_need_a_signed_in_caller(folder: Path) -> None:
    (resp,) = fetch(folder, "/tiles/15/23/11", headers={})
    assert resp.code == 401


def test_parse_and_find_directly(folder: Path) -> None:
    assert parse_tile("0", "0", "0") == (0, 0, 0, None)
    assert parse_tile("22", str(2 ** 22 - 1), "5.JPEG") == (22, 2 ** 22 - 1, 5, "jpeg")
    assert parse_tile("0", "1", "0") == "x"
    assert parse_tile("123456789", "0", "0") == "z"
    assert find_tile(folder, 15, 23, 12, "png") == folder / "15" / "23" / "12.jpg"
    assert find_tile(folder, 15, 23, 99) is None


def test_settings_the_folder_alone_serves_tiles_at_the_console_route(folder: Path) -> None:
    s = TileSettings.from_env({"FQ_TILE_DIR": str(folder), "FQ_TILE_CRS": "gcj02"})
    assert s == TileSettings(url=TILE_ROUTE, crs="gcj02", dir=folder.resolve())
    other = TileSettings.from_env({"FQ_TILE_DIR": str(folder),
                                   "FQ_TILE_URL": "http://tiles.intranet/{z}/{x}/{y}.png"})
    assert other.url == "http://tiles.intranet/{z}/{x}/{y}.png"  # the admin's choice stands
    with pytest.raises(ValueError, match="FQ_TILE_DIR 须为已存在的瓦片文件夹"):
        TileSettings.from_env({"FQ_TILE_DIR": str(folder / "nowhere")})
    with pytest.raises(ValueError, match="FQ_TILE_DIR"):
        TileSettings.from_env({"FQ_TILE_DIR": str(folder / "15" / "23" / "11.png")})


def test_every_map_gets_the_basemap_keywords() -> None:
    assert basemap(None) == {} and basemap(TileSettings()) == {}
    assert basemap(TileSettings(url=TILE_ROUTE, crs="gcj02"), "/api/v1/") == {
        "basemap_url": TILE_ROUTE, "basemap_crs": "gcj02",
        "basemap_shift_url": "/api/v1/map/tile-shift"}


def test_a_bad_tile_setting_stops_the_start_before_any_database_work(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from console import bootstrap as boot
    from console.ops import cli
    from geo import db

    def no_db(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the database must not be touched")

    monkeypatch.setattr(db, "ready_database", no_db)
    monkeypatch.setattr(boot.db, "make_engine", no_db)
    monkeypatch.setenv("FQ_TILE_CRS", "bd09")
    with pytest.raises(ValueError, match="FQ_TILE_CRS 只能是 wgs84 或 gcj02"):
        boot.bootstrap(url="postgresql://nowhere/none")  # no settings given: read them now
    monkeypatch.setenv("FQ_TILE_CRS", "gcj02")
    monkeypatch.setenv("FQ_TILE_URL", "http://tiles.intranet/tile.png")
    assert cli.main(["serve"]) == 2
    assert "FQ_TILE_URL 须为含 {z}、{x}、{y} 的瓦片地址模板" in capsys.readouterr().err


def test_the_app_carries_the_environment_s_tiles(monkeypatch: pytest.MonkeyPatch,
                                                 folder: Path) -> None:
    """The settings read FQ_TILE_* once; the pages read them from ``App.tiles``."""
    from console import bootstrap as boot
    from geo.settings import Settings

    made: dict[str, Any] = {}
    monkeypatch.setattr(boot.db, "make_engine", lambda url, **_: made.setdefault("url", url))
    monkeypatch.setattr(boot, "bootstrap_dispatch", lambda *_a, **_k: None)
    monkeypatch.setenv("FQ_TILE_DIR", str(folder))
    monkeypatch.setenv("FQ_TILE_CRS", "gcj02")
    monkeypatch.delenv("FQ_TILE_URL", raising=False)
    app = boot.bootstrap(url="postgresql://nowhere/none")
    assert app.tiles == TileSettings(url=TILE_ROUTE, crs="gcj02", dir=folder.resolve())
    given = TileSettings(url="http://t/{z}/{x}/{y}.png")
    assert boot.bootstrap(Settings.from_env({}), url="x", tiles=given).tiles is given
