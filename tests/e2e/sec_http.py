"""The security tests' HTTP helpers (issue 14): one request function with the shapes the tests
read — JSON calls as a demo user, raw bodies, cookie-only posts, the login form unredirected,
and a bare socket for what a client announces in headers."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, NamedTuple

from tests.conftest import TOKENS, _LoggedIn, as_user


class Reply(NamedTuple):
    status: int
    json: Any  # the parsed body when it is JSON, else None
    text: str
    headers: dict[str, str]
    raw: bytes


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def send(method: str, url: str, *, data: bytes | None = None, user: str | None = "duty",
         headers: dict[str, str] | None = None, follow: bool = True,
         timeout: float = 120) -> Reply:
    """One request as ``user`` (``X-Test-As``; None or "anonymous" for none) with ``headers``."""
    hdrs = {**(as_user(user) if user else as_user("anonymous")), **(headers or {})}
    req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
    opener = urllib.request.build_opener(_LoggedIn(), *(() if follow else (_NoRedirect,)))
    try:
        with opener.open(req, timeout=timeout) as resp:
            status, head, raw = resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        status, head, raw = err.code, dict(err.headers), err.read()
    text = raw.decode("utf-8", "replace")
    try:
        parsed = json.loads(text) if text[:1] in ("{", "[") else None
    except ValueError:
        parsed = None
    return Reply(status, parsed, text, head, raw)


def call(method: str, url: str, body: Any = None, *, user: str = "duty",
         headers: dict[str, str] | None = None, form: bool = False) -> tuple[int, Any, str]:
    """(status, parsed JSON or None, text) of a JSON (or ``form``) request as ``user``."""
    if body is None:
        data = None
    elif form:
        data = urllib.parse.urlencode(body).encode()
    else:
        data = json.dumps(body).encode()
    ctype = "application/x-www-form-urlencoded" if form else "application/json"
    r = send(method, url, data=data, user=user, headers={"Content-Type": ctype, **(headers or {})})
    return r.status, r.json, r.text


def post_bytes(url: str, body: bytes, *, ctype: str = "application/json",
               user: str | None = "duty", **headers: str) -> tuple[int, Any]:
    """POST raw ``body`` bytes; (status, the JSON answer or ``{"raw": first bytes}``)."""
    r = send("POST", url, data=body, user=user, headers={"Content-Type": ctype, **headers},
             timeout=60)
    return r.status, r.json if r.json is not None else {"raw": r.raw[:200]}


def cookie_post(url: str, body: bytes, *, ctype: str = "application/json", user: str = "leader",
                **headers: str) -> tuple[int, Any]:
    """A POST carrying only ``user``'s session cookie (as a browser would), no bearer token."""
    return post_bytes(url, body, ctype=ctype, user=None,
                      Cookie=f"fq_session={TOKENS[user]}", **headers)


def fetch(url: str, user: str = "anonymous", *, follow: bool = True,
          **headers: str) -> tuple[int, dict, bytes]:
    """GET as ``user``: (status, headers, raw body); ``follow=False`` answers a redirect."""
    r = send("GET", url, user=user, headers=headers, follow=follow)
    return r.status, r.headers, r.raw


def login_form(base: str, username: str, password: str, next_url: str) -> tuple[int, dict, str]:
    """POST the login page's form as a browser does; (status, headers, body) unredirected."""
    data = urllib.parse.urlencode({"username": username, "password": password,
                                   "next": next_url}).encode()
    r = send("POST", f"{base}/login", data=data, user=None, follow=False, timeout=30,
             headers={"Content-Type": "application/x-www-form-urlencoded"})
    return r.status, r.headers, r.text


def raw_request(base: str, head: str, body: bytes = b"", *, wait_s: float = 10.0) -> str:
    """Send ``head`` (and ``body``) on a fresh socket; the status line and headers answered
    within ``wait_s`` (raises ``TimeoutError`` when the server says nothing)."""
    url = urllib.parse.urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=wait_s) as sock:
        sock.sendall(head.encode("latin-1") + body)
        got = b""
        deadline = time.monotonic() + wait_s
        while b"\r\n\r\n" not in got:
            if time.monotonic() > deadline:
                raise TimeoutError(got)
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                break
            if not chunk:
                break
            got += chunk
    return got.decode("utf-8", "replace")
