"""``FQ_TILE_DIR`` served by the console itself: ``/tiles/{z}/{x}/{y}`` (an optional ``.png``,
``.jpg``, ``.jpeg`` or ``.webp`` suffix is accepted) answers the file ``{z}/{x}/{y}.<ext>`` of
that folder, whichever of those formats it holds, with its own content type and long cache
headers. z, x and y must be plain decimal integers in range, so no request reaches outside the
folder; a tile the folder lacks is a 404, and Leaflet then draws nothing there."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from console.api.router import ApiHandler
from console.bootstrap import App

MAX_ZOOM = 22
TILE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}
CACHE_S = 7 * 24 * 3600  # tiles change when the administrator replaces the folder: rarely
TILE_ROUTE_PATTERN = r"/tiles/([^/]+)/([^/]+)/([^/]+)"


def _digits(raw: str) -> int | None:
    """A plain ASCII decimal (``int()`` would also take ``+1``, `` 1``, ``1_0`` and ``١``)."""
    return int(raw) if 0 < len(raw) <= 8 and raw.isascii() and raw.isdigit() else None


def parse_tile(z_raw: str, x_raw: str, y_raw: str) -> tuple[int, int, int, str | None] | str:
    """(z, x, y, requested suffix or None), or the name of the first bad part."""
    stem, dot, ext = y_raw.partition(".")
    if dot and ext.lower() not in TILE_TYPES:
        return "y"
    z = _digits(z_raw)
    if z is None or z > MAX_ZOOM:
        return "z"
    x = _digits(x_raw)
    if x is None or x >= 2 ** z:
        return "x"
    y = _digits(stem)
    if y is None or y >= 2 ** z:
        return "y"
    return z, x, y, ext.lower() if dot else None


def find_tile(folder: Path, z: int, x: int, y: int, ext: str | None = None) -> Path | None:
    """The file of tile (z, x, y) in ``folder``: the requested format first, then any."""
    order = [ext] if ext else []
    order += [e for e in TILE_TYPES if e != ext]
    base = folder / str(z) / str(x)
    for e in order:
        path = base / f"{y}.{e}"
        if path.is_file():
            return path
    return None


class TileHandler(ApiHandler):
    """One tile of ``FQ_TILE_DIR`` (read access, like every page's map)."""

    async def get(self, z_raw: str, x_raw: str, y_raw: str) -> None:
        parsed = parse_tile(z_raw, x_raw, y_raw)
        if isinstance(parsed, str):
            limit = f"0 到 {MAX_ZOOM}" if parsed == "z" else "0 到 2^z−1"
            self.send_error_json(400, "bad_value",
                                 f"瓦片参数 {parsed} 须为 {limit} 的整数"
                                 "（扩展名可为 .png、.jpg、.jpeg、.webp）", parsed)
            return
        folder = self.app.tiles.dir
        if folder is None:
            self.send_error_json(404, "not_found", "未配置瓦片目录（FQ_TILE_DIR）")
            return
        z, x, y, ext = parsed
        found = await asyncio.to_thread(_read_tile, folder, z, x, y, ext)
        if found is None:
            self.send_error_json(404, "not_found", f"瓦片 {z}/{x}/{y} 不存在")
            return
        content_type, data = found
        self.set_header("Content-Type", content_type)
        self.set_header("Cache-Control", f"private, max-age={CACHE_S}")
        self.finish(data)  # Tornado adds the ETag and answers If-None-Match with a 304


def _read_tile(folder: Path, z: int, x: int, y: int, ext: str | None) -> tuple[str, bytes] | None:
    path = find_tile(folder, z, x, y, ext)
    if path is None:
        return None
    try:
        return TILE_TYPES[path.suffix[1:]], path.read_bytes()
    except OSError:  # removed or unreadable between the look-up and the read
        return None


def tile_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    return [(TILE_ROUTE_PATTERN, TileHandler, {"app": app})]
