"""The console's web server: Panel pages, the JSON API and our own static files on one port."""

from __future__ import annotations

import mimetypes
import socket
from typing import Any

import panel as pn
from bokeh.settings import settings as bokeh_settings

from console.api.admin import admin_routes
from console.api.desk import desk_routes
from console.api.dispatch import dispatch_routes
from console.api.docs import docs_routes
from console.api.export import export_routes
from console.api.geo import geo_routes
from console.api.maplayers import map_layer_routes
from console.api.metrics import metrics_routes
from console.api.open311 import open311_routes
from console.api.record import record_routes
from console.api.request_guard import JSON_BODY, hide_server_header
from console.api.resident import resident_routes
from console.api.router import api_routes
from console.api.stats import stats_routes
from console.api.triage import triage_routes
from console.auth import COOKIE
from console.bootstrap import App
from console.live.events import EventHub
from console.live.hub_base import stop_live
from console.live.outbox import start_outbox
from console.logs import scrub_server_logs
from console.map import STATIC_DIRS
from console.metrics import watch_reads, watch_server
from console.tls import TlsSettings, serve_tls, server_kwargs
from geo.db import libpq_url


def pages(app: App) -> dict[str, Any]:
    """Route -> a function making a fresh page per browser session."""
    from console.pages.home import create_home
    from console.pages.wall import wall_page
    from geo.queries import territory_bounds

    def home() -> Any:
        from console.pages.login import page_principal

        with app.engine.connect() as conn:
            bounds = territory_bounds(conn)
        who = page_principal()
        tiles: dict[str, Any] = {"basemap_url": app.tiles.url, "basemap_crs": app.tiles.crs}
        if bounds is None:
            return create_home(disputes=True, principal=who, **tiles)
        span = max(bounds[2] - bounds[0], (bounds[3] - bounds[1]) * 1.4)
        zoom = 14 if span < 0.09 else 13 if span < 0.18 else 12
        return create_home(center=((bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2),
                           zoom=zoom, disputes=True, principal=who, **tiles)

    from console.pages.admin import admin_page
    from console.pages.analysis import analysis_page
    from console.pages.cases import cases_page
    from console.pages.desk import desk_page
    from console.pages.field import field_page
    from console.pages.login import page_refusal

    def only(action: str, make: Any) -> Any:
        """The page for roles that may ``action``; a refusal page for the others."""
        def page() -> Any:
            refusal = page_refusal(action)
            return make() if refusal is None else refusal
        return page

    return {"/": home, "/wall": only("wall", wall_page(app)), "/field": only("unit.position", field_page),
            "/desk": only("desk", desk_page(app)), "/admin": only("admin", admin_page),
            "/analysis": only("wall", analysis_page(app)),
            "/cases": only("read", cases_page(app))}



def scheduler_jobs(app: App) -> list[Any]:
    """The periodic jobs the one scheduler runs beside the clocks: the weekly 研判 report, and
    pruning the unit tombstones no unit cache can still need (hourly)."""
    from console.api.reports import weekly_job
    from dispatch.adapters.unit_cache import prune_job

    return [weekly_job(app), prune_job(app.engine)]


def http_routes(app: App, hub: EventHub) -> list[tuple[str, type, dict[str, Any]]]:
    """Every Tornado route beside the pages (the OpenAPI document must cover the API ones)."""
    from console.api.accounts import account_routes
    from console.api.audit import audit_routes
    from console.api.auth import auth_routes
    from console.api.tiles import tile_routes
    from console.api.webhooks import webhook_routes
    from console.pages.login import login_routes
    from console.pages.password import password_routes
    from console.pages.resident import resident_pages

    return (login_routes(app) + auth_routes(app) + api_routes(app) + geo_routes(app)
            + stats_routes(app) + desk_routes(app) + admin_routes(app) + audit_routes(app)
            + map_layer_routes(app) + export_routes(app) + open311_routes(app) + docs_routes()
            + dispatch_routes(app, hub) + tile_routes(app) + account_routes(app)
            + password_routes(app) + record_routes(app) + metrics_routes(app)
            + webhook_routes(app)
            + resident_routes(app) + triage_routes(app) + resident_pages(app))  # 扫码说事


def make_server(app: App, *, port: int, address: str = "0.0.0.0", start: bool = False,
                tls: TlsSettings | None = None, behind_proxy: bool = False) -> Any:
    """A Bokeh/Panel server (not started unless ``start``) with pages, API and static files;
    HTTPS (with HSTS and the optional redirect listener) when ``tls`` is enabled.
    ``behind_proxy``: the client's address and scheme come from the proxy's X-Real-IP and
    X-Forwarded-Proto (Tornado's ``xheaders``), trusted because the server then listens on
    loopback only, where nothing but the proxy (console.ops.proxy) reaches it."""
    if behind_proxy and address not in ("127.0.0.1", "::1", "localhost"):
        raise ValueError("behind a proxy the console listens on loopback only")
    # Bokeh's own JS and Panel's from this server, never a CDN, whatever the environment says.
    bokeh_settings.resources.set_value("server")
    # our ES modules (console.map.IMPORTMAP) as text/javascript (RFC 9239), whatever the
    # host's mime.types or this Python's table says
    mimetypes.add_type("text/javascript", ".js")
    scrub_server_logs()  # no addresses, names or keys from query strings in the logs
    origins = [f"localhost:{port}", f"127.0.0.1:{port}", f"{socket.gethostname()}:{port}",
               *app.settings.allowed_hosts]
    if address not in ("", "0.0.0.0", "::", "127.0.0.1", "localhost"):
        origins.append(f"{address}:{port}")
    # the wall export renders from here; cookie writes must come from these origins
    app.served.address, app.served.port, app.served.origins = address, port, tuple(origins)
    app.served.scheme = "https" if tls is not None and tls.enabled else "http"
    import uuid

    from console.pages.login import PageAuth, guarded_apps

    server_id = uuid.uuid4().hex
    title = "枫桥式矛盾纠纷调处指挥平台"
    server = pn.serve(
        guarded_apps(pages(app), title=title, server_id=server_id),
        server_id=server_id,
        auth_provider=PageAuth(app),
        # the session cookie stays out of Bokeh's session token (which the page can read)
        exclude_cookies=[COOKIE], exclude_headers=["Cookie", "Authorization"],
        port=port,
        address=address,
        websocket_origin=origins,
        static_dirs=STATIC_DIRS,
        extra_patterns=http_routes(app, EventHub(libpq_url(app.engine))),
        # Tornado's ceiling for the pages and the login form; an API route sets its own limit
        # before reading the body (console.api.router.ApiHandler.prepare: 1 MB JSON, uploads more).
        http_server_kwargs={"max_body_size": JSON_BODY, "xheaders": behind_proxy,
                            **server_kwargs(tls)},
        show=False,
        start=False,
        title=title,
        threaded=False,
    )
    hide_server_header(server)
    watch_server(server, app.engine)  # /metrics: request times by route, sessions, the pool
    if app.reads is not None:
        watch_reads(app.reads)  # and the read replica's lag
    start_outbox(app)  # delivers notices and webhooks; stop_live ends it
    app.live.attach(server, app.auth, app.engine)  # closed with their session (logout, revoke)
    if tls is not None and tls.enabled:
        serve_tls(server, tls, port=port, address=address)
    if start:
        server.start()
        server.io_loop.start()
    return server


def stop_updates(app: App) -> list[str]:
    """When a server stops: end its hubs and its database listener (the names of threads that
    did not end), so nothing retries against a database that is gone."""
    return stop_live(app)
