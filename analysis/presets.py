"""The quick picks a reader is offered for a period (本周, 上周, 本月, 上月, 近30天, 本季度).

One owner for the calendar rule: the wall and the analysis page draw the buttons from
:func:`presets` (Beijing dates, both ends included, as :class:`analysis.periods.Period` takes
them); the browser only shows them. Weeks start on Monday; 本周/本月/本季度 run to today (the days
to come hold nothing yet).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from analysis.periods import Period

QUICK: dict[str, str] = {"week": "本周", "last_week": "上周", "month": "本月",
                         "last_month": "上月", "last30": "近30天", "quarter": "本季度"}


def quick(key: str, today: date) -> Period:
    """The quick pick ``key`` as of Beijing date ``today``."""
    monday = today - timedelta(days=today.weekday())
    month = today.replace(day=1)
    if key == "week":
        return Period(monday, today)
    if key == "last_week":
        return Period(monday - timedelta(days=7), monday - timedelta(days=1))
    if key == "month":
        return Period(month, today)
    if key == "last_month":
        end = month - timedelta(days=1)
        return Period(end.replace(day=1), end)
    if key == "last30":
        return Period(today - timedelta(days=29), today)
    if key == "quarter":
        return Period(month.replace(month=today.month - (today.month - 1) % 3), today)
    raise ValueError(f"unknown quick pick {key!r}")


def presets(today: date) -> list[dict[str, Any]]:
    """Every quick pick as the browser takes it: ``[{key, label, from, to}]``."""
    out = []
    for key, label in QUICK.items():
        p = quick(key, today)
        out.append({"key": key, "label": label, "from": p.start.isoformat(),
                    "to": p.end.isoformat()})
    return out
