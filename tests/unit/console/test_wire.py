"""Component messages as JSON text (console/wire.py)."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from panel.custom import JSComponent

from console.desk.rows import RowsView
from console.map import LeafletMap
from console.wire import TextMessages, as_text


def test_plain_json_goes_as_compact_text_that_decodes_to_the_same() -> None:
    msg = {"type": "upsert", "layer": "units", "features": [
        {"type": "Feature", "id": "7", "properties": {"id": 7, "name": "调解员 张三",
                                                      "colour": "#2e7d32"},
         "geometry": {"type": "Point", "coordinates": [84.87, 45.6]}}]}
    text = as_text(msg)
    assert isinstance(text, str)
    assert "调解员 张三" in text and ", " not in text  # UTF-8 as is, no padding
    assert json.loads(text) == msg


def test_times_and_decimals_go_as_bokeh_would_send_them() -> None:
    at = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
    out = json.loads(as_text({"at": at, "day": date(2026, 11, 22), "n": Decimal("2.5")}))
    assert out == {"at": at.timestamp() * 1000, "day": "2026-11-22", "n": 2.5}


def test_what_json_cannot_hold_exactly_goes_unencoded() -> None:
    nan = {"lon": math.nan}
    assert as_text(nan) is nan  # JSON.parse would refuse NaN: Bokeh's path carries it
    odd = {"x": {1, 2}}
    assert as_text(odd) is odd


class _Sink(JSComponent):
    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.got: list[Any] = []

    def _send_msg(self, data: Any) -> None:
        self.got.append(data)


class _Texting(TextMessages, _Sink):
    pass


def test_the_mixin_hands_text_to_the_component() -> None:
    c = _Texting()
    c._send_msg({"type": "rows", "upsert": [{"id": 1}]})
    assert c.got == ['{"type":"rows","upsert":[{"id":1}]}']


def test_the_map_and_the_desk_rows_send_text() -> None:
    assert issubclass(LeafletMap, TextMessages) and issubclass(RowsView, TextMessages)
    for js in ("map/inbox.js", "desk_common.js"):
        src = (LeafletMap._esm.parent / js).read_text(encoding="utf-8")
        assert 'typeof' in src and "JSON.parse(" in src, js
