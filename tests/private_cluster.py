"""A PostgreSQL cluster of a test's own, in a temporary folder: tests may stop, kill and restart it.

The shared cluster (``DATABASE_URL``) serves other people's tests and must never be stopped."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from geo import db
from geo.cluster import LocalCluster, missing_packages
from geo.settings import Settings


@contextlib.contextmanager
def private_cluster(folder: Path) -> Iterator[tuple[LocalCluster, Settings]]:
    """A started cluster under ``folder`` (socket only, no TCP) and settings that point at it;
    destroyed afterwards."""
    if missing_packages():
        pytest.skip("PostgreSQL/PostGIS not installed")
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:  # the server runs as postgres, which must reach the folder
        os.chmod(folder, 0o755)
        os.chmod(folder.parent, 0o755)
    settings = dataclasses.replace(Settings.from_env({}), state_dir=folder, database_url=None)
    cluster = db.cluster_for(settings)
    assert cluster is not None
    cluster.start()
    try:
        yield cluster, settings
    finally:
        cluster.destroy()


HISTORY = ("incidents", "assignments", "incident_flow", "incident_closures", "followups",
           "case_extensions", "incident_timers", "mediation_steps", "mediation_sessions",
           "agreements", "audit_log")


def ground_only(territory: Any) -> Any:
    """The demo territory and its units without the year of case history: what a drill on a
    cluster of its own needs, loaded in seconds instead of minutes."""
    from geo.territory import Territory

    return Territory(frames={k: v for k, v in territory.frames.items() if k not in HISTORY},
                     name=territory.name, illustrative=territory.illustrative)
