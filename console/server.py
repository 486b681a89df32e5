"""The console's web server: Panel pages, the JSON API and our own static files on one port."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import panel as pn

from console.api import api_routes
from console.bootstrap import App

STATIC_DIR = Path(__file__).resolve().parent / "static"


def pages(app: App) -> dict[str, Any]:
    """Route -> a function making a fresh page per browser session."""
    from console.pages.home import create_home

    def home() -> Any:
        return create_home()

    return {"/": home}


def make_server(app: App, *, port: int, address: str = "0.0.0.0",
                allow_origins: list[str] | None = None, start: bool = False) -> Any:
    """A Bokeh/Panel server (not started unless ``start``) with pages, API and static files."""
    pn.config.inline = True  # type: ignore[misc]  # Bokeh/Panel JS inline, never a CDN
    origins = allow_origins or [f"localhost:{port}", f"127.0.0.1:{port}", "*"]
    return pn.serve(
        pages(app),
        port=port,
        address=address,
        websocket_origin=origins,
        static_dirs={"static": str(STATIC_DIR)},
        extra_patterns=api_routes(app),
        show=False,
        start=start,
        title="枫桥式矛盾纠纷调处指挥平台",
        threaded=False,
    )
