"""案件查询 (``/cases``): the clerk's case list with filters, pages and CSV/Excel downloads.

A page of its own rather than a fourth column on the desk (whose 1366×768 layout already folds
its unit board to keep eight queue rows): the desk works the open queue live, this page looks
back over every case. The browser component (``static/case_list.js``) asks
``GET /api/v1/incidents`` and links the same query to ``/api/v1/export/incidents.csv|xlsx``;
the server cuts and masks every row. The page gives it only the vocabularies and the areas
the reader's jurisdiction covers (the filter bar's choices).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import panel as pn
import param

from console.bootstrap import App
from console.map import IMPORTMAP, STATIC_DIR, STATIC_URL, FqComponent
from dispatch import vocab
from dispatch.access import Principal, sees_area
from dispatch.views_cases import DEFAULT_SORT, SORTS, STATE_GROUPS, area_rows


class CaseListApp(FqComponent):
    """The filter bar, the paged table and the export buttons, drawn in the browser."""

    api_base = param.String(default="/api/v1")
    labels = param.Dict(default={}, doc="Chinese labels of the domain's codes.")
    areas = param.List(default=[], doc="The streets, communities and grids one may filter by.")
    page_size = param.Integer(default=50)

    _esm: ClassVar[Path] = STATIC_DIR / "case_list.js"
    _importmap = IMPORTMAP


def labels() -> dict[str, Any]:
    return {"categories": vocab.CATEGORIES, "channels": vocab.CHANNELS,
            "states": {**{k: v for k, (_, v) in STATE_GROUPS.items()},
                       **vocab.INCIDENT_STATES},
            "priorities": {str(k): v for k, v in vocab.PRIORITIES.items()},
            "outcomes": vocab.OUTCOMES,
            "sorts": {**{f"-{k}": f"{v}（倒序）" for k, (_, v) in SORTS.items()},
                      **{k: f"{v}（正序）" for k, (_, v) in SORTS.items()}},
            "default_sort": DEFAULT_SORT}


def areas_for(rows: list[dict[str, Any]], who: Principal | None) -> list[dict[str, Any]]:
    """The areas the reader's jurisdiction covers whole (:func:`dispatch.access.sees_area`)."""
    if who is None:
        return []
    keep = ("level", "id", "name", "street_id", "community_id")
    return [{k: r[k] for k in keep} for r in rows
            if sees_area(who, {"street_id": r["street_id"], "community_id": r["community_id"],
                               "grid_id": r["grid_id"]})]


def cases_page(app: App) -> Any:
    """Route factory for ``/cases``: one session's page."""
    from console.pages.login import page_principal
    from console.pages.plain import logout_pane

    def make() -> Any:
        with app.engine.connect() as conn:
            rows = area_rows(conn)
        view = CaseListApp(labels=labels(), areas=areas_for(rows, page_principal()),
                           sizing_mode="stretch_width", margin=0,
                           stylesheets=[f"{STATIC_URL.rstrip('/')}/case_list.css"])
        return pn.Column(view, logout_pane(), sizing_mode="stretch_width", margin=0)
    return make
