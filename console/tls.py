"""HTTPS for the console: the TLS settings, the server's SSL context, HSTS and the redirect listener."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.httputil import HTTPHeaders
from tornado.web import Application, OutputTransform, RequestHandler

HSTS = "max-age=31536000"
"""One year; no ``includeSubDomains``: the centre's other intranet hosts are not ours to pin."""


@dataclass(frozen=True, kw_only=True)
class TlsSettings:
    """``FQ_TLS_CERT`` / ``FQ_TLS_KEY`` (PEM files; both or neither) and ``FQ_HTTP_REDIRECT_PORT``."""

    cert: Path | None = None
    key: Path | None = None
    redirect_port: int | None = None
    """A plain-HTTP port that only answers with a redirect to HTTPS (``None``: no listener)."""
    ca: Path | None = None
    """``FQ_TLS_CA``: the CA certificate the redirect listener hands out at ``/ca.crt`` (only
    the public certificate; phones install it from there, checking its fingerprint)."""

    @property
    def enabled(self) -> bool:
        return self.cert is not None

    @classmethod
    def from_env(cls, e: Mapping[str, str]) -> TlsSettings:
        """Read and check ``e`` (console.settings passes the environment); a bad value raises
        ``ValueError`` naming the variable."""
        cert, key = e.get("FQ_TLS_CERT", "").strip(), e.get("FQ_TLS_KEY", "").strip()
        if bool(cert) != bool(key):
            raise ValueError("FQ_TLS_CERT 与 FQ_TLS_KEY 须同时设置（证书与私钥），或都不设置")
        for name, value in (("FQ_TLS_CERT", cert), ("FQ_TLS_KEY", key)):
            if value and not Path(value).is_file():
                raise ValueError(f"{name} 指向的文件不存在：{value}（可用 ./run cert 生成）")
        raw = e.get("FQ_HTTP_REDIRECT_PORT", "").strip()
        port: int | None = None
        if raw:
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise ValueError(f"FQ_HTTP_REDIRECT_PORT 须为 1-65535 的端口号，收到 {raw!r}")
            if not cert:
                raise ValueError("FQ_HTTP_REDIRECT_PORT 只在启用 HTTPS（FQ_TLS_CERT/FQ_TLS_KEY）时使用")
            port = int(raw)
        ca = e.get("FQ_TLS_CA", "").strip()
        if ca and not Path(ca).is_file():
            raise ValueError(f"FQ_TLS_CA 指向的文件不存在：{ca}")
        tls = cls(cert=Path(cert) if cert else None, key=Path(key) if key else None,
                  redirect_port=port, ca=Path(ca) if ca else None)
        if tls.enabled:
            tls.ssl_context()  # a key that does not match its certificate fails here, not later
        return tls

    def ssl_context(self) -> ssl.SSLContext:
        """The server side: TLS 1.2 or newer, the certificate chain and its key."""
        assert self.cert is not None and self.key is not None
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            ctx.load_cert_chain(str(self.cert), str(self.key))
        except (ssl.SSLError, OSError) as exc:
            raise ValueError(f"无法加载证书 {self.cert} 与私钥 {self.key}：{exc}") from exc
        return ctx


class HstsTransform(OutputTransform):
    """Every response of the HTTPS server tells the browser to stay on HTTPS."""

    def transform_first_chunk(self, status_code: int, headers: HTTPHeaders, chunk: bytes,
                              finishing: bool) -> tuple[int, HTTPHeaders, bytes]:
        headers["Strict-Transport-Security"] = HSTS
        return status_code, headers, chunk


class RedirectHandler(RequestHandler):
    """Any method, any path: 301 (308 for bodies) to the same path on the HTTPS port."""

    def initialize(self, https_port: int, ca: Path | None = None) -> None:
        self.https_port = https_port
        self.ca = ca

    def _go(self, *_args: Any) -> None:
        if self.ca is not None and self.request.path == "/ca.crt" and self.request.method == "GET":
            # the public CA certificate (DER, as phones expect), before the device trusts it
            from cryptography import x509
            from cryptography.hazmat.primitives.serialization import Encoding

            der = x509.load_pem_x509_certificate(self.ca.read_bytes()).public_bytes(Encoding.DER)
            self.set_header("Content-Type", "application/x-x509-ca-cert")
            self.set_header("Content-Disposition", 'attachment; filename="fengqiao-ca.crt"')
            self.finish(der)
            return
        host = (self.request.host or "localhost").strip()
        # the Host header may carry the plain port (and IPv6 brackets): keep only the name
        if host.startswith("["):
            name = host[: host.find("]") + 1]
        else:
            name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        port = "" if self.https_port == 443 else f":{self.https_port}"
        permanent = self.request.method in ("GET", "HEAD")
        self.set_header("Cache-Control", "no-store")
        self.redirect(f"https://{name}{port}{self.request.uri}", status=301 if permanent else 308)

    get = head = post = put = patch = delete = options = _go


def redirect_server(*, port: int, https_port: int, address: str = "0.0.0.0",
                    ca: Path | None = None) -> HTTPServer:
    """A plain-HTTP listener on ``port`` that only redirects to ``https_port`` (already
    listening), and hands out the CA certificate at ``/ca.crt`` when ``ca`` is given."""
    app = Application([(r"/.*", RedirectHandler, {"https_port": https_port, "ca": ca})])
    server = HTTPServer(app, xheaders=False)
    server.listen(port, address=address)
    return server


def serve_tls(server: Any, tls: TlsSettings, *, port: int, address: str) -> None:
    """On a Bokeh server built with :func:`server_kwargs`: add HSTS and the redirect listener."""
    server._tornado.add_transform(HstsTransform)
    if tls.redirect_port is not None:
        server.redirect_server = redirect_server(port=tls.redirect_port, https_port=port,
                                                 address=address, ca=tls.ca)


def server_kwargs(tls: TlsSettings | None) -> dict[str, Any]:
    """Tornado ``HTTPServer`` keyword arguments for TLS (none without it)."""
    return {"ssl_options": tls.ssl_context()} if tls is not None and tls.enabled else {}
