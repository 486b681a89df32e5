"""The API's door checks that cost nothing to fail: body size before it is read, JSON depth and
number length before and while it is parsed, the origin of cookie-authenticated writes, and no
``Server`` header telling a probe which server and version answer.

Every check here answers from headers or bytes alone (no database, no principal needed) so a
handler can refuse before doing any work. Refusals are :class:`~dispatch.errors.DispatchError`
subclasses carrying the Chinese reason and the HTTP status.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
import urllib.parse
from collections.abc import Iterable
from typing import Any

from tornado.web import OutputTransform

from dispatch.errors import DispatchError, InvalidCommand

JSON_BODY = 1024 * 1024  # the default ceiling of a request body on an API route (1 MiB)
MAX_DEPTH = 32  # nesting of arrays and objects in a JSON body
MAX_NUMBER = 40  # characters of one JSON number (a float's repr needs at most 24)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON_TYPES = ("application/json",)
_OPENERS = frozenset(b"[{")
_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')


class BodyRefused(InvalidCommand):
    """A body refused at the door: too large (413) or malformed beyond parsing (400); an
    :class:`InvalidCommand` so every face that answers those answers these too."""

    status = 400
    code = "bad_body"

    def __init__(self, message: str, *, status: int = 400, code: str = "bad_body") -> None:
        super().__init__(message, field="body")
        self.status = status
        self.code = code


class CrossSite(DispatchError):
    """A cookie-authenticated write that did not come from the console's own pages (403)."""

    status = 403
    code = "cross_site"


# ---- size -------------------------------------------------------------------------------------

def size_refusal(headers: Any, limit: int) -> BodyRefused | None:
    """A 413 when ``Content-Length`` says the body exceeds ``limit`` (read from headers only;
    a chunked body is cut at the same limit by the connection while it streams in)."""
    raw = headers.get("Content-Length")
    if raw is None:
        return None
    try:
        length = int(raw.split(",")[0].strip())
    except ValueError:
        return BodyRefused("Content-Length 无效")
    if length > limit:
        return BodyRefused(f"请求体过大（上限 {_size(limit)}）", status=413, code="too_large")
    return None


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n // 1024} KB"


# ---- JSON -------------------------------------------------------------------------------------

def too_deep(raw: bytes, max_depth: int = MAX_DEPTH) -> bool:
    """Whether arrays/objects in ``raw`` nest deeper than ``max_depth`` (brackets inside
    strings do not count); a scan in C-speed regex steps, before any parsing."""
    if sum(raw.count(c) for c in (b"[", b"{")) <= max_depth:
        return False
    depth = 0
    for m in _TOKENS.finditer(raw):
        first = m.group()[0]
        if first in _OPENERS:
            depth += 1
            if depth > max_depth:
                return True
        elif first != 0x22:  # a closing bracket (0x22 is the quote of a skipped string)
            depth -= 1
    return False


class _NumberTooLong(Exception):
    pass


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER:
        raise _NumberTooLong
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER:
        raise _NumberTooLong
    value = float(text)
    if not math.isfinite(value):  # 1e999 overflows to inf
        raise _NumberTooLong
    return value


def loads(raw: bytes | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """``json.loads`` with the door's limits: 400 for too deeply nested JSON, 422 (field
    ``body``) for invalid JSON or a number longer than :data:`MAX_NUMBER` characters."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if too_deep(data, max_depth):
        raise BodyRefused(f"请求体 JSON 嵌套过深（上限 {max_depth} 层）", code="too_deep")
    try:
        return json.loads(data, parse_int=_int, parse_float=_float)
    except _NumberTooLong:
        raise InvalidCommand(f"请求体中的数字过长或超出范围（上限 {MAX_NUMBER} 位）",
                             field="body") from None
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidCommand("请求体不是有效的 JSON", field="body") from None


# ---- origin of cookie-authenticated writes ----------------------------------------------------

def _host_port(origin: str) -> str | None:
    """``host:port`` of an origin or URL (the scheme's default port when none is written)."""
    try:
        parts = urllib.parse.urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    port = port or (443 if parts.scheme == "https" else 80)
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{port}".lower()


def _allowed(hp: str, origins: Iterable[str]) -> bool:
    for entry in origins:
        entry = entry.strip().lower()
        if not entry:
            continue
        if ":" not in entry.rsplit("]", 1)[-1]:
            # a host without a port, as in FQ_ALLOWED_HOSTS behind a proxy: its default ports
            if fnmatch.fnmatchcase(hp, f"{entry}:80") or fnmatch.fnmatchcase(hp, f"{entry}:443"):
                return True
        elif fnmatch.fnmatchcase(hp, entry):
            return True
    return False


def cross_site_refusal(method: str, headers: Any, origins: Iterable[str], *,
                       body: bool, body_types: tuple[str, ...] = JSON_TYPES) -> CrossSite | None:
    """Why a write authenticated by the session cookie is refused, or None.

    The ``Origin`` (or, without one, the ``Referer``) must be one of the console's own
    ``origins`` (``host:port`` as the websocket check lists them), and a non-empty body must
    be of the route's ``body_types``: a form or ``text/plain`` body is what a foreign page can
    send without asking, a JSON body is not.
    """
    if method.upper() not in WRITE_METHODS:
        return None
    origin = headers.get("Origin")
    source = origin if origin is not None else headers.get("Referer")
    if not source:
        return CrossSite("跨站请求被拒绝：使用登录会话的写操作须带 Origin 或 Referer 请求头"
                         "（请从本平台页面操作，接口调用请用 Bearer 令牌或 API 密钥）")
    hp = _host_port(source)
    if hp is None or not _allowed(hp, origins):
        return CrossSite(f"跨站请求被拒绝：来源 {source[:80]} 不是本平台的地址")
    if body:
        ctype = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if not any(ctype == t or (t == "application/json" and ctype.endswith("+json"))
                   for t in body_types):
            return CrossSite(f"跨站请求被拒绝：此接口只接受 {'、'.join(body_types)} 请求体"
                             f"（收到 {ctype or '无类型'}）")
    return None


# ---- what every response says about the server -------------------------------------------------

class NoServerHeader(OutputTransform):
    """Drops Tornado's ``Server: TornadoServer/x.y`` from every response of the application."""

    def transform_first_chunk(self, status_code: int, headers: Any, chunk: bytes,
                              finishing: bool) -> tuple[int, Any, bytes]:
        headers.pop("Server", None)
        return status_code, headers, chunk


def hide_server_header(server: Any) -> None:
    """Install :class:`NoServerHeader` on a Bokeh/Panel server's Tornado application (pages,
    static files, websockets and the API alike)."""
    application = server._tornado  # Bokeh keeps its tornado.web.Application here
    if NoServerHeader not in application.transforms:
        application.add_transform(NoServerHeader)
