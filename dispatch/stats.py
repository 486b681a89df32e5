"""Read-only statistics over incidents for the map wall: counts, rates, times, trend, mix, ranking.

Every figure is computed by PostgreSQL against its own ``now()``, with calendar days in Beijing time
(``Asia/Shanghai``), so the wall, the API and the desk agree whatever the web server's clock says.
Cases merged into another as duplicates (``incident_flow.merged_into``) are not counted anywhere.
The definitions below are the ones the wall's legend shows; tests check the SQL against them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, text

from dispatch import (
    overdue,  # 超期 and 按期: one definition (dispatch/overdue.py)
    stats_rows,  # which rows a figure reads, and how (no figure's meaning)
)
from dispatch import stats_evidence as evidence  # what the rates count: one definition
from dispatch import stats_resident as resident  # 居民评价: one definition
from dispatch.clocks import SIGN_OWED  # sign-for (签收) owed: the clock's own set
from dispatch.mediator_stats import extension_windows  # 延期 beside the rates
from dispatch.stats_areas import AREA_TABLES, area, resolve_scope
from dispatch.stats_mix import categories, trend  # the trend and the mix (re-exported)
from dispatch.stats_scope import Scope
from dispatch.vocab import (
    CATEGORIES,
    DONE_STATES,
    INCIDENT_STATES,
    OPEN_STATES,
    PRIORITIES,
    sql_list,
)

RECORDED_VISIT = evidence.RECORDED_VISIT
TZ = "Asia/Shanghai"
OPEN = OPEN_STATES  # 在办: every state before 办结
DONE = DONE_STATES  # 办结 (then 回访, filed); reopening leaves them
SATISFIED_AT_LEAST = evidence.SATISFIED_AT_LEAST
WINDOWS = (7, 30)  # the rolling windows rates and times are given for, in days
MASK_DECIMALS = 3  # open cases' points rounded to 0.001° (~110 m × 80 m here): no door is shown


@dataclass(frozen=True)
class Figure:
    """One figure on the wall: its Chinese label, its full definition (API, documentation) and the
    short form printed under the figure on the wall (at most 13 characters: one line)."""

    key: str
    label: str
    definition: str
    short: str


FIGURES: tuple[Figure, ...] = (
    Figure("intake_today", "今日受理",
           "北京时间今日0时起至当前（数据库时间）登记受理的案件数；旁列近24小时、近7日（滚动）。",
           "北京时间0时起登记的案件"),
    Figure("open", "在办", "当前处于受理、定位、分派、签收、到场、调解、上报状态（尚未办结）的案件数。",
           "尚未办结（含上报）的案件"),
    Figure("overdue", "超期",
           "在办案件中，尚未签收且已过签收时限，或已过办结时限的案件数，同一案件只计一次。",
           "在办中超签收或办结时限"),
    Figure("closure_rate", "办结率",
           "统计期内办结时限到期的案件中，当前已办结（含已回访、已归档）的比例；"
           "按期办结率只计办结时间不晚于时限（批准的延期顺延时限）者；延期：期内批准、驳回的申请数。",
           "期内到期案件中已办结占比"),
    Figure("success_rate", "调解成功率",
           f"统计期内{evidence.RESOLVED_DEFINITION}中，{evidence.SUCCESS_DEFINITION}所占比例；"
           "无调解记录或无协议的不计入分子；分母含转诉讼、转仲裁、撤回、调解不成。",
           evidence.SUCCESS_SHORT),
    Figure("satisfaction", "满意度",
           "统计期内由回访人记录（注明回访人与回访方式：电话、上门或短信）并评分的回访中，"
           "评4分或5分（满意、非常满意）的比例；均分为1–5分的平均；无人记录的评分不计。",
           "有人记录的回访评4–5分"),
    Figure("resident_rating", resident.LABEL, resident.DEFINITION, resident.SHORT),
    Figure("sign_minutes", "平均签收用时",
           "统计期内签收的案件，自受理登记至处置力量签收的平均用时；按时签收率为签收不晚于签收时限者的比例。",
           "受理至签收的平均时长"),
    Figure("arrive_minutes", "平均到场用时", "统计期内到场的案件，自受理登记至处置力量到场的平均用时。",
           "受理至到场的平均时长"),
)
PERIOD_NOTE = ("口径：“期内”指截至当前的滚动30日（括注近7日）；时间为北京时间（数据库时钟）；"
               "并案的重复件不计。")


WHOLE = Scope()  # the whole territory: the default scope of every figure

# The level below each (the hierarchy's tables: dispatch.stats_areas.AREA_TABLES).
CHILD = {"all": "street", "district": "street", "street": "community", "community": "grid"}

_NOT_MERGED = evidence.NOT_MERGED


_OPEN, _OWED, _DONE = sql_list(OPEN), sql_list(SIGN_OWED), sql_list(DONE)
_CLOCK = (f"(date_trunc('day', now() AT TIME ZONE '{TZ}') AT TIME ZONE '{TZ}')")
SIGN_OVERDUE = f"(i.state IN {_OWED} AND i.sign_deadline < now())"
CLOSE_OVERDUE = f"(i.state IN {_OPEN} AND {overdue.late('i')})"  # the one 超期, now
OVERDUE = f"({SIGN_OVERDUE} OR {CLOSE_OVERDUE})"


TOUCHED = stats_rows.TOUCHED  # when a case was last touched (indexed as written)


_within = stats_rows.within


def _window_columns(days: int, *, times: bool = True, flags: bool = False) -> str:
    """The aggregates of one rolling window W = (now() - days, now()] (:func:`window_columns`);
    ``flags``: over :func:`dispatch.stats_rows.recent_rows` ``with_evidence`` of at least
    ``days`` days, whose rows carry the evidence tested once."""
    kw = stats_rows.evidence_columns() if flags else {}
    return window_columns(lambda col: _within(col, days), str(int(days)), times=times, **kw)


def between(start: str = ":p_start", end: str = ":p_end") -> Callable[[str], str]:
    """A fixed window W = [start, end) of two bound parameters, cut at now(): the period form of
    the rolling window, so a chosen period and the wall count by the same columns."""
    return lambda col: f"(i.{col} >= {start} AND i.{col} < {end} AND i.{col} <= now())"


def window_columns(within: Callable[[str], str], suffix: str, *, times: bool = True,
                   success: str | None = None, visit: str | None = None) -> str:
    """The aggregates behind the rates (and with ``times`` the durations) of one window W, given
    as ``within(column)`` (the SQL condition "column in W"), named ``<figure>_<suffix>``:

    受理 intake: reported_at in W.

    办结率 closed/due: due = close_deadline in W; closed = those now resolved, followed up or
      closed (a reopened case is not). 按期 on_time: those with resolved_at <= close_deadline.
    调解成功率 mediated/resolved: resolved = resolved_at in W, still 办结, with an outcome;
      mediated = those that count as 调解成功 (stats_evidence.mediation_success: the outcome
      mediated, an agreement on its closure record and a 五步 entry).
    满意度 satisfied/rated: rated = followed_up_at in W, scored, recorded (RECORDED_VISIT).
    签收/到场用时: mean (and median) of acknowledged_at / arrived_at - reported_at over the cases
      signed / arrived in W; 按时签收 = acknowledged_at <= sign_deadline among those.

    ``success`` / ``visit``: SQL standing for 调解成功 / a recorded visit on a row in W (default:
    the definitions themselves; the wall passes the per-row columns of
    :func:`dispatch.stats_rows.recent_rows`, tested by the same definitions).
    """
    due, resolved = within("close_deadline"), within("resolved_at")
    success = success or evidence.mediation_success()
    rated = (f"({within('followed_up_at')} AND i.satisfaction IS NOT NULL AND "
             f"{visit or RECORDED_VISIT})")
    sign = "extract(epoch FROM i.acknowledged_at - i.reported_at)"
    arrive = "extract(epoch FROM i.arrived_at - i.reported_at)"
    signed, arrived = within("acknowledged_at"), within("arrived_at")
    d = suffix
    return f""",
      count(*) FILTER (WHERE {within('reported_at')}) AS intake_{d},
      count(*) FILTER (WHERE {due}) AS due_{d},
      count(*) FILTER (WHERE {due} AND i.state IN {_DONE}) AS closed_{d},
      count(*) FILTER (WHERE {due} AND {overdue.on_time('i')}) AS on_time_{d},
      count(*) FILTER (WHERE {resolved} AND {evidence.resolved()}) AS resolved_{d},
      count(*) FILTER (WHERE {resolved} AND {success}) AS mediated_{d},
      count(*) FILTER (WHERE {rated}) AS rated_{d},
      count(*) FILTER (WHERE {rated} AND i.satisfaction >= {SATISFIED_AT_LEAST}) AS satisfied_{d},
      avg(i.satisfaction) FILTER (WHERE {rated}) AS sat_mean_{d}""" + (f""",
      count(*) FILTER (WHERE {signed}) AS signed_{d},
      count(*) FILTER (WHERE {signed} AND i.acknowledged_at <= i.sign_deadline) AS signed_on_time_{d},
      avg({sign}) FILTER (WHERE {signed}) AS sign_mean_{d},
      percentile_cont(0.5) WITHIN GROUP (ORDER BY {sign}) FILTER (WHERE {signed}) AS sign_median_{d},
      count(*) FILTER (WHERE {arrived}) AS arrived_{d},
      avg({arrive}) FILTER (WHERE {arrived}) AS arrive_mean_{d},
      percentile_cont(0.5) WITHIN GROUP (ORDER BY {arrive}) FILTER (WHERE {arrived})
        AS arrive_median_{d}""" if times else "")


def rate(numerator: int, denominator: int) -> float | None:
    """A share in percent to one decimal, or None when nothing was counted (never a made-up 100%)."""
    if denominator <= 0:
        return None
    return round(100.0 * numerator / denominator, 1)


def minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(float(seconds) / 60.0, 1)


def window_figures(row: dict[str, Any], days: int) -> dict[str, Any]:
    """Counts, rates and times of one rolling window from the aggregate row (:data:`FIGURES`)."""
    return {"days": int(days), **suffix_figures(row, str(int(days)))}


def suffix_figures(row: dict[str, Any], d: str) -> dict[str, Any]:
    """Counts, rates and times of the window whose columns end in ``_<d>``
    (:func:`window_columns`)."""
    n = {k: int(row.get(f"{k}_{d}") or 0) for k in (
        "intake", "due", "closed", "on_time", "resolved", "mediated", "rated", "satisfied",
        "signed", "signed_on_time", "arrived")}
    mean = row.get(f"sat_mean_{d}")
    return {**n,
            "closure_rate": rate(n["closed"], n["due"]), "on_time_rate": rate(n["on_time"], n["due"]),
            "success_rate": rate(n["mediated"], n["resolved"]),
            "satisfaction": rate(n["satisfied"], n["rated"]),
            "satisfaction_mean": None if mean is None else round(float(mean), 2),
            "sign_on_time_rate": rate(n["signed_on_time"], n["signed"]),
            **{f"{k}_minutes": minutes(row.get(f"{k}_mean_{d}")) for k in ("sign", "arrive")},
            **{f"{k}_median_minutes": minutes(row.get(f"{k}_median_{d}"))
               for k in ("sign", "arrive")}}


def overview(conn: Connection, scope: Scope = WHOLE, *,
             windows: tuple[int, ...] = WINDOWS, by: str | None = None) -> dict[str, Any]:
    """Today's intake, open and overdue now, and the rates and times of each of ``windows`` (with
    none: the counts alone, from open cases and the last two days' rows). ``by`` (a level, e.g.
    ``"street"``): the same statement also counts each area of that level, given as the
    aggregate rows under ``"by"`` (``dispatch.stats_board``: the ranking from the same pass)."""
    where, params = scope.where()
    group = "" if by is None else f", GROUPING(i.{by}_id) AS total, i.{by}_id AS area"
    sql = f"""
    SELECT {overview_columns(windows)}{group}
    FROM {stats_rows.recent_rows(where, max(windows, default=1), with_evidence=bool(windows))}
      CROSS JOIN {stats_rows.bounds(1, *windows)} WHERE {_NOT_MERGED}
    {"" if by is None else f"GROUP BY GROUPING SETS ((), (i.{by}_id))"}"""
    rows = [dict(r) for r in conn.execute(text(sql), params).mappings()]
    row = next(r for r in rows if by is None or r["total"] == 1)
    return {**overview_figures(conn, scope, row, windows),
            **({} if by is None else {"by": [r for r in rows if r["total"] == 0]})}


def overview_columns(windows: tuple[int, ...]) -> str:
    """The aggregates behind :func:`overview` over rows ``i`` (open and recent, merged cases
    left out) and :func:`dispatch.stats_rows.bounds` of 1 and ``windows`` as ``b``."""
    columns = "".join(_window_columns(d, flags=True) for d in windows)
    return f"""now() AS now, {_CLOCK} AS today_start,
      count(*) FILTER (WHERE i.reported_at >= {_CLOCK} AND i.reported_at <= now()) AS intake_today,
      count(*) FILTER (WHERE {_within('reported_at', 1)}) AS intake_24h,
      count(*) FILTER (WHERE i.state IN {_DONE} AND i.resolved_at >= {_CLOCK}
                       AND i.resolved_at <= now()) AS resolved_today,
      count(*) FILTER (WHERE i.state IN {_OPEN}) AS open,
      count(*) FILTER (WHERE i.state IN {_OPEN} AND i.priority = 1) AS open_urgent,
      count(*) FILTER (WHERE {SIGN_OVERDUE}) AS sign_overdue,
      count(*) FILTER (WHERE {CLOSE_OVERDUE}) AS close_overdue,
      count(*) FILTER (WHERE {OVERDUE}) AS overdue{columns}"""


def overview_figures(conn: Connection, scope: Scope, row: dict[str, Any],
                     windows: tuple[int, ...]) -> dict[str, Any]:
    """:func:`overview` from the aggregate row of :func:`overview_columns` (with 延期 and
    居民评价, read apart)."""
    where, params = scope.where()
    ext = extension_windows(conn, where, params, windows=windows, not_merged=_NOT_MERGED)
    return {"now": row["now"].isoformat(), "today_start": row["today_start"].isoformat(),
            **{k: int(row[k]) for k in ("intake_today", "intake_24h", "resolved_today", "open",
                                         "open_urgent", "sign_overdue", "close_overdue", "overdue")},
            **({"intake_7d": int(row["intake_7"])} if 7 in windows else {}),
            "extensions_pending": ext["pending"],
            "windows": {str(d): {**window_figures(row, d), **ext[d],
                                 **resident.ratings(conn, scope, days=d)} for d in windows}}


def ranking(conn: Connection, scope: Scope = WHOLE, *, days: int = 30) -> list[dict[str, Any]]:
    """The areas one level below ``scope`` (streets, communities or grids) with their figures.

    Largest intake over the last ``days`` days first; an area with no case is listed with zeros.
    Empty for a grid (nothing below it).
    """
    child = CHILD.get(scope.level)
    if child is None:
        return []
    table, parent_col = AREA_TABLES[child]
    parent_col = "district_id" if scope.level == "district" else parent_col
    cond = "TRUE" if parent_col is None else f"a.{parent_col} = :parent"
    where, params = scope.where()
    d = int(days)
    sql = f"""
    SELECT a.id, a.code, a.name, {ranking_columns(d)}
    FROM {table} a CROSS JOIN {stats_rows.bounds(d)}
      LEFT JOIN {stats_rows.recent_rows(where, d, with_evidence=True)}
      ON i.{child}_id = a.id AND {_NOT_MERGED}
    WHERE {cond} GROUP BY a.id, a.code, a.name ORDER BY intake DESC, overdue DESC, a.code"""
    rows = conn.execute(text(sql), {**params, "parent": scope.area_id}).mappings().all()
    return [ranked(child, dict(r), d) for r in rows]


def ranking_columns(days: int) -> str:
    """The aggregates behind one area of :func:`ranking` over rows ``i`` (a LEFT JOIN's: an
    area with none counts zeros) and :func:`dispatch.stats_rows.bounds` of ``days``."""
    d = int(days)
    return f"""count(i.id) FILTER (WHERE {_within('reported_at', d)}) AS intake,
      count(i.id) FILTER (WHERE i.state IN {_OPEN}) AS open,
      count(i.id) FILTER (WHERE {OVERDUE}) AS overdue
      {_window_columns(d, times=False, flags=True)}"""


def ranking_areas(conn: Connection, scope: Scope) -> tuple[str | None, list[dict[str, Any]]]:
    """The level below ``scope`` and its areas (id, code, name) there, in code order."""
    child = CHILD.get(scope.level)
    if child is None:
        return None, []
    table, parent_col = AREA_TABLES[child]
    parent_col = "district_id" if scope.level == "district" else parent_col
    cond = "TRUE" if parent_col is None else f"a.{parent_col} = :parent"
    return child, [dict(r) for r in conn.execute(text(
        f"SELECT a.id, a.code, a.name FROM {table} a WHERE {cond} ORDER BY a.code"),
        {"parent": scope.area_id}).mappings()]


def ranked(level: str, row: dict[str, Any], days: int) -> dict[str, Any]:
    """One area of :func:`ranking` from its aggregate row (id, code, name, intake, open,
    overdue and the window columns of ``days``)."""
    w = window_figures(row, days)
    return {"level": level, "id": int(row["id"]), "code": row["code"], "name": row["name"],
            "intake": int(row["intake"]), "open": int(row["open"]),
            "overdue": int(row["overdue"]), **{k: w[k] for k in (
                "closure_rate", "success_rate", "satisfaction", "due", "resolved", "rated")}}


def grid_heat(conn: Connection, *, days: int = 30) -> list[dict[str, Any]]:
    """Every grid with its cases reported in the last ``days`` days, open now and overdue now."""
    sql = f"""
    SELECT g.id, count(i.id) FILTER (WHERE {_within('reported_at', days)}) AS intake,
      count(i.id) FILTER (WHERE i.state IN {_OPEN}) AS open,
      count(i.id) FILTER (WHERE {OVERDUE}) AS overdue,
      count(i.id) FILTER (WHERE {SIGN_OVERDUE}) AS sign_overdue,
      count(i.id) FILTER (WHERE {CLOSE_OVERDUE}) AS close_overdue
    FROM grids g CROSS JOIN {stats_rows.bounds(days)} LEFT JOIN incidents i
      ON i.grid_id = g.id AND {_NOT_MERGED} AND {stats_rows.recent(days)}
    GROUP BY g.id ORDER BY g.id"""
    return [{k: int(v) for k, v in r.items()} for r in conn.execute(text(sql)).mappings()]


def open_cases(conn: Connection, scope: Scope = WHOLE, *, limit: int = 2000
               ) -> list[dict[str, Any]]:
    """Open cases with nothing personal: category, state, priority, age, overdue flags, the names of
    their community and grid, and a point rounded to :data:`MASK_DECIMALS` decimals (no title,
    address, name or phone). Overdue first, then by priority, oldest first.
    """
    where, params = scope.where()
    p = int(MASK_DECIMALS)
    # the first ``limit`` cases, then their area names (by key: not every area's row hashed)
    sql = f"""
    SELECT i.id, i.category, i.state, i.priority, i.street_id, i.community_id, i.grid_id,
      c.name AS community_name, g.name AS grid_name, i.age_minutes, i.sign_overdue,
      i.close_overdue, i.lon, i.lat
    FROM (SELECT i.id, i.category, i.state, i.priority, i.street_id, i.community_id, i.grid_id,
      i.reported_at, round(extract(epoch FROM now() - i.reported_at) / 60.0)::int AS age_minutes,
      {SIGN_OVERDUE} AS sign_overdue, {CLOSE_OVERDUE} AS close_overdue,
      round(ST_X(i.geom)::numeric, {p})::float AS lon, round(ST_Y(i.geom)::numeric, {p})::float AS lat
      FROM incidents i WHERE {where} AND {_NOT_MERGED} AND i.state IN {_OPEN}
      ORDER BY {OVERDUE} DESC, i.priority, i.reported_at LIMIT :limit) i
    LEFT JOIN communities c ON c.id = i.community_id LEFT JOIN grids g ON g.id = i.grid_id
    ORDER BY i.sign_overdue OR i.close_overdue DESC, i.priority, i.reported_at"""
    out = []
    for r in conn.execute(text(sql), {**params, "limit": int(limit)}).mappings():
        row = dict(r)
        row["overdue"] = bool(row["sign_overdue"] or row["close_overdue"])
        row["category_label"] = CATEGORIES.get(row["category"], row["category"])
        row["state_label"] = INCIDENT_STATES.get(row["state"], row["state"])
        row["priority_label"] = PRIORITIES.get(row["priority"], str(row["priority"]))
        out.append(row)
    return out


__all__ = ["AREA_TABLES", "FIGURES", "Scope", "area", "categories", "grid_heat", "open_cases",
           "overview", "ranking", "resolve_scope", "trend"]
