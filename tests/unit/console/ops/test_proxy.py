"""console.ops.proxy: the nginx configuration in front of the workers, checked by nginx itself."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

from console.ops import proxy
from console.ops.certs import make_certificates
from dispatch import limits


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
    # a location with its own add_header inherits none: nginx's 429 repeats HSTS
    assert "Strict-Transport-Security" in conf.split("location @fq_report_429 {")[1].split("}")[0]
    result = _nginx_accepts(p)
    assert result.returncode == 0, result.stderr


def _nginx_allows(times_ms: list[int], per_minute: int, burst: int) -> list[bool]:
    """ngx_http_limit_req_module's arithmetic (limit_req_lookup, ``nodelay``): the excess in
    milli-requests leaks at ``rate`` (per_minute * 1000 / 60, truncated) and a request that
    would take it above ``burst * 1000`` is refused (and not counted)."""
    rate = per_minute * 1000 // 60
    excess, last, out = 0, None, []
    for now in times_ms:
        e = 0 if last is None else excess - rate * (now - last) // 1000 + 1000
        e = max(e, 0)
        if e > burst * 1000:
            out.append(False)
            continue
        excess, last = e, now
        out.append(True)
    return out


def test_nginx_rate_never_refuses_what_the_workers_window_allows_and_caps_a_flood() -> None:
    from console.api.resident_guard import Windows

    rng = random.Random(17)
    for limit in (limits.RESIDENT_REPORTS_PER_ADDRESS, limits.RESIDENT_CHALLENGES_PER_ADDRESS,
                  limits.RESIDENT_TRACK_PER_ADDRESS, (7, 60), (3, 86400), (100, 1)):
        per_minute, burst = proxy.nginx_rate(limit)
        count, window = limit
        assert burst + 1 == count and per_minute * 1000 // 60 * window >= count * 1000
        for _ in range(30):  # bursts and pauses over three windows
            t, allowed, w = 0, [], Windows()
            while t < 3 * window * 1000:
                t += rng.choice((1, 7, 250, window * 1000 // count, window * 1000 // 3))
                for _ in range(rng.choice((1, 1, count))):  # one, or a flood at once
                    if w.hit("a", limit, now=t / 1000) == 0:
                        allowed.append(t)
            assert all(_nginx_allows(allowed, per_minute, burst)), (limit, allowed)
        # a flood at one instant: the window's count passes, the next is refused
        assert _nginx_allows([5] * (count + 1), per_minute, burst) == [True] * count + [False]


def test_the_public_resident_routes_are_throttled_by_address_the_rest_not(tmp_path: Path) -> None:
    conf = proxy.config(_proxy(tmp_path))
    for name, limit, where in proxy.ZONES:
        per_minute, burst = proxy.nginx_rate(limit)
        assert (f"limit_req_zone $binary_remote_addr zone={name}:2m rate={per_minute}r/m;"
                in conf)
        for loc in where:
            block = conf.split(f"location {loc} {{")[1].split("}")[0]
            assert f"limit_req zone={name} burst={burst} nodelay;" in block
            assert f"error_page 429 = @{name}_429;" in block and "proxy_pass" in block
        answer = conf.split(f"location @{name}_429 {{")[1].split("}\n")[0]
        assert "return 429 '" in answer and "Retry-After" in answer
    assert "limit_req_status 429;" in conf and "limit_conn fq_uploads" in conf
    report = conf.split("location @fq_report_429 {")[1].split("\n        }")[0]
    body = json.loads(report.split("return 429 '")[1].rsplit("'", 1)[0])
    assert body == {"error": {"code": "throttled", "message": "提交过于频繁，请稍后再试"}}
    assert "application/json; charset=utf-8" in report
    # the desks, their websockets, the event stream and the staff API: no limit
    for loc in ("location / {", "location ~ ^/api/v1/(events|triage/stream)$ {"):
        assert "limit_" not in conf.split(loc)[1].split("}")[0]
    assert conf.count("limit_req zone=") == sum(len(w) for _, _, w in proxy.ZONES)
