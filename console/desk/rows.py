"""The desk's row lists (the queue, the unit board) kept in step with the browser by diffs.

Setting a whole list as a Panel parameter makes Bokeh compare and serialise every row for every
session: at city scale the queue (~700 rows) cost ~136 ms and the unit board (2,766 rows)
270-400 ms per session per change, most of the console's CPU while cases moved. Here the whole
list goes as a parameter only when the browser first renders it or asks for it again; after that a
change is one message with the rows that differ, the ids that left and, when it changed, the new
order. Each message names the version it applies to: a browser that missed one (messages sent
before it connected are lost) asks for the whole list (``resync``), never shows a wrong one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import param

from console.map import IMPORTMAP, FqComponent
from console.wire import TextMessages

Row = Mapping[str, Any]


def rows_diff(old: Sequence[Row], new: Sequence[Row]) -> dict[str, Any] | None:
    """What turns ``old`` into ``new`` (rows keyed by ``id``): ``upsert`` (rows new or changed;
    the same object counts as unchanged without a comparison), ``remove`` (ids gone) and ``order``
    (every id, only when the order or the set of ids changed); None when nothing did."""
    before = {r["id"]: r for r in old}
    upsert = []
    for row in new:
        was = before.get(row["id"])
        if was is None or (was is not row and was != row):
            upsert.append(row)
    ids = [r["id"] for r in new]
    kept = set(ids)
    remove = [i for i in before if i not in kept]
    order = ids if len(ids) != len(old) or any(
        a["id"] != b for a, b in zip(old, ids, strict=False)) else None
    if not upsert and not remove and order is None:
        return None
    return {"upsert": upsert, "remove": remove, "order": order}


class DeskComponent(TextMessages, FqComponent):
    """Base of the desk's components: messages from the browser go to ``handler`` (set per
    session)."""

    _importmap = IMPORTMAP

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.handler: Callable[[dict[str, Any]], None] | None = None

    def _handle_msg(self, data: Any) -> None:
        if isinstance(data, dict) and self.handler is not None:
            self.handler(data)


class RowsView(DeskComponent):
    """A list of rows shown in the browser, sent whole once, then as versioned diffs
    (``liveRows`` in desk_common.js takes them)."""

    rows = param.List(default=[], doc="The whole list: first render and resyncs only.")

    rows_version = param.Integer(default=0, doc="The version ``rows`` is.")

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._sent: list[Row] = list(self.rows)  # what the browser has (or will have)
        self._at: dict[Any, int] = {}  # id -> index in _sent (patch)
        self._version = self.rows_version
        self._ready = False  # the browser rendered and said which version it holds
        self._stale = False  # changed while the browser was not ready: send it whole
        self.resyncs = 0  # how many times a browser asked for the whole list (diagnostics)

    def update_rows(self, rows: Sequence[Row]) -> None:
        """Show ``rows`` (in this order): a diff if the browser is in step, else nothing yet."""
        if not self._ready:
            self._sent, self._at = list(rows), {}
            if self._models:  # rendered, not yet in step: sent whole when it says so
                self._stale = True
            else:  # no Bokeh model yet: the parameter is free, and the page starts with it
                self.rows = list(rows)
            return
        diff = rows_diff(self._sent, rows)
        if diff is None:
            return
        self._sent, self._at = list(rows), {}
        self._version += 1
        self._send_msg({"type": "rows", "base": self._version - 1, "version": self._version,
                        **diff})

    def patch(self, rows: Sequence[Row]) -> None:
        """Replace these rows by id, order unchanged (moved units: their positions)."""
        at = self._at
        if len(at) != len(self._sent):  # rebuilt once per new list, not per patch
            at = self._at = {r["id"]: i for i, r in enumerate(self._sent)}
        changed = [r for r in rows if r["id"] in at]
        for row in changed:
            self._sent[at[row["id"]]] = row
        if not changed:
            return
        if not self._ready:
            if self._models:
                self._stale = True
            else:
                self.rows = list(self._sent)
            return
        self._version += 1
        self._send_msg({"type": "patch", "base": self._version - 1, "version": self._version,
                        "rows": changed})

    def _send_whole(self) -> None:
        self._version += 1
        self._stale = False
        self.param.update(rows=list(self._sent), rows_version=self._version)

    def _handle_msg(self, data: Any) -> None:
        kind = data.get("type") if isinstance(data, dict) else None
        if kind == "ready":
            self._ready = True
            if self._stale or data.get("version") != self._version:
                self._send_whole()
        elif kind == "resync":
            self.resyncs += 1
            self._send_whole()
        else:
            super()._handle_msg(data)
