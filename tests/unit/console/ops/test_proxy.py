"""console.ops.proxy: the nginx configuration in front of the workers, checked by nginx itself."""

from __future__ import annotations

import subprocess
from pathlib import Path

from console.ops import proxy
from console.ops.certs import make_certificates


def _proxy(tmp_path: Path, **kw: object) -> proxy.Proxy:
    return proxy.Proxy(port=18080, workers=(18081, 18082, 18083), home=tmp_path / "proxy",
                       logs=tmp_path / "logs", **kw)  # type: ignore[arg-type]


def _nginx_accepts(p: proxy.Proxy) -> subprocess.CompletedProcess[str]:
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (p.home / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    p.logs.mkdir(parents=True, exist_ok=True)
    p.conf.write_text(proxy.config(p))
    return subprocess.run([proxy.nginx_binary(), "-p", str(p.home), "-c", str(p.conf), "-e",
                           str(p.logs / "e.log"), "-t", "-q"], capture_output=True, text=True)


def test_sticky_by_cookie_websockets_and_client_address_from_the_proxy(tmp_path: Path) -> None:
    p = _proxy(tmp_path)
    conf = proxy.config(p)
    assert "hash $fq_route consistent;" in conf and "ip_hash" not in conf
    for w in p.workers:
        assert f"server 127.0.0.1:{w} max_fails=2 fail_timeout=10s;" in conf
    assert "proxy_set_header Upgrade $http_upgrade;" in conf
    assert "proxy_set_header Connection $connection_upgrade;" in conf
    assert "proxy_set_header X-Real-IP $remote_addr;" in conf
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    assert f"proxy_read_timeout {proxy.LONG_S}s;" in conf
    assert "location = /metrics/3 { proxy_pass http://127.0.0.1:18083/metrics; }" in conf
    assert "$request_uri" not in conf.split("log_format")[1].split(";")[0]  # no query strings
    assert "ssl" not in conf.split("server {")[1].split("\n")[1]
    assert str(tmp_path) in conf.split("pid ")[1].split(";")[0]  # nothing under /etc or /var
    result = _nginx_accepts(p)
    assert result.returncode == 0, result.stderr


def test_tls_at_the_proxy_with_the_projects_certificates(tmp_path: Path) -> None:
    files, _ = make_certificates(tmp_path / "tls", ["localhost", "127.0.0.1"])
    p = _proxy(tmp_path, cert=files.cert, key=files.key, redirect_port=18079)
    conf = proxy.config(p)
    assert "listen 0.0.0.0:18080 ssl;" in conf and f"ssl_certificate {files.cert};" in conf
    assert "Strict-Transport-Security" in conf and "Secure" in conf
    assert "return 301 https://$host:18080$request_uri;" in conf
    result = _nginx_accepts(p)
    assert result.returncode == 0, result.stderr
