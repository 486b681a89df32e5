"""The read side's state for administrators: ``GET /api/v1/admin/replica`` (/admin shows it)."""

from __future__ import annotations

import asyncio
from typing import Any

from console.api.router import ApiHandler
from console.bootstrap import App
from console.read_side import ReadSide


def read_status(app: App) -> dict[str, Any]:
    """Where read-heavy work reads now and the replica's lag (measured, at most a second old)."""
    reads = app.reads or ReadSide(app.engine, None)
    return reads.status().as_dict()


class ReplicaHandler(ApiHandler):
    """Configured or not, where reads go, the lag in seconds and WAL bytes, and why (Chinese)."""

    async def get(self) -> None:
        self.send_json(await asyncio.to_thread(read_status, self.app))


def read_status_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    return [(r"/api/v1/admin/replica", ReplicaHandler, {"app": app})]
