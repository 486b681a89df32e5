"""The project's own PostgreSQL + PostGIS cluster: a folder, a unix socket, started on demand."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from geo.errors import DatabaseUnavailable

PG_VERSION = "15"
PG_BIN = Path(f"/usr/lib/postgresql/{PG_VERSION}/bin")
PG_SHARE = Path(f"/usr/share/postgresql/{PG_VERSION}")
SUPERUSER = "fq"
DEBIAN_PACKAGES = (f"postgresql-{PG_VERSION}", f"postgresql-{PG_VERSION}-postgis-3",
                   f"postgresql-{PG_VERSION}-pgrouting")


def missing_packages() -> list[str]:
    """Debian packages the local cluster needs that are not installed."""
    missing = []
    if not (PG_BIN / "pg_ctl").exists():
        missing.append(DEBIAN_PACKAGES[0])
    if not (PG_SHARE / "extension" / "postgis.control").exists():
        missing.append(DEBIAN_PACKAGES[1])
    if not (PG_SHARE / "extension" / "pgrouting.control").exists():
        missing.append(DEBIAN_PACKAGES[2])
    return missing


@dataclass(frozen=True, kw_only=True)
class LocalCluster:
    """A cluster whose data and socket live under ``state_dir/pg`` (or a root-only fallback).

    When the caller is root the server runs as the unprivileged ``postgres`` user, which
    PostgreSQL insists on; if that user cannot reach the project folder (a checkout under
    /root), the data go to /var/lib/fengqiao/<hash> and ``state_dir/pg`` links there.
    """

    state_dir: Path
    port: int = 5432
    tcp: bool = False

    @property
    def home(self) -> Path:
        return self.state_dir / "pg"

    @property
    def data_dir(self) -> Path:
        # resolved: the server may not be allowed to walk the path through the project
        return self.home.resolve() / "data"

    @property
    def socket_dir(self) -> Path:
        return self.home.resolve() / "run"

    @property
    def log_file(self) -> Path:
        return self.home.resolve() / "postgres.log"

    # -- who runs the server -------------------------------------------------------------
    @staticmethod
    def _as_root() -> bool:
        return os.geteuid() == 0

    def _run(self, args: list[str], *, check: bool = True, quiet: bool = False
             ) -> subprocess.CompletedProcess[str]:
        kwargs: dict = {"text": True, "capture_output": True}
        if self._as_root():
            kwargs["user"] = "postgres"
            kwargs["group"] = "postgres"
            kwargs["extra_groups"] = []
            kwargs["cwd"] = "/"
        proc = subprocess.run(args, check=False, **kwargs)
        if check and proc.returncode != 0:
            raise DatabaseUnavailable(
                f"{' '.join(args[:2])} failed ({proc.returncode}): "
                f"{(proc.stderr or proc.stdout).strip()[-800:]}"
            )
        return proc

    def as_server(self, args: list[str]) -> subprocess.CompletedProcess[str]:
        """Run ``args`` as the user that runs the server (``postgres`` when we are root)."""
        return self._run(args)

    def _postgres_can_reach(self, path: Path) -> bool:
        probe = subprocess.run(["test", "-x", str(path)], user="postgres", group="postgres",
                               extra_groups=[], cwd="/", check=False)
        return probe.returncode == 0

    def prepare_home(self) -> None:
        """Create the cluster folder, owned by the user that runs the server."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if self.home.exists():
            return
        if self._as_root() and not self._postgres_can_reach(self.state_dir):
            key = hashlib.sha1(str(self.state_dir.resolve()).encode()).hexdigest()[:16]
            real = Path("/var/lib/fengqiao") / key
            real.mkdir(parents=True, exist_ok=True)
            os.chmod(real.parent, 0o755)
            self.home.symlink_to(real)
        else:
            self.home.mkdir()
        if self._as_root():
            shutil.chown(self.home.resolve(), "postgres", "postgres")
            os.chmod(self.home.resolve(), 0o750)

    # -- life cycle ----------------------------------------------------------------------
    def initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def running(self) -> bool:
        if not self.initialised():
            return False
        proc = self._run([str(PG_BIN / "pg_ctl"), "status", "-D", str(self.data_dir)],
                         check=False)
        return proc.returncode == 0

    def init(self) -> None:
        missing = missing_packages()
        if missing:
            raise DatabaseUnavailable(
                "PostgreSQL/PostGIS is not installed; install the Debian packages: "
                + " ".join(missing) + f"  (apt-get install -y {' '.join(missing)})"
            )
        self.prepare_home()
        if self.initialised():
            return
        # C.UTF-8, not C: pg_trgm drops CJK characters under LC_CTYPE=C.
        self._run([str(PG_BIN / "initdb"), "-D", str(self.data_dir), "-U", SUPERUSER,
                   "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"])
        conf = self.data_dir / "postgresql.conf"
        extra = (
            "\n# fengqiao local cluster\n"
            f"listen_addresses = '{'127.0.0.1' if self.tcp else ''}'\n"
            f"port = {self.port}\n"
            f"unix_socket_directories = '{self.socket_dir}'\n"
            "shared_buffers = 256MB\n"
            "work_mem = 32MB\n"
            "maintenance_work_mem = 256MB\n"
            "max_connections = 100\n"
            "logging_collector = off\n"
            "timezone = 'Asia/Shanghai'\n"
        )
        self._run(["sh", "-c", f"cat >> '{conf}' <<'EOF'{extra}EOF"])
        self._run(["mkdir", "-p", str(self.socket_dir)])

    def start(self, *, timeout_s: int = 60) -> None:
        """Initialise if needed and start; a no-op when already running."""
        self.init()
        if self.running():
            return
        self._run([str(PG_BIN / "pg_ctl"), "start", "-D", str(self.data_dir), "-w",
                   "-t", str(timeout_s), "-l", str(self.log_file)])
        deadline = time.monotonic() + timeout_s
        while not (self.socket_dir / f".s.PGSQL.{self.port}").exists():
            if time.monotonic() > deadline:
                raise DatabaseUnavailable(f"PostgreSQL did not open its socket; see {self.log_file}")
            time.sleep(0.1)

    def stop(self) -> bool:
        """Stop the server if it runs; True when it was running."""
        if not self.running():
            return False
        self._run([str(PG_BIN / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast",
                   "-w", "-t", "60"])
        return True

    def destroy(self) -> None:
        """Stop the server and delete its data (the folder and any fallback it links to)."""
        self.stop()
        if self.home.is_symlink():
            shutil.rmtree(self.home.resolve(), ignore_errors=True)
            self.home.unlink()
        elif self.home.exists():
            shutil.rmtree(self.home, ignore_errors=True)

    def url(self, dbname: str) -> str:
        """SQLAlchemy URL over the unix socket."""
        return (f"postgresql+psycopg://{SUPERUSER}@/{dbname}"
                f"?host={self.socket_dir}&port={self.port}")
