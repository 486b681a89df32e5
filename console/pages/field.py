"""The field page (移动端, 375×667): a unit's own tasks and the acts it takes on the road."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import panel as pn
import param
from panel.custom import JSComponent

from console.map import STATIC_DIR, STATIC_URL
from dispatch import vocab


class FieldApp(JSComponent):
    """Tasks of ``unit_id`` from the API, with the next act's button for each case."""

    unit_id = param.Integer(default=None, allow_None=True, doc="The unit whose page this is.")

    api_base = param.String(default="/api/v1")

    labels = param.Dict(default={}, doc="Chinese labels of the domain's codes.")

    _esm: ClassVar[Path] = STATIC_DIR / "field.js"


def labels() -> dict[str, Any]:
    return {"categories": vocab.CATEGORIES, "states": vocab.INCIDENT_STATES,
            "outcomes": vocab.OUTCOMES, "followup_methods": vocab.FOLLOWUP_METHODS,
            "priorities": {str(k): v for k, v in
                                                       vocab.PRIORITIES.items()},
            "unit_types": vocab.UNIT_TYPES, "unit_statuses": vocab.UNIT_STATUSES}


def create_field(unit_id: int | None, *, api_base: str = "/api/v1",
                 static_url: str = STATIC_URL) -> pn.viewable.Viewable:
    """One session's field page for ``unit_id`` (None: ask for the unit in the address)."""
    return FieldApp(unit_id=unit_id, api_base=api_base, labels=labels(),
                    sizing_mode="stretch_width", margin=0,
                    stylesheets=[f"{static_url.rstrip('/')}/field.css"])


# A phone page: the browser must lay it out at the device's width (Bokeh's page has no viewport);
# Panel extends its base page with this (a string: Panel adds the "extends").
PHONE_TEMPLATE = ('{% block title %}外勤任务 · 枫桥{% endblock %}'
                  '{% block preamble %}{{ super() }}<meta name="viewport" '
                  'content="width=device-width, initial-scale=1">{% endblock %}')


def field_page() -> Any:
    """Route factory: the unit comes from ``?unit=<id>`` (accounts arrive with issue 6)."""
    if pn.state.curdoc is not None:
        pn.state.curdoc.template = PHONE_TEMPLATE  # type: ignore[assignment]
    args = pn.state.session_args or {}
    raw = (args.get("unit") or [b""])[0].decode(errors="ignore").strip()
    unit_id = int(raw) if raw.isdigit() else None
    return create_field(unit_id)
