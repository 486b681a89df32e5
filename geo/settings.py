"""The ground's settings (database, local cluster, state folder, territory), typed and frozen.

Only ``from_env`` here and in ``console/settings.py`` read the environment; the console's
settings (:class:`console.settings.ConsoleSettings`) extend these and are built once at start.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Deployment settings of the spatial ground; every field has a local default."""

    database_url: str | None
    """An external server's URL; ``None`` means the project's own local cluster."""
    state_dir: Path
    """Where the local cluster, generated data and logs live (git-ignored)."""
    pg_port: int
    """The local cluster's port number (its unix socket is ``.s.PGSQL.<port>``)."""
    pg_tcp: bool
    """Whether the local cluster also listens on 127.0.0.1."""
    db_name: str
    territory_size: str
    seed: int

    @staticmethod
    def ground_from(e: Mapping[str, str]) -> dict[str, Any]:
        """This class's fields as read from ``e`` (what a subclass's ``from_env`` starts from)."""
        return {"database_url": e.get("DATABASE_URL") or None,
                "state_dir": Path(e.get("FQ_STATE_DIR", str(PROJECT_ROOT / ".state"))),
                "pg_port": int(e.get("FQ_PG_PORT", "5432")),
                "pg_tcp": e.get("FQ_PG_TCP", "0") == "1",
                "db_name": e.get("FQ_DB_NAME", "fengqiao"),
                "territory_size": e.get("FQ_TERRITORY", "demo"),
                "seed": int(e.get("FQ_SEED", "20261121"))}

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        return Settings(**cls.ground_from(os.environ if env is None else env))
