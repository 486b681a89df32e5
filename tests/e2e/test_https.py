"""HTTPS at an intranet address: a phone shares its position over TLS; over plain HTTP it cannot.

The console listens on 127.0.0.2 (a loopback address that is not ``localhost``). Chromium runs
with its own NSS database trusting the test CA, so the certificate is really validated (chain
and name); ``fengqiao.test`` is mapped to 127.0.0.2 inside the browser only
(``--host-resolver-rules``): Chromium counts every 127.x address as a secure origin even over
HTTP, so the intranet name is what reproduces a phone at ``http://10.x.x.x``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import http.client
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from sqlalchemy import text

from console.ops.certs import make_certificates
from console.tls import HSTS, TlsSettings
from tests.conftest import TOKENS, demo_copy, free_port
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.e2e
ADDR = "127.0.0.2"
NAME = "fengqiao.test"


@contextlib.contextmanager
def console_at(settings: Any, url: str, *, tls: TlsSettings | None, port: int) -> Iterator[Any]:
    """The real console on ADDR:port (HTTPS when ``tls``), in a thread of its own."""
    from console.bootstrap import bootstrap
    from console.server import make_server

    settings = dataclasses.replace(settings, allowed_hosts=(f"{ADDR}:{port}", f"{NAME}:{port}"))
    app = bootstrap(settings, url=url)
    holder: dict[str, Any] = {}
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(asyncio.new_event_loop())
        server = make_server(app, port=port, address=ADDR, tls=tls)
        holder["server"] = server
        server.start()
        ready.set()
        server.io_loop.start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(60)
    try:
        yield app
    finally:
        server = holder["server"]
        server.io_loop.add_callback(server.io_loop.stop)
        thread.join(timeout=10)
        app.engine.dispose()


def _get(conn: http.client.HTTPConnection, path: str, method: str = "GET", body: str | None = None,
         headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    deadline = time.monotonic() + 60
    while True:
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            resp.read()
            return resp
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            conn.close()
            time.sleep(0.2)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    """The test CA and server certificate, and a browser home whose NSS db trusts the CA."""
    if shutil.which("certutil") is None:
        pytest.skip("certutil not found: install Debian's libnss3-tools")
    root = tmp_path_factory.mktemp("tls")
    files, _ = make_certificates(root / "certs", [NAME, ADDR])
    nssdb = root / "home" / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "fengqiao-test-ca",
                    "-i", str(files.ca_cert)], check=True)
    return files, root / "home"


@pytest.fixture(scope="module")
def consoles(settings, base_db, demo_territory, pki) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """One database; the console over HTTPS (with its redirect listener) and over plain HTTP."""
    files, _ = pki
    tls_port, redirect_port, plain_port = free_port(), free_port(), free_port()
    tls = TlsSettings(cert=files.cert, key=files.key, redirect_port=redirect_port,
                      ca=files.ca_cert)
    with demo_copy(settings, base_db, demo_territory, tag="tls") as (url, engine), \
            console_at(settings, url, tls=tls, port=tls_port), \
            console_at(settings, url, tls=None, port=plain_port):
        yield {"engine": engine, "tls": tls_port, "redirect": redirect_port, "plain": plain_port}


def _trusting(files: Any) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(files.ca_cert))


def test_tls_is_validated_and_the_plain_port_only_redirects(consoles, pki):
    files, _ = pki
    port = consoles["tls"]
    conn = http.client.HTTPSConnection(ADDR, port, context=_trusting(files), timeout=30)
    resp = _get(conn, "/api/v1/health")
    assert resp.status == 200 and resp.getheader("Strict-Transport-Security") == HSTS
    assert _get(conn, "/login").getheader("Strict-Transport-Security") == HSTS
    # the chain and the name are checked: a client without the CA, or at a name the
    # certificate does not carry, is refused
    with pytest.raises(ssl.SSLCertVerificationError):
        _get(http.client.HTTPSConnection(ADDR, port, context=ssl.create_default_context(),
                                         timeout=30), "/api/v1/health")
    wrong = _trusting(files)
    with pytest.raises(ssl.SSLCertVerificationError), wrong.wrap_socket(
            socket.create_connection((ADDR, port), timeout=30), server_hostname="127.0.0.3"):
        pass
    # logging in over HTTPS gives a Secure cookie; over plain HTTP (the other console) not
    form = "username=duty&password=demo12345&next=%2Ffield"
    hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
    resp = _get(conn, "/login", "POST", form, hdrs)
    cookie = resp.getheader("Set-Cookie") or ""
    assert resp.status == 302 and "fq_session=" in cookie and "Secure" in cookie, cookie
    plain = http.client.HTTPConnection(ADDR, consoles["plain"], timeout=30)
    resp = _get(plain, "/login", "POST", form, hdrs)
    assert resp.status == 302 and "Secure" not in (resp.getheader("Set-Cookie") or "")
    assert resp.getheader("Strict-Transport-Security") is None
    # the redirect listener: every path goes to the same path over HTTPS, bodies keep their method
    red = http.client.HTTPConnection(ADDR, consoles["redirect"], timeout=30)
    resp = _get(red, "/field?unit=3", headers={"Host": f"{NAME}:{consoles['redirect']}"})
    assert resp.status == 301
    assert resp.getheader("Location") == f"https://{NAME}:{port}/field?unit=3"
    resp = _get(red, "/api/v1/incidents", "POST", "{}")
    assert resp.status == 308 and resp.getheader("Location") == f"https://{ADDR}:{port}/api/v1/incidents"
    # the one thing it serves: the public CA certificate, for phones to install
    red.request("GET", "/ca.crt")
    resp = red.getresponse()
    der = resp.read()
    assert resp.status == 200 and resp.getheader("Content-Type") == "application/x-x509-ca-cert"
    assert x509.load_der_x509_certificate(der) == x509.load_pem_x509_certificate(
        files.ca_cert.read_bytes())


@pytest.fixture(scope="module")
def browsers(pki, tmp_path_factory, playwright) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """Two Chromiums: one whose home's NSS database trusts the test CA, one with an empty home
    (launched from the run's one Playwright driver, tests/e2e/conftest.py)."""
    _, home = pki
    args = [*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {NAME} {ADDR}"]
    pw = playwright
    out = {"trusting": pw.chromium.launch(executable_path=str(CHROMIUM), args=args,
                                          env={"HOME": str(home)}),
           "untrusting": pw.chromium.launch(executable_path=str(CHROMIUM), args=args, env={
               "HOME": str(tmp_path_factory.mktemp("empty-home"))})}
    try:
        yield out
    finally:
        for b in out.values():
            b.close()


def _unit_and_point(engine: Any) -> tuple[int, float, float]:
    with engine.connect() as conn:
        unit = conn.scalar(text("SELECT id FROM units WHERE unit_type = 'grid_worker' ORDER BY id "
                                "LIMIT 1"))
        lon, lat = conn.execute(text(
            "SELECT ST_X(u.geom), ST_Y(u.geom) FROM (SELECT ST_PointOnSurface(geom) AS geom "
            "FROM grids g JOIN units n ON n.home_grid_id = g.id WHERE n.id = :u) u"),
            {"u": unit}).one()
    return int(unit), float(lon), float(lat)


def _position(engine: Any, unit: int) -> tuple[float | None, float | None]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT ST_X(last_geom), ST_Y(last_geom) FROM units WHERE id = :u"),
                           {"u": unit}).one()
    return row[0], row[1]


def _field_page(browser: Any, origin: str, host: str, unit: int, lon: float, lat: float,
                *, secure: bool) -> tuple[Any, Any]:
    ctx = browser.new_context(viewport={"width": 375, "height": 667},
                              geolocation={"longitude": lon, "latitude": lat},
                              permissions=["geolocation"])
    ctx.add_cookies([{"name": "fq_session", "value": TOKENS["duty"], "domain": host, "path": "/",
                      "httpOnly": True, "secure": secure, "sameSite": "Strict"}])
    page = ctx.new_page()
    page.goto(f"{origin}/field?unit={unit}", wait_until="domcontentloaded")
    page.get_by_role("button", name="上报位置").wait_for(timeout=60_000)
    return ctx, page


@pytest.mark.parametrize("host", [ADDR, NAME])
def test_a_phone_shares_its_position_over_https(consoles, browsers, artifacts, host):
    engine = consoles["engine"]
    unit, lon, lat = _unit_and_point(engine)
    lon += 0.0001 if host == NAME else 0.0  # a different fix each run, so each one is seen arriving
    assert _position(engine, unit) != pytest.approx((lon, lat))
    ctx, page = _field_page(browsers["trusting"], f"https://{host}:{consoles['tls']}", host, unit,
                            lon, lat, secure=True)
    assert page.evaluate("window.isSecureContext") is True
    page.get_by_role("button", name="上报位置").click()
    page.locator(".fd-msg", has_text="位置已上报").wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts / f"field-https-{host}.png"))
    ctx.close()
    assert _position(engine, unit) == pytest.approx((lon, lat), abs=1e-7)


def test_over_plain_http_at_an_intranet_name_the_browser_refuses_the_position(
        consoles, browsers):
    engine = consoles["engine"]
    unit, lon, lat = _unit_and_point(engine)
    lon, lat = lon - 0.0002, lat + 0.0002
    before = _position(engine, unit)
    ctx, page = _field_page(browsers["trusting"], f"http://{NAME}:{consoles['plain']}", NAME, unit,
                            lon, lat, secure=False)
    assert page.evaluate("window.isSecureContext") is False
    page.get_by_role("button", name="上报位置").click()
    msg = page.locator(".fd-msg", has_text="定位失败")
    msg.wait_for(timeout=30_000)
    assert "只向 HTTPS 页面提供位置" in msg.inner_text()  # the reason, in Chinese
    ctx.close()
    assert _position(engine, unit) == before  # nothing reached the unit
    # and a browser that does not trust the test CA refuses the HTTPS page outright
    page = browsers["untrusting"].new_page()
    with pytest.raises(Exception, match="ERR_CERT_AUTHORITY_INVALID"):
        page.goto(f"https://{ADDR}:{consoles['tls']}/login")
    page.close()
