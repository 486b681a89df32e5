"""Real local receivers for the outbox's tests: an HTTP server (SMS gateway, webhooks) and an
SMTP server (aiosmtpd), both on loopback, each counting deliveries by idempotency key."""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from dispatch.webhooks import verify


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    signed: bool | None  # None: no secret to check against

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Answers ``script`` statuses in order (then 200); checks X-FQ-Signature where it knows
    the secret for that path (``secrets``) and the SMS gateway's X-Signature with its key."""

    script: list[int] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)
    sms_key: str | None = None
    got: list[Received] = field(default_factory=list)
    url: str = ""
    hold: str | None = None  # the first request to this path waits for ``released``
    holding: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    location: str = ""  # sent with a 3xx answer: where the receiver points the sender

    def keys(self, path: str | None = None) -> dict[str, int]:
        """Idempotency key → how many times it arrived (a receiver dedupes on it)."""
        out: dict[str, int] = {}
        for r in self.got:
            if path is None or r.path == path:
                k = r.headers.get("x-fq-delivery", "")
                out[k] = out.get(k, 0) + 1
        return out

    def answer(self, r: Received) -> int:
        self.got.append(r)
        return self.script.pop(0) if self.script else 200


@contextmanager
def http_receiver(**kw: Any) -> Iterator[HttpReceiver]:
    rec = HttpReceiver(**kw)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            signed = None
            secret = rec.secrets.get(self.path)
            if secret is not None:
                signed = verify(secret, headers.get("x-fq-timestamp", ""), body,
                                headers.get("x-fq-signature", ""))
            elif rec.sms_key is not None:
                signed = headers.get("x-app-key") == rec.sms_key and verify(
                    rec.sms_key, headers.get("x-timestamp", ""), body,
                    headers.get("x-signature", ""))
            status = rec.answer(Received(self.path, headers, body, signed))
            if self.path == rec.hold and not rec.holding.is_set():
                rec.holding.set()  # the sender is mid-delivery now
                rec.released.wait(60)
            out = json.dumps({"code": "OK" if status < 300 else "ERR"}).encode()
            self.send_response(status)
            if 300 <= status < 400 and rec.location:
                self.send_header("Location", rec.location)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        do_GET = do_POST  # a followed redirect arrives as a GET: recorded like a POST

        def handle(self) -> None:
            with contextlib.suppress(OSError):  # the sender died mid-request (the drill)
                super().handle()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class SmtpReceiver:
    messages: list[Any] = field(default_factory=list)
    port: int = 0

    def keys(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for m in self.messages:
            k = m["X-FQ-Delivery"]
            out[k] = out.get(k, 0) + 1
        return out


@contextmanager
def smtp_receiver() -> Iterator[SmtpReceiver]:
    from aiosmtpd.controller import Controller

    rec = SmtpReceiver()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            rec.messages.append(message_from_bytes(envelope.content))
            return "250 OK"

    from tests.conftest import free_port

    rec.port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=rec.port)
    controller.start()
    try:
        yield rec
    finally:
        controller.stop()
