"""Read side of the append-only audit log: the administrators' search, page by page and in bulk.

Filters come from query strings (:func:`parse_query` names the bad field in Chinese), the SQL is
built from fixed fragments with bound values only (:func:`where_sql`), pages are keyset-paged
newest first on ``(at, id)`` and the total is counted only up to :data:`COUNT_CAP`. Rows leave
with names, phone numbers, ID numbers and door numbers masked (:func:`mask_row`).
"""

from __future__ import annotations

import re
from collections.abc import Generator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text
from sqlalchemy.exc import OperationalError

from dispatch import limits
from dispatch.errors import InvalidCommand
from dispatch.model import BEIJING
from dispatch.privacy import mask_deep, mask_str, party_names

MAX_PAGE = 500
DEFAULT_PAGE = 100
COUNT_CAP = 10_000
MAX_Q = 100
MAX_ACTOR = max(limits.USERNAME, limits.KEY_NAME)  # who acted: an account or an API key
MAX_CODE = 20  # a case code typed to search (2026-000123)
STATEMENT_TIMEOUT = "15s"  # one search; a broader one is refused, never left running
EXPORT_TIMEOUT = "60s"  # one fetch of an export's cursor (the first may sort the whole match)

ACTION_LABELS: dict[str, str] = {
    "register": "受理登记", "locate": "定位", "merge": "合并案件", "link_duplicate": "标记重复",
    "link_related": "标记关联", "assign": "派单", "reassign": "改派", "transition": "状态流转",
    "reopen": "重新处置", "release": "退回派单", "supervise_manual": "人工督办",
    "supervise_yellow": "黄牌督办", "supervise_red": "红牌督办", "deadline_warn": "时限预警",
    "deadline_error": "时限处理出错", "whistle": "街道吹哨", "whistle_report": "部门报到",
    "consultation": "会商", "unit_status": "力量状态变更", "policy_update": "修改策略",
    "login": "登录", "login_failed": "登录失败", "login_blocked": "登录限速拦截",
    "logout": "注销", "unmask": "查看完整个人信息", "permission_denied": "越权拒绝",
    "account_created": "创建账号", "password_changed": "修改密码",
    "account_activated": "启用账号", "account_deactivated": "停用账号",
    "api_key_created": "创建接入密钥", "api_key_revoked": "吊销接入密钥",
    "api_key_refused": "拒绝的密钥操作", "account_updated": "修改账号",
    "password_reset": "重置密码", "account_refused": "拒绝的账号操作", "audit_export": "导出审计日志",
    "case_export": "导出案件列表", "case_export_refused": "拒绝的案件导出",
    "import": "数据导入", "import_validate": "导入校验（未写入）",
}
ENTITY_LABELS: dict[str, str] = {
    "incident": "案件", "unit": "处置力量", "policy": "派单策略", "account": "账号",
    "api_key": "接入密钥", "access": "访问控制", "territory": "辖区数据",
}
# the 研判 report archive (dispatch.adapters.report_repo)
ACTION_LABELS.update({"report_made": "生成研判报告", "report_read": "下载研判报告"})
ENTITY_LABELS["report"] = "研判报告"
_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_CASE_CODE = re.compile(rf"^[0-9A-Za-z-]{{1,{MAX_CODE}}}$")
_CURSOR = re.compile(r"^(-?\d{1,17})_(\d{1,19})$")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)

ROW_SQL = (
    "SELECT a.id, a.at, a.actor, a.action, a.entity, a.entity_id, a.from_state, a.to_state, "
    "a.reason, a.detail, i.code, i.caller_name AS _caller_name, i.parties AS _parties "
    "FROM audit_log a LEFT JOIN incidents i ON a.entity = 'incident' AND i.id = a.entity_id")


@dataclass(frozen=True)
class AuditQuery:
    """What an administrator asks of the audit log; every field optional."""

    since: datetime | None = None
    until: datetime | None = None  # exclusive
    actor: str | None = None
    actor_prefix: bool = False  # ``actor=dispatch*`` matches every actor starting so
    actions: tuple[str, ...] = ()
    entity: str | None = None
    entity_id: int | None = None
    code: str | None = None
    q: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The filters that are set, as the export's own audit row records them."""
        out = {k: v for k, v in asdict(self).items() if v not in (None, (), False)}
        for k in ("since", "until"):
            if k in out:
                out[k] = out[k].isoformat()
        if "actions" in out:
            out["actions"] = list(out["actions"])
        return out


def _one(args: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = [v for v in args.get(name, ()) if v is not None]
    if len(values) > 1:
        raise InvalidCommand(f"参数 {name} 只能给一个", field=name)
    value = values[0].strip() if values else ""
    if "\x00" in value:
        raise InvalidCommand(f"参数 {name} 含有非法字符", field=name)
    return value or None


def parse_time(value: str, field: str, *, end: bool = False) -> datetime:
    """ISO 8601; without a zone it is Beijing time; a bare date at ``end`` means its whole day."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime(day.year, day.month, day.day, tzinfo=BEIJING)
            moment += timedelta(days=1) if end else timedelta(0)
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "T", 1))
    except (ValueError, OverflowError):
        raise InvalidCommand(f"参数 {field} 须为 ISO 8601 时间（如 2026-05-01 或 "
                             f"2026-05-01T08:30:00+08:00）", field=field) from None
    if not 2000 <= moment.year <= 2200:
        raise InvalidCommand(f"参数 {field} 超出范围（2000 至 2200 年）", field=field)
    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)


def parse_query(args: Mapping[str, Sequence[str]]) -> AuditQuery:
    """The filters from a query string (values as lists, the way Tornado and parse_qs give them)."""
    raw_from, raw_to = _one(args, "from"), _one(args, "to")
    since = parse_time(raw_from, "from") if raw_from else None
    until = parse_time(raw_to, "to", end=True) if raw_to else None
    if since and until and since >= until:
        raise InvalidCommand("参数 from 须早于 to", field="from")
    actor = _one(args, "actor")
    prefix = bool(actor and actor.endswith("*"))
    if actor and prefix:
        actor = actor.rstrip("*") or None
    if actor and len(actor) > MAX_ACTOR:
        raise InvalidCommand(f"参数 actor 不超过 {MAX_ACTOR} 个字符", field="actor")
    actions: list[str] = []
    for value in args.get("action", ()):
        actions += [a.strip() for a in (value or "").split(",") if a.strip()]
    for a in actions:
        if not _CODE.match(a):
            raise InvalidCommand(f"参数 action 不是有效的操作代码：{a[:40]}", field="action")
    if len(actions) > 40:
        raise InvalidCommand("参数 action 最多 40 个", field="action")
    entity = _one(args, "entity")
    if entity and not _CODE.match(entity):
        raise InvalidCommand("参数 entity 不是有效的对象类型（如 incident、unit、access）",
                             field="entity")
    raw_id = _one(args, "entity_id")
    entity_id = None
    if raw_id:
        if not raw_id.isdigit() or not 1 <= int(raw_id) < 2**63:
            raise InvalidCommand("参数 entity_id 须为正整数", field="entity_id")
        entity_id = int(raw_id)
    code = _one(args, "code")
    if code and not _CASE_CODE.match(code):
        raise InvalidCommand("参数 code 须为案件编号（如 2026-000123）", field="code")
    q = _one(args, "q")
    if q and len(q) > MAX_Q:
        raise InvalidCommand(f"参数 q 不超过 {MAX_Q} 个字符", field="q")
    return AuditQuery(since=since, until=until, actor=actor, actor_prefix=prefix and bool(actor),
                      actions=tuple(dict.fromkeys(actions)), entity=entity, entity_id=entity_id,
                      code=code, q=q)


def parse_limit(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_PAGE
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise InvalidCommand(f"参数 limit 须为 1 到 {MAX_PAGE} 的整数", field="limit")
    return int(value)


def encode_cursor(at: datetime, row_id: int) -> str:
    """The position after a row: its time in epoch microseconds and its id."""
    return f"{(at - _EPOCH) // _US}_{row_id}"


def parse_cursor(value: str | None) -> tuple[datetime, int] | None:
    if not value:
        return None
    m = _CURSOR.match(value)
    if m is None or int(m.group(2)) >= 2**63:
        raise InvalidCommand("参数 cursor 无效：请使用上一页返回的 next", field="cursor")
    try:
        return _EPOCH + int(m.group(1)) * _US, int(m.group(2))
    except OverflowError:
        raise InvalidCommand("参数 cursor 无效：请使用上一页返回的 next", field="cursor") from None


def like_escape(value: str) -> str:
    """A literal for ``LIKE … ESCAPE '\\'``: the user's ``%`` and ``_`` match only themselves."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def where_sql(query: AuditQuery, cursor: tuple[datetime, int] | None = None
              ) -> tuple[str, dict[str, Any]]:
    """``WHERE …`` over ``audit_log a`` (an empty string when nothing is filtered) and its
    bound values; the SQL text holds no user input."""
    parts: list[str] = []
    params: dict[str, Any] = {}
    if query.since is not None:
        parts.append("a.at >= :since")
        params["since"] = query.since
    if query.until is not None:
        parts.append("a.at < :until")
        params["until"] = query.until
    if query.actor is not None:
        if query.actor_prefix:
            parts.append("a.actor LIKE :actor ESCAPE '\\'")
            params["actor"] = like_escape(query.actor) + "%"
        else:
            parts.append("a.actor = :actor")
            params["actor"] = query.actor
    if len(query.actions) == 1:
        parts.append("a.action = :action")
        params["action"] = query.actions[0]
    elif query.actions:
        parts.append("a.action = ANY(:actions)")
        params["actions"] = list(query.actions)
    if query.entity is not None:
        parts.append("a.entity = :entity")
        params["entity"] = query.entity
    if query.entity_id is not None:
        parts.append("a.entity_id = :entity_id")
        params["entity_id"] = query.entity_id
    if query.code is not None:
        parts.append("a.entity = 'incident' AND a.entity_id = "
                     "(SELECT id FROM incidents WHERE code = :code)")
        params["code"] = query.code
    if query.q is not None:
        # the expression of the trigram index ix_audit_log_text_trgm (migration 0006)
        parts.append("(coalesce(a.reason, '') || ' ' || a.detail::text) ILIKE :q ESCAPE '\\'")
        params["q"] = "%" + like_escape(query.q) + "%"
    if cursor is not None:
        parts.append("(a.at, a.id) < (:c_at, :c_id)")
        params.update(c_at=cursor[0], c_id=cursor[1])
    return ("WHERE " + " AND ".join(parts)) if parts else "", params


def page_sql(query: AuditQuery, cursor: tuple[datetime, int] | None, limit: int
             ) -> tuple[str, dict[str, Any]]:
    where, params = where_sql(query, cursor)
    return (f"{ROW_SQL} {where} ORDER BY a.at DESC, a.id DESC LIMIT :limit",
            {**params, "limit": limit})


def count_sql(query: AuditQuery, cap: int = COUNT_CAP) -> tuple[str, dict[str, Any]]:
    """Counting stops one past ``cap``: "10,000+" is all a page needs to say."""
    where, params = where_sql(query)
    return (f"SELECT count(*) FROM (SELECT 1 FROM audit_log a {where} LIMIT :cap) s",
            {**params, "cap": cap + 1})


def mask_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """An audit row as it leaves the server: personal data in its free text masked (the case's
    party names too), the action and entity labelled in Chinese."""
    names = party_names({"caller_name": row.get("_caller_name"),
                         "parties": row.get("_parties") or []})
    out = {k: v for k, v in row.items() if not k.startswith("_")}
    for k in ("actor", "reason"):
        if isinstance(out.get(k), str):
            out[k] = mask_str(out[k], names)
    out["detail"] = mask_deep(out.get("detail") or {}, names)
    out["action_label"] = ACTION_LABELS.get(str(out.get("action")), str(out.get("action")))
    out["entity_label"] = ENTITY_LABELS.get(str(out.get("entity")), str(out.get("entity")))
    return out


def _bounded(conn: Connection, *, timeout: str = STATEMENT_TIMEOUT) -> None:
    # LIKE '%…%' must not fall back to a generic plan once psycopg prepares the statement
    conn.execute(text(f"SET LOCAL statement_timeout = '{timeout}'"))
    conn.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def _timed_out(err: OperationalError) -> InvalidCommand:
    if "statement timeout" in str(err.orig) or "canceling statement" in str(err.orig):
        return InvalidCommand("查询耗时过长：请缩小时间范围（from/to）或增加筛选条件",
                              field="from")
    raise err


def fetch_page(conn: Connection, query: AuditQuery, *, limit: int = DEFAULT_PAGE,
               cursor: tuple[datetime, int] | None = None) -> tuple[list[dict[str, Any]],
                                                                   str | None]:
    """Up to ``limit`` masked rows newest first after ``cursor``, and the next page's cursor."""
    sql, params = page_sql(query, cursor, min(limit, MAX_PAGE) + 1)
    try:
        _bounded(conn)
        rows = [dict(r) for r in conn.execute(text(sql), params).mappings()]
    except OperationalError as err:
        raise _timed_out(err) from None
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = encode_cursor(rows[-1]["at"], rows[-1]["id"]) if more and rows else None
    return [mask_row(r) for r in rows], nxt


def search_audit(conn: Connection, query: AuditQuery, *, limit: int = DEFAULT_PAGE,
                 cursor: tuple[datetime, int] | None = None) -> dict[str, Any]:
    """A page for the admin face: ``items``, ``total`` (capped), ``total_label``, ``next``."""
    items, nxt = fetch_page(conn, query, limit=limit, cursor=cursor)
    sql, params = count_sql(query)
    try:
        total = int(conn.scalar(text(sql), params) or 0)
    except OperationalError as err:
        raise _timed_out(err) from None
    capped = total > COUNT_CAP
    total = min(total, COUNT_CAP)
    return {"items": items, "total": total, "total_capped": capped,
            "total_label": f"{total:,}+" if capped else f"{total:,}", "next": nxt,
            "limit": limit}


def stream_batches(connect: Any, query: AuditQuery, *, cap: int, batch: int = MAX_PAGE
                   ) -> Generator[tuple[list[dict[str, Any]], bool], None, None]:
    """Masked rows newest first in batches of ``batch`` from one server-side cursor (one scan of
    the log, not one query per batch), at most ``cap`` in all; a batch flagged true is the last
    one, cut at ``cap`` with more rows matching. ``connect`` gives a connection, held until the
    generator ends or is closed."""
    sql, params = page_sql(query, None, cap + 1)
    sent = 0
    with connect() as conn:
        try:
            _bounded(conn, timeout=EXPORT_TIMEOUT)
            result = conn.execution_options(stream_results=True, max_row_buffer=batch).execute(
                text(sql), params)
            for part in result.mappings().partitions(batch):
                rows = [dict(r) for r in part]
                cut = sent + len(rows) > cap  # the query asks for one row past the cap
                rows = rows[:cap - sent]
                sent += len(rows)
                yield [mask_row(r) for r in rows], cut
                if cut:
                    return
        except OperationalError as err:
            raise _timed_out(err) from None
