"""The desk's triage panel fed from the hub: each snapshot's pending resident reports (扫码说事)
cut to the reader's jurisdiction and masked (:mod:`console.api.triage_scope`), sized to fit."""

from __future__ import annotations

from typing import Any

from console.api.triage_scope import masked_report, readers_rows
from console.desk.views import DeskTriage
from dispatch import limits
from dispatch.access import Principal, may

EMPTY_H, FULL_H = DeskTriage.heights  # its head only when nothing waits; else 2-3 cards


def decides(p: Principal | None) -> bool:
    """Whether the reader's role may accept or reject (the API checks again, with the area); a
    desk built without a login decides nothing."""
    return p is not None and may(p, "incident.create")


class TriageFeed:
    """Takes the hub's ``triage`` rows into one session's :class:`DeskTriage` (diffs only; a
    snapshot whose rows are the same object as last time costs nothing)."""

    def __init__(self, view: DeskTriage, principal: Principal | None) -> None:
        self.view, self.principal = view, principal
        self._source: Any = None

    def forget(self) -> None:
        """Cut the next snapshot's rows again (the reader's jurisdiction was read anew)."""
        self._source = None

    def take(self, snap: dict[str, Any]) -> None:
        rows = snap.get("triage")
        if rows is None or rows is self._source:
            return
        self._source = rows
        mine = (readers_rows(self.principal, rows, limit=limits.TRIAGE_ROWS) if self.principal is not None
                else [masked_report(_NOBODY, r) for r in rows])
        self.view.update_rows(mine)
        height = FULL_H if mine else EMPTY_H
        if self.view.height != height:
            self.view.height = height


# a desk page built without a login (tests, diagnostics) reads the reports masked
_NOBODY = Principal(name="", role="leader")
