"""The process's Prometheus metrics: the families the rooms record into, and gauges read at scrape.

One registry per process (prometheus-client's default, which also carries ``process_*``: memory,
CPU, open files). Each console process serves its own figures at ``/metrics``
(console/api/metrics.py); with ``./run serve --workers N`` Prometheus scrapes every worker as
its own target (prometheus-client's multiprocess mode is not used: it cannot carry the gauges
read at scrape time below, and a dead worker's files would have to be swept by hand).

A room adds a figure read at scrape time by name, e.g. a replica's lag::

    from console import metrics
    metrics.gauge("fq_replica_lag_seconds", "Seconds the read replica is behind", read_lag)

``read`` runs on a worker thread during the scrape (it may ask the database, briefly); it returns
a number, or ``{(label values, …): number}`` when ``labels`` are given. A read that raises is
left out of that scrape (and logged), never a 500.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
REQUEST_SECONDS = Histogram(
    "fq_http_request_duration_seconds",
    "HTTP request time in this console process, by route template, method and status class",
    ["route", "method", "status"], buckets=LATENCY_BUCKETS)
HUB_LAG_SECONDS = Histogram(
    "fq_desk_hub_lag_seconds",
    "From the first NOTIFY heard to the desk hub's snapshot handed to every open desk",
    buckets=LATENCY_BUCKETS)
HUB_PATCH_ROWS = Histogram(
    "fq_desk_hub_patch_rows", "Cases and units re-read by one desk-hub patch",
    buckets=(1, 2, 5, 10, 25, 50, 100, 250, 1000))
LIVE_MESSAGE_BYTES = Histogram(
    "fq_live_message_bytes", "Size of one message (row diff, map upsert) sent to a browser component",
    buckets=(256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304))
CLOCK_OVERDUE = Gauge(
    "fq_clock_overdue", "Clock stages due and not yet fired (read at scrape)")
CLOCK_OVERDUE_SECONDS = Gauge(
    "fq_clock_overdue_seconds",
    "Age of the oldest clock stage due and not yet fired: the scheduler's lag (read at scrape)")
NOTIFY_QUEUE_USAGE = Gauge(
    "fq_notify_queue_usage_ratio",
    "pg_notification_queue_usage(): share of PostgreSQL's NOTIFY queue not yet read by a listener")

Read = Callable[[], float | Mapping[tuple[str, ...], float]]


class _ReadGauges(Collector):
    """Gauges whose value is read when Prometheus scrapes, registered by name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reads: dict[str, tuple[str, tuple[str, ...], Read]] = {}

    def put(self, name: str, doc: str, read: Read, labels: tuple[str, ...]) -> None:
        with self._lock:
            self._reads[name] = (doc, labels, read)

    def drop(self, name: str) -> None:
        with self._lock:
            self._reads.pop(name, None)

    def describe(self) -> Iterator[Metric]:
        return iter(())  # names are checked by us (put), not by the registry at register time

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            reads = sorted(self._reads.items())
        for name, (doc, labels, read) in reads:
            try:
                value = read()
            except Exception as exc:  # one figure missing, never a failed scrape
                log.warning("metric %s: %s", name, exc)
                continue
            family = GaugeMetricFamily(name, doc, labels=list(labels))
            if labels:
                assert isinstance(value, Mapping)
                for key, v in value.items():
                    family.add_metric(list(key), float(v))
            else:
                family.add_metric([], float(value))  # type: ignore[arg-type]
            yield family


_GAUGES = _ReadGauges()
REGISTRY.register(_GAUGES)
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def gauge(name: str, doc: str, read: Read, *, labels: tuple[str, ...] = ()) -> None:
    """Register (or replace: a test's second server) the gauge ``name`` read at scrape time."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a Prometheus metric name: {name!r}")
    _GAUGES.put(name, doc, read, labels)


def drop_gauge(name: str) -> None:
    _GAUGES.drop(name)


def exposition() -> tuple[bytes, str]:
    """Every family of this process in the text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


# --- request latency by route template -------------------------------------------------------

def template(pattern: str) -> str:
    """A route's regular expression as a template: groups become ``{}``, anchors and the
    optional trailing slash go (``/api/v1/incidents/(\\d+)$`` -> ``/api/v1/incidents/{}``)."""
    out, depth = [], 0
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            if depth == 0:
                out.append(pattern[i + 1])
            i += 2
            continue
        if c == "(":
            if depth == 0:
                out.append("{}")
            depth += 1
        elif c == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and c not in "^$?":
            out.append(c)
        i += 1
    text = "".join(out)
    return text[:-1] if len(text) > 1 and text.endswith("/") and pattern.rstrip("$").endswith("/?") \
        else text


class RouteNames:
    """Each handler class's route templates in a Tornado application (rules walked once); a
    class serving several routes (Bokeh's pages, static files) is told apart by its path."""

    def __init__(self, application: Any) -> None:
        self._by_class: dict[type, list[tuple[re.Pattern[str], str]]] = {}
        self._walk(application.default_router)

    def _walk(self, router: Any) -> None:
        for rule in getattr(router, "rules", ()):
            target = rule.target
            if hasattr(target, "rules"):
                self._walk(target)
                continue
            regex = getattr(rule.matcher, "regex", None)
            if isinstance(target, type) and regex is not None:
                self._by_class.setdefault(target, []).append((regex, template(regex.pattern)))

    def name(self, handler: Any) -> str:
        found = self._by_class.get(type(handler))
        if not found:
            return "other"  # Tornado's 404 handler and the like: one series for them all
        if len(found) == 1:
            return found[0][1]
        path = handler.request.path
        return next((t for regex, t in found if regex.match(path)), found[0][1])


def observe_requests(application: Any) -> None:
    """Time every request of ``application`` (a Tornado ``Application``: Bokeh's) by route;
    the access log line is written as before (an earlier ``log_function``, or Tornado's)."""
    from tornado.log import access_log

    names = RouteNames(application)
    earlier = application.settings.get("log_function")

    def log_function(handler: Any) -> None:
        status = handler.get_status()
        REQUEST_SECONDS.labels(names.name(handler), handler.request.method or "GET",
                               f"{status // 100}xx").observe(handler.request.request_time())
        if earlier is not None:
            earlier(handler)
            return
        # what tornado.web.Application.log_request writes when no log_function is set
        log = access_log.info if status < 400 else access_log.warning if status < 500 \
            else access_log.error
        log("%d %s %.2fms", status, handler._request_summary(),
            1000.0 * handler.request.request_time())

    application.settings["log_function"] = log_function


def watch_server(server: Any, engine: Any) -> None:
    """A Bokeh/Panel server's figures: request times by route, open page sessions, and the
    database pool of ``engine`` (SQLAlchemy's ``QueuePool`` status)."""
    tornado_app = server._tornado
    observe_requests(tornado_app)

    def sessions() -> dict[tuple[str, ...], float]:
        out: dict[tuple[str, ...], float] = {}
        for path, context in list(tornado_app.applications.items()):
            live = list(context.sessions)
            out[(path, "open")] = len(live)
            out[(path, "connected")] = sum(1 for s in live if s.connection_count > 0)
        return out

    gauge("fq_page_sessions", "Panel page sessions in this process (open; connected: with a websocket)",
          sessions, labels=("page", "state"))
    pool = engine.pool

    def pool_use() -> dict[tuple[str, ...], float]:
        return {(state,): float(getattr(pool, state)()) for state in
                ("size", "checkedout", "checkedin", "overflow") if hasattr(pool, state)}

    gauge("fq_db_pool_connections",
          "SQLAlchemy pool: size (configured), checkedout (in use), checkedin (idle), overflow",
          pool_use, labels=("state",))


def watch_reads(reads: Any) -> None:
    """The read replica's figures (:class:`console.read_side.ReadSide`, ``FQ_READ_DATABASE_URL``):
    its lag in seconds and bytes, and whether reads go to it now (each cached for a second)."""
    def lag() -> float:
        value = reads.lag_seconds()
        return float("nan") if value is None else float(value)

    def behind() -> float:
        value = reads.status().behind_bytes
        return float("nan") if value is None else float(value)

    gauge("fq_replica_lag_seconds", "Seconds the read replica is behind the primary (NaN: unknown)",
          lag)
    gauge("fq_replica_behind_bytes", "WAL bytes the read replica has not replayed (NaN: unknown)",
          behind)
    gauge("fq_reads_from_replica", "1 while read-heavy work reads the replica, 0 on the primary",
          lambda: float(reads.status().source == "replica"))


def watch_scheduler(scheduler: Any) -> None:
    """A :class:`dispatch.scheduler.Scheduler`'s figures: whether this process runs the clocks
    and how long since it last did (the database's side of the lag: ``fq_clock_overdue_seconds``)."""
    import time

    gauge("fq_scheduler_leading", "1 in the process holding the scheduler's advisory lock",
          lambda: float(scheduler.leading))

    def since_tick() -> float:
        last = scheduler.last_tick
        return float("nan") if last is None or not scheduler.leading else time.monotonic() - last

    gauge("fq_scheduler_tick_age_seconds",
          "Seconds since the leading scheduler last ran the clocks (NaN in the others)", since_tick)
