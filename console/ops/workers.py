"""./run serve --workers N: N console processes on loopback ports behind nginx, watched.

Each worker is ``python -m console.ops.cli serve --port W --behind-proxy`` (its own pid file
``console-W.pid`` and log ``logs/console-W.log`` under the state dir, ``application_name``
``fq-console-W`` in PostgreSQL); nginx (console.ops.proxy) listens on the public port. This
process migrates the database once (N processes would race to), starts them, waits for each
one's ``/api/v1/health``, then watches: a worker that stops answering at all (refused or timed
out, not a 503, which is the database's answer and the same from every worker) is marked
``down`` in nginx until it answers again, beside nginx's own passive checks
(``max_fails``/``fail_timeout``). A dead worker is not restarted here (a service manager's
job: one unit per worker); the scheduler's advisory lock passes to a live one by itself.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from console.ops import proxy
from console.settings import ConsoleSettings, child_environment
from geo import db

BOOT_S = 600.0  # a city territory takes minutes to load its caches on a busy machine
WATCH_S = 2.0
# health checks a living worker may miss in a row before it leaves the proxy: a worker busy
# for seconds (a city wall's first page) is not a dead one, and each reload of nginx ends its
# old workers' connections (every desk's websocket) after worker_shutdown_timeout
MISSES = 3
TLS_VARS = ("FQ_TLS_CERT", "FQ_TLS_KEY", "FQ_TLS_CA", "FQ_HTTP_REDIRECT_PORT")


def say(msg: str) -> None:
    print(f"[run] {msg}", flush=True)


def pid_file(settings: ConsoleSettings, port: int) -> Path:
    return db.state_path(settings, f"console-{port}.pid")


def supervisor_pid_file(settings: ConsoleSettings) -> Path:
    return db.state_path(settings, "serve.pid")


def proxy_home(settings: ConsoleSettings) -> Path:
    return db.state_path(settings, "proxy", "nginx.conf").parent


def tls_files(settings: ConsoleSettings) -> tuple[Path, Path] | None:
    """FQ_TLS_CERT/KEY when set, else the project's own from ``./run cert`` when they exist."""
    if settings.tls.cert is not None and settings.tls.key is not None:
        return settings.tls.cert, settings.tls.key
    cert, key = settings.state_dir / "tls" / "server.crt", settings.state_dir / "tls" / "server.key"
    return (cert, key) if cert.is_file() and key.is_file() else None


def worker_env(settings: ConsoleSettings, port: int, public: int) -> dict[str, str]:
    """A worker's environment: plain HTTP on loopback (TLS ends at the proxy), the proxy's
    address among the origins browsers may use, its own name in pg_stat_activity."""
    hosts = [*settings.allowed_hosts, f"localhost:{public}", f"127.0.0.1:{public}",
             f"{socket.gethostname()}:{public}"]
    return child_environment(drop=TLS_VARS, add={
        "FQ_ALLOWED_HOSTS": ",".join(dict.fromkeys(hosts)), "PGAPPNAME": f"fq-console-{port}",
        "PORT": str(port)})


def answers(port: int, *, timeout_s: float = 5.0) -> bool | None:
    """True: the worker's health says ok; False: it answers, not ok (the database is down);
    None: it does not answer at all."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health",
                                    timeout=timeout_s) as resp:
            return bool(resp.status == 200)
    except urllib.error.HTTPError:
        return False
    except (OSError, ValueError):
        return None


class Workers:
    """The worker processes and nginx of one ``serve --workers`` run."""

    def __init__(self, settings: ConsoleSettings, *, count: int, port: int) -> None:
        self.settings = settings
        self.port = port
        self.ports = tuple(range(port + 1, port + 1 + count))
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.down: set[int] = set()
        self.exited: set[int] = set()  # workers whose exit was reported
        self.misses: dict[int, int] = {}  # health checks missed in a row, per worker
        self.nginx: subprocess.Popen[bytes] | None = None
        self.logs = settings.state_dir / "logs"
        files = tls_files(settings)
        self.proxy = proxy.Proxy(port=port, workers=self.ports, home=proxy_home(settings),
                                 logs=self.logs, cert=files[0] if files else None,
                                 key=files[1] if files else None,
                                 redirect_port=settings.tls.redirect_port)

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        for w in self.ports:
            log = (self.logs / f"console-{w}.log").open("ab")
            self.procs[w] = subprocess.Popen(
                [sys.executable, "-m", "console.ops.cli", "serve", "--port", str(w),
                 "--behind-proxy"], stdout=log, stderr=subprocess.STDOUT,
                env=worker_env(self.settings, w, self.port))
        deadline = time.monotonic() + BOOT_S
        waiting = set(self.ports)
        while waiting:
            for w in sorted(waiting):
                code = self.procs[w].poll()
                if code is not None:
                    raise RuntimeError(f"console worker on port {w} exited ({code}): "
                                       f"see {self.logs / f'console-{w}.log'}")
                if answers(w, timeout_s=2.0) is not None:
                    waiting.discard(w)
                    say(f"worker ready on 127.0.0.1:{w} (pid {self.procs[w].pid})")
            if waiting and time.monotonic() > deadline:
                raise RuntimeError(f"workers on ports {sorted(waiting)} did not answer in {BOOT_S:.0f} s")
            time.sleep(0.5)
        self.nginx = proxy.start(self.proxy, log=self.logs / "nginx-error.log")
        deadline = time.monotonic() + 30
        while not self._proxy_listens():
            if self.nginx.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start on port {self.port}: see "
                                   f"{self.logs / 'nginx-error.log'}")
            time.sleep(0.2)

    def _proxy_listens(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2):
                return True
        except OSError:
            return False

    def watch_once(self) -> str | None:
        """One look at everything; the reason to stop, or None to go on."""
        if self.nginx is not None and self.nginx.poll() is not None:
            return f"nginx exited ({self.nginx.returncode}): see {self.logs / 'nginx-error.log'}"
        for w, proc in self.procs.items():
            # reported once, whether or not the health check took it out of the proxy first
            # (it may die between this look and that check)
            if proc.poll() is not None and w not in self.exited:
                self.exited.add(w)
                say(f"worker on port {w} exited ({proc.returncode}); the others serve on")
        alive = [w for w, p in self.procs.items() if p.poll() is None]
        if not alive:
            return "every worker has exited"
        for w in alive:
            self.misses[w] = self.misses.get(w, 0) + 1 if answers(w) is None else 0
        down = {w for w in self.ports if w not in alive or self.misses.get(w, 0) >= MISSES}
        if down != self.down and down != set(self.ports):
            for w in down - self.down:
                say(f"worker on port {w} does not answer: taken out of the proxy")
            for w in self.down - down:
                say(f"worker on port {w} answers again: back in the proxy")
            self.down = down
            self._reload()
        return None

    def _reload(self) -> None:
        text = proxy.config(self.proxy)
        for w in self.down:
            text = text.replace(f"server 127.0.0.1:{w} max_fails", f"server 127.0.0.1:{w} down max_fails")
        self.proxy.conf.write_text(text, encoding="utf-8")
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGHUP)

    def stop(self) -> None:
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()  # the worker stops its scheduler and hubs, removes its pid file
        deadline = time.monotonic() + 15
        for proc in [*self.procs.values(), *([self.nginx] if self.nginx else [])]:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for w in self.ports:  # a worker killed (-9) could not remove its own
            pid_file(self.settings, w).unlink(missing_ok=True)


def serve_workers(settings: ConsoleSettings, args: argparse.Namespace) -> int:
    """Run until Ctrl-C or ``./run stop``; 1 when the proxy or every worker died."""
    port = args.port or settings.http_port
    db.ready_database(settings)  # migrated once, before the workers start
    workers = Workers(settings, count=args.workers, port=port)
    me = supervisor_pid_file(settings)

    def stop_on_term(_sig: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_term)
    reason: str | None = None
    try:
        me.write_text(str(os.getpid()))
        workers.start()
        scheme = "https" if workers.proxy.tls else "http"
        say(f"console ready: {scheme}://localhost:{port}/  ({len(workers.ports)} workers behind "
            f"nginx; logs in {workers.logs})")
        say("Ctrl-C stops them all; ./run stop also stops the database")
        while reason is None:
            time.sleep(WATCH_S)
            reason = workers.watch_once()
        say(f"stopping: {reason}")
    except KeyboardInterrupt:
        pass
    except (RuntimeError, FileNotFoundError) as exc:
        print(f"[run] error: {exc}", file=sys.stderr)
        reason = str(exc)
    finally:
        workers.stop()
        me.unlink(missing_ok=True)
    return 0 if reason is None else 1


def end(pid_file: Path, what: str) -> None:
    """SIGTERM to the pid in ``pid_file``, SIGKILL after 5 s; the file goes."""
    try:
        pid = int(pid_file.read_text().strip() or 0)
    except (OSError, ValueError):
        pid = 0
    if pid > 0:
        try:
            os.kill(pid, signal.SIGTERM)
            for _i in range(50):
                os.kill(pid, 0)
                time.sleep(0.1)
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        say(f"{what} stopped")
    pid_file.unlink(missing_ok=True)


def stop_all(settings: ConsoleSettings, pid_files: list[Path]) -> None:
    """./run stop: the ``serve --workers`` process (which stops its own), then any console
    left by its pid file (``pid_files``), then an nginx left by its pid file."""
    serving = supervisor_pid_file(settings)
    if serving.exists():
        end(serving, "serve --workers")
    for pid_file in pid_files:
        if pid_file.exists():
            end(pid_file, f"console ({pid_file.stem})")
    if proxy.stop(proxy_home(settings) / "nginx.pid"):
        say("nginx stopped")
