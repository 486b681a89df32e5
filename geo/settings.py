"""Typed settings, read once from the environment and passed down."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Deployment settings; every field has a local default."""

    database_url: str | None
    """An external server's URL; ``None`` means the project's own local cluster."""
    state_dir: Path
    """Where the local cluster, generated data and logs live (git-ignored)."""
    pg_port: int
    """The local cluster's port number (its unix socket is ``.s.PGSQL.<port>``)."""
    pg_tcp: bool
    """Whether the local cluster also listens on 127.0.0.1."""
    db_name: str
    http_port: int
    territory_size: str
    seed: int
    allowed_hosts: tuple[str, ...]
    """Host[:port] values browsers may open the console's websocket from (Bokeh's check)."""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        return cls(
            database_url=e.get("DATABASE_URL") or None,
            state_dir=Path(e.get("FQ_STATE_DIR", str(PROJECT_ROOT / ".state"))),
            pg_port=int(e.get("FQ_PG_PORT", "5432")),
            pg_tcp=e.get("FQ_PG_TCP", "0") == "1",
            db_name=e.get("FQ_DB_NAME", "fengqiao"),
            http_port=int(e.get("PORT", e.get("FQ_PORT", "5006"))),
            territory_size=e.get("FQ_TERRITORY", "demo"),
            seed=int(e.get("FQ_SEED", "20261121")),
            allowed_hosts=tuple(h.strip() for h in e.get("FQ_ALLOWED_HOSTS", "").split(",")
                                if h.strip()),
        )
