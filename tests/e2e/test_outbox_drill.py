"""The outbox drill: kill -9 the console (a real process, as bench/harness.py starts one)
while it is delivering an event's notices; after a restart every notice arrives, once per
receiver after deduplication by its idempotency key (the arrivals before dedup are printed)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from sqlalchemy import text

from dispatch.adapters.webhook_admin import create_subscription
from dispatch.limits import OUTBOX_LEASE_S
from geo.settings import Settings
from tests.conftest import demo_copy, free_port
from tests.receivers import http_receiver, smtp_receiver

ROOT = Path(__file__).resolve().parents[2]


def start_console(url: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    code = ("from console.bootstrap import bootstrap; from console.server import make_server; "
            f"app = bootstrap(url={url!r}); "
            f"s = make_server(app, port={port}, address='127.0.0.1'); s.start(); "
            "s.io_loop.start()")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=5).read()
            return proc
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                raise AssertionError(f"the console did not start: {log.read_text()[-2000:]}") from None
            time.sleep(0.3)


def post(base: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


def test_kill_9_between_the_event_and_the_delivery(settings: Settings, base_db: str,
                                                   demo_territory: Any, tmp_path: Path) -> None:
    from datetime import UTC, datetime

    with demo_copy(settings, base_db, demo_territory, tag="k") as (url, engine), \
            http_receiver(sms_key="gw-key", hold="/hook") as http, smtp_receiver() as smtp:
        with engine.begin() as conn:
            sub = create_subscription(conn, name="演练", url=http.url + "/hook", event_types=(),
                                      district_id=None, street_id=None, source=None,
                                      trusted=False, actor="admin", at=datetime.now(UTC))
            lon, lat = conn.execute(text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM grids "
                "ORDER BY id LIMIT 1) g")).one()
        http.secrets["/hook"] = sub["secret"]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "FQ_SMS_URL": http.url + "/sms",
               "FQ_SMS_KEY": "gw-key", "FQ_SMTP_HOST": "127.0.0.1",
               "FQ_SMTP_PORT": str(smtp.port)}
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = tmp_path / "console.log"
        first = start_console(url, port, env, log)
        try:
            case = post(base, "/api/v1/incidents", {
                "category": "neighbour", "channel": "hotline", "lon": lon, "lat": lat,
                "auto_dispatch": False, "description": "演练：楼道堆物",
                "parties": [{"name": "李四", "phone": "13900000002"},
                            {"name": "王五", "phone": "13900000003"}]})
            with urllib.request.urlopen(
                    f"{base}/api/v1/incidents/{case['id']}/recommendations", timeout=60) as r:
                uid = json.loads(r.read())["items"][0]["unit_id"]
            with engine.begin() as conn:
                conn.execute(text("UPDATE units SET phone = '13700000077', email = "
                                  "'u77@example.org' WHERE id = :u"), {"u": uid})
            post(base, f"/api/v1/incidents/{case['id']}/assign", {"unit_ids": [uid]})
            assert http.holding.wait(60), "the console never began delivering the webhook"
            os.kill(first.pid, signal.SIGKILL)  # mid-delivery: the receiver holds the request
            assert first.wait(30) == -signal.SIGKILL
        finally:
            if first.poll() is None:
                first.kill()
        with engine.connect() as conn:
            at_kill = dict(conn.execute(text(
                "SELECT state, count(*) FROM outbox WHERE incident_id = :i GROUP BY state"),
                {"i": case["id"]}).all())
        http.released.set()
        second = start_console(url, port, env, log)
        try:
            deadline = time.monotonic() + OUTBOX_LEASE_S + 60
            while True:
                with engine.connect() as conn:
                    rows = [dict(r) for r in conn.execute(text(
                        "SELECT key, channel, state FROM outbox WHERE incident_id = :i"),
                        {"i": case["id"]}).mappings()]
                if rows and all(r["state"] == "delivered" for r in rows):
                    break
                assert time.monotonic() < deadline, (rows, log.read_text()[-2000:])
                time.sleep(0.5)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(30)
        by_channel: dict[str, set[str]] = {}
        for r in rows:
            by_channel.setdefault(r["channel"], set()).add(str(r["key"]))
        received = {"sms": {k: n for k, n in http.keys("/sms").items()},
                    "webhook": http.keys("/hook"), "email": smtp.keys()}
        for channel, keys in by_channel.items():
            assert set(received[channel]) >= keys, channel  # every notice arrived
            assert all(received[channel][k] >= 1 for k in keys)
        assert all(r.signed for r in http.got)
        print(f"\noutbox drill: at the kill {at_kill}; after restart all {len(rows)} delivered; "
              + "; ".join(f"{c}: {sum(received[c][k] for k in keys)} arrivals, "
                          f"{len(keys)} after dedup by key" for c, keys in by_channel.items()))
        assert sum(http.keys("/hook").values()) >= 2  # the held one came again: same key
        (hook_key,) = by_channel["webhook"] & {k for k, n in http.keys("/hook").items() if n >= 2}
        assert hook_key
