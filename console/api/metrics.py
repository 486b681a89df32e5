"""GET /metrics: this process's figures in the Prometheus text format, for loopback or an admin.

Who may read: a caller on this machine (the client address, as the proxy passes it, is a
loopback one: a Prometheus beside the console scraping each worker's own port), or anyone with
the ``admin`` action (an administrator's bearer token, or an API key allowed it) — a remote
Prometheus through the proxy's ``/metrics/<worker>``. Everyone else: 401/403 as for the API.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any, ClassVar

from console import metrics
from console.api.router import ApiHandler
from console.bootstrap import App
from dispatch.views_ops import ops_figures


def loopback(ip: str | None) -> bool:
    try:
        return ipaddress.ip_address((ip or "").split("%")[0]).is_loopback
    except ValueError:
        return False


class MetricsHandler(ApiHandler):
    actions: ClassVar[dict[str, str]] = {"GET": "admin"}

    async def prepare(self) -> None:
        if loopback(self.request.remote_ip):
            return  # this machine: no credentials needed
        await super().prepare()

    async def get(self) -> None:
        engine = self.app.engine

        def scrape() -> tuple[bytes, str]:
            try:
                with engine.connect() as conn:
                    figures = ops_figures(conn)
            except Exception:  # the database is down: the process's own figures still go out
                figures = None
            nan = float("nan")  # not known this time: never the last scrape's figure
            metrics.CLOCK_OVERDUE.set(nan if figures is None else figures.clocks_overdue)
            metrics.CLOCK_OVERDUE_SECONDS.set(nan if figures is None else figures.oldest_overdue_s)
            metrics.NOTIFY_QUEUE_USAGE.set(nan if figures is None else figures.notify_queue_usage)
            return metrics.exposition()

        body, content_type = await asyncio.to_thread(scrape)
        self.set_header("Content-Type", content_type)
        self.set_header("Cache-Control", "no-store")
        self.finish(body)


def metrics_routes(app: App) -> list[tuple[str, type, dict[str, Any]]]:
    return [(r"/metrics", MetricsHandler, {"app": app})]
