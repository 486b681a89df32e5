"""The process's outbox delivery worker: started with the server, stopped by ``stop_live``."""

from __future__ import annotations

import threading

from console.bootstrap import App
from console.live.hub_base import per_app
from dispatch.adapters.outbox_worker import OutboxWorker
from dispatch.adapters.senders import Channels

_WORKERS: dict[int, tuple[App, OutboxWorker]] = {}
_LOCK = threading.Lock()


class ServedOutbox(OutboxWorker):
    """The worker as :func:`console.live.hub_base.stop_live` stops it (by ``thread_name``)."""

    thread_name = "fq-outbox"


def outbox_worker(app: App, channels: Channels | None = None) -> OutboxWorker:
    """``app``'s worker (made on first use over the settings' channels; not started)."""
    return per_app(_WORKERS, _LOCK, app,
                   lambda a: ServedOutbox(a.engine, channels or a.settings.notify,
                                          webhook_hosts=lambda: a.dispatch.policy().webhook_hosts))


def start_outbox(app: App) -> OutboxWorker:
    """Start delivering (once per app) and wake the worker whenever this process commits."""
    worker = outbox_worker(app)
    if not worker.running:
        worker.start()
        app.dispatch.listeners.append(lambda _event: worker.wake())
    return worker
