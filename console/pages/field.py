"""The field page (移动端, 375×667): a unit's own tasks and the acts it takes on the road."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import panel as pn
import param

from console.map import IMPORTMAP, STATIC_DIR, STATIC_URL, FqComponent
from dispatch import clocks, vocab


class FieldApp(FqComponent):
    """Tasks of ``unit_id`` from the API, with the next act's button for each case."""

    unit_id = param.Integer(default=None, allow_None=True, doc="The unit whose page this is.")

    api_base = param.String(default="/api/v1")

    labels = param.Dict(default={}, doc="Chinese labels of the domain's codes.")

    # field.js imports the 调解记录 panel (field_record.js) and the shared helpers (lib/)
    _esm: ClassVar[Path] = STATIC_DIR / "field.js"
    _importmap = IMPORTMAP


def labels() -> dict[str, Any]:
    return {"categories": vocab.CATEGORIES, "states": vocab.INCIDENT_STATES,
            "outcomes": vocab.OUTCOMES, "followup_methods": vocab.FOLLOWUP_METHODS,
            "priorities": {str(k): v for k, v in
                                                       vocab.PRIORITIES.items()},
            "unit_types": vocab.UNIT_TYPES, "unit_statuses": vocab.UNIT_STATUSES,
            "clocks": clocks.KIND_LABEL}  # the countdown's words, as the desk's marks say them


def create_field(unit_id: int | None, *, api_base: str = "/api/v1",
                 static_url: str = STATIC_URL) -> pn.viewable.Viewable:
    """One session's field page for ``unit_id`` (None: ask for the unit in the address)."""
    return FieldApp(unit_id=unit_id, api_base=api_base, labels=labels(),
                    sizing_mode="stretch_width", margin=0,
                    stylesheets=[f"{static_url.rstrip('/')}/{css}"
                                 for css in ("field.css", "field_record.css")])


# A phone page: the browser must lay it out at the device's width (Bokeh's page has no viewport);
# Panel extends its base page with this (a string: Panel adds the "extends").
PHONE_TEMPLATE = ('{% block title %}外勤任务 · 枫桥{% endblock %}'
                  '{% block preamble %}{{ super() }}<meta name="viewport" '
                  'content="width=device-width, initial-scale=1">{% endblock %}')


def field_page() -> Any:
    """Route factory: a field account's page opens on the unit its account is tied to (whatever
    the address says); others name the unit with ``?unit=<id>``."""
    from console.pages.login import page_principal

    if pn.state.curdoc is not None:
        pn.state.curdoc.template = PHONE_TEMPLATE  # type: ignore[assignment]
    who = page_principal()
    if who is not None and who.role == "field" and who.unit_id is not None:
        return create_field(who.unit_id)
    args = pn.state.session_args or {}
    raw = (args.get("unit") or [b""])[0].decode(errors="ignore").strip()
    unit_id = int(raw) if raw.isdigit() else None
    return create_field(unit_id)
