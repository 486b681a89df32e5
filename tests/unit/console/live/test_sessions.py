"""console.live.sessions without a server: which channels a logout or a sweep closes."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from typing import Any

from console.auth import Authenticator
from console.live.sessions import CLOSED, LiveChannels


class Socket:
    def __init__(self, token: str | None) -> None:
        self.request = SimpleNamespace(headers={})
        self.token = token
        self.closed: tuple[int, str] | None = None

    def get_cookie(self, name: str) -> str | None:
        return self.token if name == "fq_session" else None

    def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)


class Loop:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, tuple]] = []

    def add_callback(self, fn: Any, *args: Any) -> None:
        self.calls.append((fn, args))

    def run(self) -> None:
        calls, self.calls = self.calls, []
        for fn, args in calls:
            out = fn(*args)
            if asyncio.iscoroutine(out):  # in a thread of its own: a browser test run before
                done = threading.Thread(target=asyncio.run, args=(out,))  # in this worker
                done.start()  # keeps Playwright's loop running on the main thread
                done.join()


class Auth(Authenticator):
    def __init__(self, valid: set[str]) -> None:
        super().__init__()
        self.valid = valid

    def resolve(self, engine: Any, kind: str, value: str) -> Any:
        return object() if value in self.valid else None


def _wired(sockets: list[Socket], valid: set[str]) -> tuple[LiveChannels, Auth, Loop]:
    loop = Loop()
    server = SimpleNamespace(io_loop=loop, _tornado=SimpleNamespace(
        _clients=[SimpleNamespace(_socket=s) for s in sockets]))
    live, auth = LiveChannels(), Auth(valid)
    live.attach(server, auth, engine=object())  # type: ignore[arg-type]
    loop.calls.clear()  # the periodic sweep's start: not run here
    return live, auth, loop


def test_a_logout_closes_that_sessions_pages_and_streams_only() -> None:
    a, a2, b = Socket("tok-a"), Socket("tok-a"), Socket("tok-b")
    live, auth, loop = _wired([a, a2, b], {"tok-a", "tok-b"})
    stopped: list[str] = []
    live.add_stream(("token", "tok-a"), lambda: stopped.append("a"))
    key_b = live.add_stream(("token", "tok-b"), lambda: stopped.append("b"))
    auth.forget("tok-a")  # what both logouts call
    assert a.closed is None  # nothing closes off the loop
    loop.run()
    assert a.closed and a.closed[0] == CLOSED and a2.closed and b.closed is None
    assert stopped == ["a"] and live.closed == 3
    live.remove_stream(key_b)
    auth.forget("tok-b")
    loop.run()
    assert b.closed and stopped == ["a"]  # a removed stream is not called


def test_an_account_change_sweeps_out_the_sessions_that_no_longer_resolve() -> None:
    a, b = Socket("tok-a"), Socket("tok-b")
    live, auth, loop = _wired([a, b], {"tok-a", "tok-b"})
    stopped: list[str] = []
    live.add_stream(("token", "tok-b"), lambda: stopped.append("b"))
    auth.valid.discard("tok-b")  # deactivated, or its password reset, by an administrator
    auth.forget()
    loop.run()
    assert a.closed is None and b.closed is not None and stopped == ["b"]
