"""The duty desk's browser components (one ES module each, importing desk_common.js): the
title bar and tabs, the intake form, the queue, the unit board and the open case. The session
that wires them to the hub is ``console.pages.desk``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import param

from console.desk.rows import DeskComponent, RowsView
from console.map import STATIC_DIR
from dispatch import vocab


def _esm(name: str) -> Path:
    """The component's module; it imports what it shares from ``fq/desk_common.js`` (see
    ``console.map.IMPORTMAP``)."""
    return STATIC_DIR / name


VOCAB: dict[str, Any] = {
    "channels": vocab.CHANNELS, "categories": vocab.CATEGORIES,
    "priorities": {code: vocab.PRIORITIES[n] for code, n in vocab.PRIORITY_CODES.items()},
    "priority_labels": {str(n): label for n, label in vocab.PRIORITIES.items()},
    "difficulties": vocab.DIFFICULTIES, "languages": vocab.LANGUAGES,
    "languages_other": {k: v for k, v in vocab.LANGUAGES.items() if k != "mandarin"},
    "outcomes": vocab.OUTCOMES, "followup_methods": vocab.FOLLOWUP_METHODS,
    "states": vocab.INCIDENT_STATES, "unit_types": vocab.UNIT_TYPES,
}


class DeskBar(DeskComponent):
    """The title bar (``part="header"``) or the work column's tabs (``part="tabs"``)."""

    part: param.Selector = param.Selector(default="header", objects=["header", "tabs"])
    actor = param.String(default="值班员")
    live = param.String(default="connecting", doc="live | connecting | error")
    live_detail = param.String(default="")
    active = param.String(default="intake", doc="intake | case")
    case_label = param.String(default="")
    _esm: ClassVar[Path] = _esm("desk_header.js")


class DeskIntake(DeskComponent):
    """The intake form; ``point`` is a map click handed over by Python."""

    api_base = param.String(default="/api/v1")
    actor = param.String(default="值班员")
    vocab = param.Dict(default=VOCAB)
    point = param.Dict(default=None, allow_None=True)
    _esm: ClassVar[Path] = _esm("desk_intake.js")


class DeskQueue(RowsView):
    """The queue: rows by urgency, countdowns ticked in the browser."""

    server_ms = param.Integer(default=0)
    selected = param.Integer(default=None, allow_None=True)
    _esm: ClassVar[Path] = _esm("desk_queue.js")


class DeskUnits(RowsView):
    """The unit board (moved units: ``patch``, their rows by id)."""

    server_ms = param.Integer(default=0)
    unit_types = param.Dict(default=vocab.UNIT_TYPES)
    stale_s = param.Integer(default=900)
    folded = param.Boolean(default=False, doc="Only the head shows (a small screen's queue).")
    _esm: ClassVar[Path] = _esm("desk_units.js")


class DeskCase(DeskComponent):
    """The open case with its timeline and actions."""

    case = param.Dict(default=None, allow_None=True)
    loading = param.Boolean(default=False)
    error = param.String(default="")
    api_base = param.String(default="/api/v1")
    actor = param.String(default="值班员")
    vocab = param.Dict(default=VOCAB)
    server_ms = param.Integer(default=0)
    _esm: ClassVar[Path] = _esm("desk_case.js")  # it imports the 调解档案 section
    _stylesheets: ClassVar[list[str]] = [(STATIC_DIR / "case_record.css").read_text("utf-8")]


class DeskTriage(RowsView):
    """扫码说事 待审核: the reader's pending resident reports, pushed by the hub; accept (→ the
    normal intake, the case opens) or reject with a reason, through the API (the server decides
    who may, and where). ``point`` is a map pick for an address-only report."""

    api_base = param.String(default="/api/v1")
    vocab = param.Dict(default=VOCAB)
    decides = param.Boolean(default=False, doc="The reader may accept or reject (its role).")
    point = param.Dict(default=None, allow_None=True)
    # its height in px, empty (the head only) and with reports: the layout's height follows
    # (console.pages.desk_triage), the browser sizes the panel itself (a grown layout box does
    # not grow a rendered component's own element)
    heights = param.List(default=[46, 300], item_type=int)
    _esm: ClassVar[Path] = _esm("desk_triage.js")
