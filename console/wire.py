"""Messages to the browser's components as one JSON text each.

Panel hands a component message (``_send_msg``) to Bokeh, whose serializer walks every nested
dict and list in Python, once per session, and whose browser side walks it again to decode. Map
upserts and row diffs are plain JSON: encoded here with the C encoder in one call they cost a
fraction, and the browser decodes them with its native ``JSON.parse`` (``decoded`` in
leaflet_map.js and desk_common.js). What JSON cannot carry as is (NaN, or a type the encoder
does not know) goes the old way, so nothing changes shape on the wire but its encoding.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from console.metrics import LIVE_MESSAGE_BYTES


def _plain(value: Any) -> Any:
    """The few non-JSON values rows may hold, as Bokeh would send them (times as epoch ms)."""
    if isinstance(value, datetime):
        return value.timestamp() * 1000
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(type(value).__name__)


def as_text(data: Any) -> Any:
    """``data`` as compact JSON text, or ``data`` itself when JSON cannot hold it exactly."""
    try:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                          default=_plain)
    except (TypeError, ValueError):
        return data


class TextMessages:
    """Mixin for a ``JSComponent``: every ``_send_msg`` goes as text (``as_text``)."""

    def _send_msg(self, data: Any) -> None:
        text = as_text(data)
        if isinstance(text, str):
            LIVE_MESSAGE_BYTES.observe(len(text.encode()))
        super()._send_msg(text)  # type: ignore[misc]
