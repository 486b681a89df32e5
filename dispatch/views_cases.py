"""The case list's read model: filters, sort and paging over every case, within a jurisdiction.

One filter (:class:`CaseFilter`) serves the list (``GET /api/v1/incidents``) and its exports
(CSV, Excel): the same WHERE, the same order, so an export holds exactly the rows the list
pages through. The jurisdiction is :func:`scope_sql` (the one SQL form of
:class:`dispatch.access.Scope`); states and their groups come from :mod:`dispatch.vocab`.
Text search is ``ILIKE`` over the code (prefix), title and address with LIKE's wildcards
escaped, planned per call (``force_custom_plan``: a prepared ``LIKE '%…%'`` falls back to a
generic plan).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, text

from dispatch import vocab
from dispatch.access import Scope
from dispatch.errors import InvalidCommand
from dispatch.model import BEIJING

# State filters beyond one state: the groups the vocabulary defines.
STATE_GROUPS: dict[str, tuple[tuple[str, ...], str]] = {
    "open": (vocab.OPEN_STATES, "在办（未办结）"),
    "done": (vocab.DONE_STATES, "已办结（含回访、归档）"),
}
# Sort keys the list offers: the column and its Chinese name; ``-key`` is descending.
SORTS: dict[str, tuple[str, str]] = {
    "reported_at": ("i.reported_at", "受理时间"),
    "priority": ("i.priority", "紧急程度"),
    "close_deadline": ("i.close_deadline", "办结时限"),
    "code": ("i.code", "案件编号"),
}
DEFAULT_SORT = "-reported_at"

_SELECT = """
SELECT i.id, i.code, i.title, i.category, i.priority, i.state, i.channel, i.risk_level,
       i.outcome, i.address, i.street_id, i.community_id, i.grid_id, i.police_grid_id,
       i.reported_at, i.sign_deadline, i.close_deadline, i.resolved_at, i.closed_at,
       ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, COALESCE(f.level, 'community') AS level,
       s.name AS street_name, c.name AS community_name, g.name AS grid_name,
       i.created_by,
       array_remove(ARRAY(SELECT p->>'name' FROM jsonb_array_elements(i.parties) p)
                    || i.caller_name::text, NULL) AS party_names,
       COALESCE((SELECT array_agg(a.unit_id ORDER BY a.id) FROM assignments a
                 WHERE a.incident_id = i.id AND a.state = 'active'), '{}') AS unit_ids,
       (SELECT array_agg(u.name ORDER BY a.id) FROM assignments a JOIN units u
          ON u.id = a.unit_id WHERE a.incident_id = i.id AND a.state = 'active') AS units
FROM incidents i
LEFT JOIN incident_flow f ON f.incident_id = i.id
LEFT JOIN streets s ON s.id = i.street_id
LEFT JOIN communities c ON c.id = i.community_id
LEFT JOIN grids g ON g.id = i.grid_id
"""
# What a row carries for the server's decisions (masking, jurisdiction), never sent.
PRIVATE_KEYS = ("party_names", "created_by")


@dataclass(frozen=True, kw_only=True)
class CaseFilter:
    """What a clerk asked for; ``None`` is "any". Dates are Beijing calendar days, inclusive."""

    date_from: date | None = None
    date_to: date | None = None
    street: int | None = None
    community: int | None = None
    grid: int | None = None
    category: str | None = None
    state: str | None = None
    unit: int | None = None
    channel: str | None = None
    q: str | None = None
    sort: str = DEFAULT_SORT

    def __post_init__(self) -> None:
        if self.category is not None and self.category not in vocab.CATEGORIES:
            raise InvalidCommand(f"类别（category）须为 {'、'.join(vocab.CATEGORIES)} 之一",
                                 field="category")
        if self.channel is not None and self.channel not in vocab.CHANNELS:
            raise InvalidCommand(f"来源渠道（channel）须为 {'、'.join(vocab.CHANNELS)} 之一",
                                 field="channel")
        if (self.state is not None and self.state not in vocab.INCIDENT_STATES
                and self.state not in STATE_GROUPS):
            raise InvalidCommand("状态（state）须为 open、done 或 "
                                 f"{'、'.join(vocab.INCIDENT_STATES)} 之一", field="state")
        if self.sort.lstrip("-") not in SORTS:
            raise InvalidCommand("排序（sort）须为 " + "、".join(
                f"{k} 或 -{k}" for k in SORTS), field="sort")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise InvalidCommand("开始日期（from）不能晚于结束日期（to）", field="from")

    def as_dict(self) -> dict[str, Any]:
        """The filters given (for the audit row and the export's header)."""
        out = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()
               if v is not None}
        out["from"] = out.pop("date_from", None)
        out["to"] = out.pop("date_to", None)
        return {k: v for k, v in out.items() if v is not None}

    def labels(self) -> list[tuple[str, str]]:
        """The filters in Chinese, ``(name, value)``, for a file's header (ids stay ids)."""
        out: list[tuple[str, str]] = []
        if self.date_from or self.date_to:
            out.append(("受理时间", f"{self.date_from or '不限'} 至 {self.date_to or '不限'}"))
        for name, value in (("街道", self.street), ("社区", self.community), ("网格", self.grid),
                            ("处置力量", self.unit)):
            if value is not None:
                out.append((name, f"编号 {value}"))
        if self.category:
            out.append(("类别", vocab.CATEGORIES[self.category]))
        if self.state:
            out.append(("状态", STATE_GROUPS[self.state][1] if self.state in STATE_GROUPS
                        else vocab.INCIDENT_STATES[self.state]))
        if self.channel:
            out.append(("来源渠道", vocab.CHANNELS[self.channel]))
        if self.q:
            out.append(("关键词", self.q))
        key = self.sort.lstrip("-")
        out.append(("排序", SORTS[key][1] + ("（新→旧/大→小）" if self.sort.startswith("-")
                                             else "（旧→新/小→大）")))
        return out


def _like(q: str) -> str:
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def where_sql(f: CaseFilter, scope: Scope | None) -> tuple[str, dict[str, Any]]:
    """``WHERE …`` for the filter within the jurisdiction, and its parameters."""
    conds: list[str] = ["true"]
    params: dict[str, Any] = {}
    if f.date_from is not None:
        conds.append("i.reported_at >= :t0")
        params["t0"] = datetime.combine(f.date_from, time(), BEIJING)
    if f.date_to is not None:
        conds.append("i.reported_at < :t1")
        params["t1"] = datetime.combine(f.date_to + timedelta(days=1), time(), BEIJING)
    for col, value in (("street_id", f.street), ("community_id", f.community),
                       ("grid_id", f.grid), ("category", f.category), ("channel", f.channel)):
        if value is not None:
            conds.append(f"i.{col} = :{col}")
            params[col] = value
    if f.state in STATE_GROUPS:
        conds.append("i.state = ANY(:states)")
        params["states"] = list(STATE_GROUPS[f.state][0])
    elif f.state is not None:
        conds.append("i.state = :state")
        params["state"] = f.state
    if f.unit is not None:  # every case the unit was ever sent to, not only its open tasks
        conds.append("EXISTS (SELECT 1 FROM assignments ua WHERE ua.incident_id = i.id "
                     "AND ua.unit_id = :unit)")
        params["unit"] = f.unit
    if f.q:
        conds.append("(i.code ILIKE :q_code OR i.title ILIKE :q_any OR i.address ILIKE :q_any)")
        params["q_code"] = _like(f.q) + "%"
        params["q_any"] = "%" + _like(f.q) + "%"
    where, scope_params = scope_sql(scope)
    return "WHERE " + " AND ".join(conds) + " " + where, {**params, **scope_params}


def area_where(scope: Scope, alias: str = "i") -> tuple[list[str], dict[str, Any]]:
    """The conditions keeping the rows of ``alias`` lying in ``scope``'s area (its streets — a
    district is its streets, the one rule in dispatch.access —, community, grid), ANDed, and
    their parameters: the one SQL form of a jurisdiction's area, for cases and reports alike."""
    area = []
    streets = scope.streets
    if streets is not None:
        area.append(f"{alias}.street_id = ANY(CAST(:scope_streets AS int[]))")
    for col, value in (("community_id", scope.community_id), ("grid_id", scope.grid_id)):
        if value is not None:
            area.append(f"{alias}.{col} = :scope_{col}")
    return area, {"scope_streets": sorted(streets or ()),
                  "scope_community_id": scope.community_id, "scope_grid_id": scope.grid_id}


def scope_sql(scope: Scope | None) -> tuple[str, dict[str, Any]]:
    """``AND (…)`` keeping the cases of a jurisdiction (:class:`dispatch.access.Scope`)."""
    if scope is None or scope.unrestricted:
        return "", {}
    area, params = area_where(scope)
    ors = ["(" + " AND ".join(area) + ")"] if area else []
    if scope.unit_id is not None:
        ors.append("EXISTS (SELECT 1 FROM assignments sa WHERE sa.incident_id = i.id "
                   "AND sa.unit_id = :scope_unit AND sa.state = 'active')")
    if scope.creator is not None:
        ors.append("i.created_by = :scope_creator")
    params = {**params, "scope_unit": scope.unit_id, "scope_creator": scope.creator}
    return "AND (" + " OR ".join(ors or ["false"]) + ") ", params


def order_sql(sort: str) -> str:
    column = SORTS[sort.lstrip("-")][0]
    way = "DESC" if sort.startswith("-") else "ASC"
    return f"ORDER BY {column} {way} NULLS LAST, i.id {way}"


def _custom_plan(conn: Connection) -> None:
    conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def case_rows(conn: Connection, f: CaseFilter, scope: Scope | None, *, limit: int,
              offset: int = 0) -> list[dict[str, Any]]:
    """The filter's rows in its order, ``limit`` from ``offset`` (with :data:`PRIVATE_KEYS`)."""
    where, params = where_sql(f, scope)
    _custom_plan(conn)
    sql = f"{_SELECT} {where} {order_sql(f.sort)} LIMIT :limit OFFSET :offset"
    return [dict(r) for r in conn.execute(text(sql), {**params, "limit": limit,
                                                      "offset": offset}).mappings()]


def case_count(conn: Connection, f: CaseFilter, scope: Scope | None) -> int:
    """How many cases the filter holds within the jurisdiction."""
    where, params = where_sql(f, scope)
    _custom_plan(conn)
    return int(conn.scalar(text(f"SELECT count(*) FROM incidents i {where}"), params) or 0)


def case_page(conn: Connection, f: CaseFilter, scope: Scope | None, *, limit: int,
              offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """One page of rows and the filter's total."""
    return case_rows(conn, f, scope, limit=limit, offset=offset), case_count(conn, f, scope)


_AREAS = """
SELECT 'street' AS level, s.id, s.name, s.id AS street_id, NULL::int AS community_id,
       NULL::int AS grid_id FROM streets s
UNION ALL
SELECT 'community', c.id, c.name, c.street_id, c.id, NULL FROM communities c
UNION ALL
SELECT 'grid', g.id, g.name, c.street_id, g.community_id, g.id FROM grids g
JOIN communities c ON c.id = g.community_id
ORDER BY 1 DESC, 2
"""


def area_rows(conn: Connection) -> list[dict[str, Any]]:
    """Every street, community and grid with its parents' ids (the list's area choices; the
    console keeps those the reader's jurisdiction covers: :func:`dispatch.access.sees_area`)."""
    return [dict(r) for r in conn.execute(text(_AREAS)).mappings()]
