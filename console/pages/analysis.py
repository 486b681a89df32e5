"""The 研判 page (/analysis): a chosen period's figures, comparisons, breakdowns, fair ranking,
repeats and the watch list in tabs, beside our own map with the period's hotspot layer.

The tabs come from one registry, :data:`TABS`: a tab is an entry here and one browser module,
``console/static/analysis/<key>.js``, exporting ``mount(el, ctx)`` (see ``analysis.js`` for
``ctx``: the chosen period, comparison, category and the reader's area, and an API caller). The
page cuts nothing itself: every answer comes from ``/api/v1/analysis/...``, which cuts to the
reader's jurisdiction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlencode

import panel as pn
import param

from analysis import periods
from analysis.periods import Period
from analysis.presets import presets
from console.bootstrap import App
from console.map import IMPORTMAP, STATIC_DIR, STATIC_URL, FqComponent, LeafletMap, basemap
from dispatch import stats, vocab
from dispatch.access import Principal, area_floor, may
from dispatch.model import BEIJING
from dispatch.stats_scope import Scope
from layers.hotspots import hotspot_map_layers
from layers.wall import fit_view

BADGE = "示意：网格与微网格为示意数据"
MAP_PX = (620, 760)  # the map beside the tabs


@dataclass(frozen=True)
class AnalysisTab:
    """One tab of the page: ``key`` (its module is ``fq/analysis/<key>.js``), its Chinese
    ``label``, and the ``action`` a reader needs to see it (:func:`dispatch.access.may`)."""

    key: str
    label: str
    action: str = "wall"

    @property
    def module(self) -> str:
        return f"fq/analysis/{self.key}.js"


# The registry: add a tab with one entry here and one module console/static/analysis/<key>.js.
TABS: tuple[AnalysisTab, ...] = (
    AnalysisTab("figures", "统计对比"),
    AnalysisTab("ranking", "公平排名"),
    AnalysisTab("hotspots", "热点"),
    AnalysisTab("repeats", "重复纠纷"),
    AnalysisTab("watch", "风险关注"),
    AnalysisTab("people", "人员"),
    AnalysisTab("reports", "研判报告"),
)


def tabs_for(who: Principal | None) -> list[dict[str, str]]:
    """The registry's tabs this reader may open, as the browser takes them."""
    return [{**asdict(t), "module": t.module} for t in TABS
            if who is None or may(who, t.action)]


def labels() -> dict[str, Any]:
    return {"categories": vocab.CATEGORIES, "channels": vocab.CHANNELS,
            "unit_types": vocab.UNIT_TYPES, "breakdowns": periods.BREAKDOWNS,
            "rank_by": {k: periods.BREAKDOWNS[k] for k in periods.RANK_BY},
            "against": periods.AGAINST, "definitions": periods.DEFINITIONS}


class AnalysisApp(FqComponent):
    """The period bar and the tabs, drawn in the browser (``analysis.js``); a change of period
    or category comes back as ``{"type": "period", "from", "to", "category"}``."""

    api_base = param.String(default="/api/v1")

    tabs = param.List(default=[], doc="[{key, label, module, action}] from the registry.")

    area = param.Dict(default={}, doc="The reader's own area (its floor): level and ids.")

    period = param.Dict(default={}, doc="The opening period {from, to}.")

    presets = param.List(default=[], doc="The quick picks [{key, label, from, to}] "
                                         "(analysis.presets), as of the page's opening day.")

    labels = param.Dict(default={}, doc="Chinese labels of the codes the tabs show.")

    _esm: ClassVar[Path] = STATIC_DIR / "analysis.js"
    _importmap = IMPORTMAP

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.on_request: Any = None

    def _handle_msg(self, data: Any) -> None:
        if isinstance(data, dict) and self.on_request is not None:
            self.on_request(data)


def hotspot_url(api_base: str, period: dict[str, str], category: str | None = None) -> str:
    query = {"from": period["from"], "to": period["to"]}
    if category:
        query["category"] = category
    return f"{api_base.rstrip('/')}/analysis/hotspots?{urlencode(query)}"


class AnalysisSession:
    """One browser's page: the tabs component and the map whose hotspot layer follows the
    chosen period."""

    def __init__(self, app: App, who: Principal | None, *, api_base: str = "/api/v1",
                 static_url: str = STATIC_URL) -> None:
        self.api_base = api_base
        prefix = static_url.rstrip("/")
        today = datetime.now(BEIJING).date()
        first = Period.parse(None, None, today=today).as_dict()
        self.period = {"from": first["from"], "to": first["to"]}
        self.category: str | None = None
        self.panel = AnalysisApp(
            api_base=api_base, tabs=tabs_for(who), period=self.period, labels=labels(),
            presets=presets(today),
            area=area_floor(who) if who is not None else {}, sizing_mode="stretch_width",
            margin=0, stylesheets=[f"{prefix}/analysis/analysis.css"])
        self.panel.on_request = self.on_request
        center, zoom = fit_view(self.bbox(app, who) or (84.8, 45.55, 84.95, 45.65), *MAP_PX)
        self.map = LeafletMap(
            center=center, zoom=zoom, badge=BADGE, static_url=prefix,
            layers=hotspot_map_layers(hotspot_url(api_base, self.period), api_base=api_base),
            width=MAP_PX[0], height=MAP_PX[1], sizing_mode="fixed", margin=(8, 8),
            css_classes=["an-map"],
            **basemap(app.tiles, api_base))

    @staticmethod
    def bbox(app: App, who: Principal | None) -> list[float] | None:
        """The reader's own area's bounding box (the whole territory for the city's readers)."""
        area = area_floor(who) if who is not None else {}
        scope = Scope(area.get("street_id"), area.get("community_id"), area.get("grid_id"),
                      district=area.get("district_id"))
        with app.engine.connect() as conn:
            box: list[float] | None = stats.area(conn, scope)["bbox"]
        return box

    def on_request(self, msg: dict[str, Any]) -> None:
        if msg.get("type") != "period":
            return
        try:
            chosen = Period.parse(msg.get("from"), msg.get("to"),
                                  today=datetime.now(BEIJING).date())
        except ValueError:
            return  # the page shows the API's own refusal; the map keeps its period
        category = msg.get("category") or None
        if category is not None and category not in vocab.CATEGORIES:
            category = None
        period = {"from": chosen.start.isoformat(), "to": chosen.end.isoformat()}
        if (period, category) == (self.period, self.category):
            return
        self.period, self.category = period, category
        self.map.layers = hotspot_map_layers(hotspot_url(self.api_base, period, category),
                                             api_base=self.api_base)

    def view(self) -> pn.viewable.Viewable:
        return pn.Row(self.panel, self.map, sizing_mode="stretch_width", margin=0,
                      css_classes=["an-page"])


def analysis_page(app: App) -> Any:
    """The ``/analysis`` route's page factory for ``console.server.pages``."""
    from console.pages.login import page_principal
    from console.pages.plain import logout_pane

    def page() -> pn.viewable.Viewable:
        session = AnalysisSession(app, page_principal())
        view = session.view()
        view._analysis_session = session  # type: ignore[attr-defined]  # for tests
        return pn.Column(view, logout_pane(corner="bottom"), sizing_mode="stretch_width", margin=0)
    return page
