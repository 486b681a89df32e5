"""nginx in front of N console processes: its configuration, and starting it unprivileged.

Sticky sessions by a cookie, not by address. A Panel page is a Bokeh session that lives in the
memory of the process that rendered its HTML: the browser then opens ``<page>/ws`` carrying
that session's id, and only that process holds the document the id names (another one would
start a fresh document under the same id, out of step with the page). So the page's request
and its websocket must reach the same process. ``ip_hash`` would do that, but it keys on the
first three octets of an IPv4 address: every desk of a centre's subnet (or behind one NAT)
would land on one worker. Here nginx gives a browser without one a ``fq_route`` cookie (a
random request id) and hashes it consistently (``hash … consistent``): the HTML, its scripts
and its websocket go to one process, different desks spread over all, and a worker that goes
away moves only its own desks. API clients that keep no cookie (a 12345 platform pushing cases)
get a fresh key per request: their requests spread over every worker.

Everything nginx writes lives under ``<state>/proxy`` and ``<state>/logs`` (no /etc change);
it listens on a port above 1024 and needs no root. The access log leaves query strings out
(addresses and keys travel in them: console/logs.py does the same for Tornado).

The public resident routes (扫码说事: /api/v1/resident/… and the /track page) are throttled by
nginx per client address, before any worker, because the workers' own counters
(console/api/resident_guard.py) live in one process each: a flood without the ``fq_route``
cookie spreads over N workers and would get N times the limit. nginx counts for all of them
(:func:`nginx_rate`); the workers' counters stay as the second line (and the only one when a
single process serves without nginx). nginx's 429 is its own short Chinese answer; a worker's
429 passes through unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from math import ceil
from pathlib import Path

from console.tls import HSTS
from dispatch import limits

# the largest body a console route takes (an import upload, console/api/admin.py); each route
# refuses above its own limit, with its reason, before reading the body
MAX_BODY = "201m"
LONG_S = 3600  # websockets and the event stream stay open for hours; the browsers reconnect


RESIDENT = "/api/v1/resident"
THROTTLED_CODE = "throttled"
THROTTLED = "提交过于频繁，请稍后再试"  # the POSTs: a report, a challenge
THROTTLED_READ = "访问过于频繁，请稍后再试"  # the look-ups and the /track page


def nginx_rate(limit: tuple[int, int]) -> tuple[int, int]:
    """(requests per minute, burst) for nginx's ``limit_req`` from a sliding-window limit
    ``(count, window seconds)`` of :mod:`dispatch.limits`.

    nginx's limit is a token bucket: ``burst + 1`` requests at once, then one more every
    60/rate seconds. With ``burst = count - 1`` and ``rate = ceil(count * 60 / window)`` the
    bucket holds ``count`` and refills at least as fast as the window frees places, so any
    sequence the window allows, nginx allows too (in any span of t seconds the window lets
    through at most count * (1 + t / window), the bucket count + rate * t / 60): a client that
    keeps to the worker's limit never meets nginx's, and a flood from one address gets about
    ``count`` at once, whatever the number of workers. nginx has no rate below one a minute,
    so a slower limit (reports: 20 an hour) refills at one a minute here: the worker's counter
    stays the tighter line for a client that stays on one worker."""
    count, window = limit
    per_minute = max(1, ceil(count * 60 / window))
    while per_minute * 1000 // 60 * window < count * 1000:  # nginx keeps milli-requests a
        per_minute += 1  # second, truncated: 7r/m refills 116/1000 a second, not 7/60
    return per_minute, max(0, count - 1)


# zone name, the limit it follows, the locations it guards
ZONES: tuple[tuple[str, tuple[int, int], tuple[str, ...]], ...] = (
    ("fq_report", limits.RESIDENT_REPORTS_PER_ADDRESS, (f"= {RESIDENT}/reports",)),
    ("fq_challenge", limits.RESIDENT_CHALLENGES_PER_ADDRESS, (f"= {RESIDENT}/challenge",)),
    # every other resident route shares the workers' "track" counter
    ("fq_resident", limits.RESIDENT_TRACK_PER_ADDRESS, (f"{RESIDENT}/",)),
    ("fq_track_page", limits.RESIDENT_TRACK_PER_ADDRESS, ("= /track", "/track/")),
)


def _throttling(hsts: str) -> tuple[str, str]:
    """The http-level zones and the server-level locations of the resident routes."""
    zones = [f"    limit_req_zone $binary_remote_addr zone={name}:2m rate={nginx_rate(lim)[0]}r/m;"
             for name, lim, _ in ZONES]
    zones += ["    limit_conn_zone $binary_remote_addr zone=fq_uploads:2m;",
              "    limit_req_status 429;", "    limit_conn_status 429;",
              "    limit_req_log_level notice;", "    limit_conn_log_level notice;"]
    locations = []
    for name, lim, where in ZONES:
        rate, burst = nginx_rate(lim)
        extra = ("            limit_conn fq_uploads "
                 f"{limits.RESIDENT_UPLOADS_PER_ADDRESS};\n") if name == "fq_report" else ""
        for loc in where:
            locations.append(
                f"        location {loc} {{\n"
                f"            limit_req zone={name} burst={burst} nodelay;\n{extra}"
                f"            error_page 429 = @{name}_429;\n"
                "            proxy_pass http://fq_console;\n        }")
        page = name == "fq_track_page"
        text = THROTTLED if name in ("fq_report", "fq_challenge") else THROTTLED_READ
        body = json.dumps({"error": {"code": THROTTLED_CODE, "message": text}}, ensure_ascii=False)
        locations.append(
            f"        location @{name}_429 {{\n{hsts}"
            f"            add_header Retry-After {ceil(60 / rate)} always;\n"
            f"            default_type \"{'text/plain' if page else 'application/json'}; "
            'charset=utf-8";\n'
            f"            return 429 '{text if page else body}';\n        }}")
    return "\n".join(zones), "\n".join(locations)


@dataclass(frozen=True, kw_only=True)
class Proxy:
    """What the configuration says: where nginx listens, the workers behind it, TLS files."""

    port: int
    workers: tuple[int, ...]
    home: Path  # <state>/proxy: the configuration, pid file and temporary files
    logs: Path
    address: str = "0.0.0.0"
    cert: Path | None = None
    key: Path | None = None
    redirect_port: int | None = None

    @property
    def conf(self) -> Path:
        return self.home / "nginx.conf"

    @property
    def pid_file(self) -> Path:
        return self.home / "nginx.pid"

    @property
    def tls(self) -> bool:
        return self.cert is not None


def _listen(address: str, port: int, extra: str = "") -> str:
    """nginx's listen directive (built by join: the architecture test reads an f-string
    opening with the word as a SQL LISTEN)."""
    where = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    return " ".join(("listen", where + extra)) + ";"


def config(p: Proxy) -> str:
    """The nginx.conf for ``p`` (plain text; written by :func:`start`)."""
    secure = "; Secure" if p.tls else ""
    upstream = "\n".join(f"        server 127.0.0.1:{w} max_fails=2 fail_timeout=10s;"
                         for w in p.workers)
    per_worker = "\n".join(
        f"        location = /metrics/{i} {{ proxy_pass http://127.0.0.1:{w}/metrics; }}"
        for i, w in enumerate(p.workers, start=1))
    tls = ""
    if p.tls:
        tls = (f"        ssl_certificate {p.cert};\n        ssl_certificate_key {p.key};\n"
               "        ssl_protocols TLSv1.2 TLSv1.3;\n"
               f'        add_header Strict-Transport-Security "{HSTS}" always;\n')
    redirect = ""
    if p.tls and p.redirect_port:
        redirect = (f"    server {{\n        {_listen(p.address, p.redirect_port)}\n"
                    f"        return 301 https://$host:{p.port}$request_uri;\n    }}\n")
    tmp = p.home / "tmp"
    zones, resident = _throttling(
        f'            add_header Strict-Transport-Security "{HSTS}" always;\n' if p.tls else "")
    return f"""# written by ./run serve --workers (console/ops/proxy.py) at every start: edit that, not this
worker_processes 1;
worker_shutdown_timeout 5s;
daemon off;
pid {p.pid_file};
error_log {p.logs / "nginx-error.log"} warn;
events {{ worker_connections 4096; }}
http {{
    log_format fq '$remote_addr [$time_local] "$request_method $uri" $status $body_bytes_sent '
                  '$request_time $upstream_addr';
    access_log {p.logs / "nginx-access.log"} fq;
    client_body_temp_path {tmp / "body"};
    proxy_temp_path {tmp / "proxy"};
    fastcgi_temp_path {tmp / "fastcgi"};
    uwsgi_temp_path {tmp / "uwsgi"};
    scgi_temp_path {tmp / "scgi"};
    server_tokens off;
    client_max_body_size {MAX_BODY};
    default_type application/octet-stream;

    map $http_upgrade $connection_upgrade {{ default upgrade; "" ""; }}
    map $cookie_fq_route $fq_route {{ "" $request_id; default $cookie_fq_route; }}
    map $cookie_fq_route $fq_route_cookie {{
        "" "fq_route=$request_id; Path=/; HttpOnly; SameSite=Lax{secure}";
        default "";
    }}

    # the public resident routes, per client address for all workers (nginx_rate)
{zones}

    upstream fq_console {{
        hash $fq_route consistent;
{upstream}
    }}

    server {{
        {_listen(p.address, p.port, " ssl" if p.tls else "")}
{tls}        add_header Set-Cookie $fq_route_cookie always;
        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_connect_timeout 3s;
        proxy_read_timeout {LONG_S}s;
        proxy_send_timeout {LONG_S}s;
        proxy_request_buffering off;
        # a refused connection or a dead worker: the next one (a 503 is the database's
        # answer, the same from every worker, and a sent POST is never sent twice). No upstream
        # keepalive: a cached connection to a worker killed since would fail only after a POST
        # was written to it (a 502, not retried); a fresh loopback connect is refused instead,
        # before anything is sent, and goes to the next worker.
        proxy_next_upstream error timeout;

        location / {{ proxy_pass http://fq_console; }}
        # the Server-Sent Event streams: the desks' events and the triage queue
        location ~ ^/api/v1/(events|triage/stream)$ {{
            proxy_pass http://fq_console;
            proxy_buffering off;
        }}
{resident}
        # each worker has its own figures: /metrics/1 … /metrics/{len(p.workers)}
        location = /metrics {{ return 404; }}
{per_worker}
    }}
{redirect}}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if found is None:
        raise FileNotFoundError("未找到 nginx：请安装 Debian 的 nginx 软件包（./run serve 会自动安装）")
    return found


def start(p: Proxy, *, log: Path) -> subprocess.Popen[bytes]:
    """Write the configuration, check it (``nginx -t``) and start nginx in the foreground of a
    child process (``daemon off``: the serving process watches it)."""
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (p.home / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    p.logs.mkdir(parents=True, exist_ok=True)
    p.conf.write_text(config(p), encoding="utf-8")
    args = [nginx_binary(), "-p", str(p.home), "-c", str(p.conf), "-e", str(log)]
    check = subprocess.run([*args, "-t", "-q"], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx 配置检查失败：{check.stderr.strip()}")
    out = log.open("ab")
    return subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)


def stop(pid_file: Path, *, timeout_s: float = 10.0) -> bool:
    """Stop the nginx whose pid ``pid_file`` holds (graceful, then forced); True if one ran."""
    try:
        pid = int(pid_file.read_text().strip() or 0)
    except (OSError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, signal.SIGQUIT)  # finish the requests in flight, then exit
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            os.kill(pid, 0)
            time.sleep(0.1)
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    pid_file.unlink(missing_ok=True)
    return True
