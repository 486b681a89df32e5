"""The console's first page: the territory at a glance on the live map, with a summary panel."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, ClassVar

import panel as pn
import param

from console.map import (
    IMPORTMAP,
    STATIC_DIR,
    STATIC_URL,
    FqComponent,
    LeafletMap,
    layer_config,
    territory_layers,
)
from console.pages.plain import logout_form
from dispatch import vocab
from dispatch.access import HOME_PAGES, ROLES, Principal, may
from layers.heat import HEAT_COLOURS, HEAT_LABELS
from layers.registry import LAYERS

TITLE = "枫桥式矛盾纠纷调处指挥平台"
SUBTITLE = "小事不出村 · 大事不出镇 · 矛盾不上交"
BADGE = "示意：网格与微网格为示意数据"

_HEADER_HTML = f"""
<header class="hd">
  <div class="hd-mark" aria-hidden="true">枫</div>
  <div class="hd-text">
    <h1 class="hd-title">{TITLE}</h1>
    <div class="hd-sub">{SUBTITLE}</div>
  </div>
  <nav class="hd-nav"><span class="hd-tab hd-tab-on">指挥一张图</span>{{links}}</nav>
</header>
"""

# The pages a role may open from the home map, its own page first and marked.
_PAGES = (("/desk", "值班台", "desk"), ("/wall", "大屏", "read"), ("/analysis", "研判", "wall"),
          ("/admin", "管理", "admin"))


def role_links(p: Principal | None) -> str:
    """Header links leading the signed-in role to its pages (its own one highlighted)."""
    if p is None:
        return ""
    home = HOME_PAGES.get(p.role or "", "/")
    links = []
    if p.role == "field" and p.unit_id is not None:
        links.append((f"/field?unit={p.unit_id}", "我的任务", True))
    for href, label, action in _PAGES:
        if may(p, action):
            links.append((href, label, href == home))
    links.sort(key=lambda link: not link[2])
    out = "".join(f'<a class="hd-tab{" hd-tab-mine" if mine else ""}" href="{html.escape(href)}">'
                  f'{html.escape(label)}{"（我的页面）" if mine else ""}</a>'
                  for href, label, mine in links)
    who = html.escape(f"{ROLES.get(p.role or '', p.role or '')} {p.name}")
    return out + f'<span class="hd-user">{who}</span>' + logout_form(button_class="hd-tab")

_HINT_HTML = """
<div class="hint">
  <div class="hint-title">操作提示</div>
  <ul>
    <li>点击地图任意位置，查看所在街道、社区、网格、警格及编码。</li>
    <li>点击服务设施圆点，查看设施名称、编码与地址。</li>
    <li>微网格在放大至 15 级及以上时显示。</li>
    <li>右上角图层面板可开关各图层。</li>
  </ul>
</div>
"""


class TerritoryStats(FqComponent):
    """Territory counts from ``GET {api_base}/health``, fetched by the browser."""

    health_url = param.String(default="/api/v1/health", doc="Health endpoint (same origin).")

    note = param.String(default="", doc="Small print under the counts.")

    _esm: ClassVar[Path] = STATIC_DIR / "territory_stats.js"
    _importmap = IMPORTMAP


class AddressSearch(FqComponent):
    """Address search with live candidates; ``picked`` is the chosen candidate."""

    api_base = param.String(default="/api/v1", doc="URL prefix of the API (same origin).")

    picked = param.Dict(default=None, allow_None=True, doc="The candidate the user chose.")

    _esm: ClassVar[Path] = STATIC_DIR / "address_search.js"
    _importmap = IMPORTMAP


class ExportPanel(FqComponent):
    """Links to the exports: a street's HTML map (streets listed from the API) and the wall PNG."""

    api_base = param.String(default="/api/v1")

    _esm: ClassVar[Path] = STATIC_DIR / "export_panel.js"
    _importmap = IMPORTMAP


def dispute_layers(api_base: str = "/api/v1", *, heat_days: int = 365) -> list[dict[str, Any]]:
    """The heat of historical disputes (grid cells, below the areas) and open cases (clustered
    where they crowd, overdue ones pulsing), as served by ``console.api.maplayers``."""
    base = api_base.rstrip("/")
    heat = {
        "name": "heat", "label": f"历史纠纷热力（近{heat_days}天）", "kind": "polygon",
        "url": f"{base}/map/heat.geojson?days={heat_days}", "visible": False, "min_zoom": None,
        "click": False,
        "style": {"color": "#bd0026", "weight": 0, "fillOpacity": 0.55, "by": "level",
                  "classes": {str(i + 1): {"fillColor": c, "color": c,
                                           "label": f"纠纷{HEAT_LABELS[i]}"}
                              for i, c in enumerate(HEAT_COLOURS)}},
    }
    cases = layer_config(LAYERS["incidents"], api_base=base)
    cases.update(label="在办事件", url=f"{base}/map/incidents.geojson", cluster=True, pulse=True)
    for key, cls in cases["style"]["classes"].items():
        cls["label"] = f"{vocab.PRIORITIES[int(key)]}事件"
    return [heat, cases]


def home_layers(api_base: str, *, disputes: bool) -> list[dict[str, Any]]:
    """Territory layers bottom to top; with ``disputes`` the heat goes right above the roads
    and the open cases on top of everything."""
    layers = territory_layers(api_base)
    if not disputes:
        return layers
    heat, cases = dispute_layers(api_base)
    return [layers[0], heat, *layers[1:], cases]


def create_home(
    *,
    api_base: str = "/api/v1",
    center: tuple[float, float] = (45.60, 84.87),
    zoom: int = 13,
    basemap_url: str | None = None,
    basemap_crs: str = "wgs84",
    static_url: str = STATIC_URL,
    disputes: bool = False,
    principal: Principal | None = None,
) -> pn.viewable.Viewable:
    """
    Build the home page for one browser session.

    Parameters
    ----------
    api_base
        URL prefix of the console's HTTP API (same origin), e.g. ``"/api/v1"``.
    center, zoom
        Initial map view, (lat, lon) in WGS-84.
    basemap_url, basemap_crs
        Optional intranet XYZ tile template and its CRS (wgs84 | gcj02, see layers/tiles.py);
        None draws roads as the only basemap.
    static_url
        URL prefix under which ``console/static`` is served (``console.map.STATIC_DIRS``).
    disputes
        Also draw the dispute layers (:func:`dispute_layers`; needs the real API).
    principal
        The signed-in caller: the header then leads its role to its own pages.
    """
    base = api_base.rstrip("/")
    prefix = static_url.rstrip("/")
    page_css = [f"{prefix}/home.css"]

    header = pn.pane.HTML(
        _HEADER_HTML.replace("{links}", role_links(principal)), sizing_mode="stretch_width",
        height=64, margin=0,
        stylesheets=page_css, css_classes=["fq-header"],
    )
    the_map = LeafletMap(
        center=center, zoom=zoom, basemap_url=basemap_url, basemap_crs=basemap_crs,
        basemap_shift_url=f"{base}/map/tile-shift", badge=BADGE,
        export_url=f"{base}/export/view.html" if disputes else None,
        layers=home_layers(base, disputes=disputes), static_url=prefix, margin=0,
        sizing_mode="stretch_both",
    )
    stats = TerritoryStats(
        health_url=f"{base}/health", note="数据来源：平台数据库；行政区划以外数据为示意。",
        sizing_mode="stretch_width", margin=0, stylesheets=[f"{prefix}/territory_stats.css"],
    )
    hints = pn.pane.HTML(_HINT_HTML, sizing_mode="stretch_width", margin=0,
                         stylesheets=page_css)
    search = AddressSearch(api_base=base, sizing_mode="stretch_width", margin=(0, 0, 8, 0),
                           stylesheets=[f"{prefix}/address_search.css"])

    def fly(event: param.parameterized.Event) -> None:
        if event.new:
            the_map.fly_to(event.new["lon"], event.new["lat"], label=event.new["address"])

    search.param.watch(fly, "picked")
    extra = [ExportPanel(api_base=base, sizing_mode="stretch_width", margin=0,
                         stylesheets=[f"{prefix}/territory_stats.css",
                                      f"{prefix}/export_panel.css"])] if disputes else []
    side = pn.Column(
        search, stats, hints, *extra, width=288, sizing_mode="stretch_height", margin=0,
        stylesheets=page_css, css_classes=["fq-side"],
    )
    body = pn.Row(the_map, side, sizing_mode="stretch_both", margin=0)
    return pn.Column(
        header, body, sizing_mode="stretch_both", margin=0,
        stylesheets=page_css, css_classes=["fq-page"],
    )

