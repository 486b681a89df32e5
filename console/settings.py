"""The console's settings: every environment variable it reads, once, at start, then passed down.

``./run`` verbs build one :class:`ConsoleSettings` in ``console.ops.cli.main`` (the server in
``bootstrap``); nothing else in geo/, layers/, dispatch/ or console/ reads ``os.environ``
(tests/unit/test_settings_once.py checks). :data:`VARIABLES` is the README's configuration table.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import make_url

from console.tls import TlsSettings
from dispatch.adapters.senders import Channels
from geo.settings import Settings
from layers.tiles import TileSettings

VARIABLES: dict[str, str] = {
    "DATABASE_URL": "an external PostgreSQL + PostGIS server (unset: the project's own local cluster)",
    "FQ_READ_DATABASE_URL": "a streaming replica for the wall, map layers, analyses and exports "
                            "(./run replica prints it; unset: every read goes to DATABASE_URL)",
    "FQ_STATE_DIR": "the local cluster, generated data, logs, TLS files, backups (default .state/)",
    "FQ_PG_PORT": "the local cluster's port (default 5432; a unix socket in the state folder)",
    "FQ_PG_TCP": "1: the local cluster also listens on 127.0.0.1",
    "FQ_DB_NAME": "the database's name (default fengqiao)",
    "FQ_TERRITORY": "the generated territory: demo (default) or city",
    "FQ_SEED": "the generated territory's seed (default 20261121)",
    "PORT": "the console's HTTP(S) port (default 5006; FQ_PORT is read when PORT is unset)",
    "FQ_PORT": "see PORT",
    "FQ_ALLOWED_HOSTS": "more host:port values browsers may reach the console by, comma-separated",
    "FQ_FILES_DIR": "files kept outside the database, backed up with it (default <state>/attachments)",
    "FQ_TLS_CERT": "the server certificate (PEM): with FQ_TLS_KEY, serve HTTPS",
    "FQ_TLS_KEY": "the certificate's private key (PEM)",
    "FQ_TLS_CA": "the CA certificate handed out at /ca.crt by the redirect listener",
    "FQ_HTTP_REDIRECT_PORT": "a plain-HTTP port that only redirects to HTTPS",
    "FQ_TILE_URL": "an intranet XYZ tile template ({z}/{x}/{y}); unset: our own roads and blocks",
    "FQ_TILE_CRS": "the tiles' coordinates: wgs84 (default) or gcj02",
    "FQ_TILE_DIR": "a folder of {z}/{x}/{y}.png tiles the console serves itself",
    "FQ_TRUSTED_PROXIES": "addresses of reverse proxies whose X-Forwarded-For names the client "
                          "(comma-separated; unset: the connection's own address counts)",
    "FQ_SIM_USER": "./run simulate's account (default the demo's duty)",
    "FQ_SIM_PASSWORD": "that account's password",
    "FQ_SMS_URL": "the intranet SMS gateway's URL (JSON POST); unset: no SMS is attempted",
    "FQ_SMS_KEY": "the gateway's application key (X-App-Key, and the key of X-Signature)",
    "FQ_SMS_SIGN": "the SMS signature name (default 枫桥调处)",
    "FQ_SMTP_HOST": "the SMTP server for e-mail notices; unset: no e-mail is attempted",
    "FQ_SMTP_PORT": "its port (default 25, 465 with ssl)",
    "FQ_SMTP_TLS": "none (default), starttls or ssl",
    "FQ_SMTP_USER": "the SMTP login, if the server wants one",
    "FQ_SMTP_PASSWORD": "its password",
    "FQ_SMTP_FROM": "the sender address (default fengqiao@localhost)",
}
"""Every variable the console reads, with what it sets (English: the README translates)."""
SECRET = frozenset({"FQ_SIM_PASSWORD", "FQ_SMS_KEY", "FQ_SMTP_PASSWORD"})


@dataclass(frozen=True, kw_only=True)
class ConsoleSettings(Settings):
    """The ground's settings plus the console's own; built once, passed to every verb and page."""

    http_port: int = 5006
    allowed_hosts: tuple[str, ...] = ()
    """Host[:port] values browsers may open the console's websocket from (Bokeh's check)."""
    files_dir: Path | None = None
    """``FQ_FILES_DIR``; ``None`` is ``<state_dir>/attachments`` (:attr:`files`)."""
    tiles: TileSettings = field(default_factory=TileSettings)
    tls: TlsSettings = field(default_factory=TlsSettings)
    trusted_proxies: tuple[str, ...] = ()
    """``FQ_TRUSTED_PROXIES``: only these peers' ``X-Forwarded-For`` is believed (the resident
    page's per-address limits)."""
    sim_user: str = "duty"
    sim_password: str = field(default="demo12345", repr=False)
    read_database_url: str | None = None
    """``FQ_READ_DATABASE_URL``: a hot standby for read-heavy work (``console.read_side``)."""
    notify: Channels = field(default_factory=Channels)
    """The outbox's SMS gateway and SMTP server (``FQ_SMS_*``, ``FQ_SMTP_*``; unset: off)."""
    recorded: tuple[tuple[str, str], ...] = ()
    """The variables that were set, as a backup's manifest records them (secrets left out)."""

    @property
    def files(self) -> Path:
        return self.files_dir or self.state_dir / "attachments"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ConsoleSettings:
        """Read and check the environment; a bad value raises ``ValueError`` naming the variable."""
        e = os.environ if env is None else env
        files = (e.get("FQ_FILES_DIR") or "").strip()
        return cls(**cls.ground_from(e),
                   http_port=int(e.get("PORT", e.get("FQ_PORT", "5006"))),
                   allowed_hosts=tuple(h.strip() for h in e.get("FQ_ALLOWED_HOSTS", "").split(",")
                                       if h.strip()),
                   files_dir=Path(files) if files else None,
                   tiles=TileSettings.from_env(e), tls=TlsSettings.from_env(e),
                   trusted_proxies=tuple(h.strip() for h in
                                         e.get("FQ_TRUSTED_PROXIES", "").split(",") if h.strip()),
                   sim_user=e.get("FQ_SIM_USER", "duty"),
                   sim_password=e.get("FQ_SIM_PASSWORD", "demo12345"),
                   read_database_url=e.get("FQ_READ_DATABASE_URL") or None,
                   notify=Channels.from_env(e), recorded=_recorded(e))

    @classmethod
    def extend(cls, ground: Settings) -> ConsoleSettings:
        """``ground`` with the console's defaults (benchmarks and tests that build only a Settings)."""
        if isinstance(ground, ConsoleSettings):
            return ground
        return cls(**{f.name: getattr(ground, f.name) for f in dataclasses.fields(Settings)})


def child_environment(*, add: Mapping[str, str], drop: tuple[str, ...] = ()) -> dict[str, str]:
    """The environment for a process ./run starts (``serve --workers``' workers): this one's,
    without ``drop``, with ``add``."""
    return {**{k: v for k, v in os.environ.items() if k not in drop}, **add}


def _recorded(e: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    urls = ("DATABASE_URL", "FQ_READ_DATABASE_URL")  # recorded without their passwords
    out = [(k, e[k]) for k in sorted(VARIABLES) if k in e and k not in SECRET and k not in urls]
    for k in urls:
        if e.get(k):
            out.append((k, make_url(e[k]).render_as_string(hide_password=True)))
    return tuple(sorted(out))
