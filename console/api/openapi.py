"""The OpenAPI 3.1 document of every HTTP route, built from one table and the boundary models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from console.api import schemas as s
from console.api import schemas_accounts as sa
from console.api.openapi_analysis import analysis_ops
from console.api.openapi_ops import (
    AREA,
    AUDIT_FILTER,
    CATEGORY,
    CRS,
    GEO,
    LAT,
    LIMIT,
    LON,
    PERIOD,
    SCOPE,
    Op,
    Param,
)
from console.api.openapi_ops import param as _p
from console.api.openapi_outbox import EXCHANGE_DESCRIPTION, outbox_ops
from console.api.openapi_outbox import PATH_PARAMS as OUTBOX_PATH_PARAMS
from console.api.openapi_outbox import SAMPLES as OUTBOX_SAMPLES
from console.api.openapi_record import RECORD_PATH_PARAMS, RECORD_SAMPLES, record_ops
from console.api.openapi_resident import RESIDENT_PATH_PARAMS, RESIDENT_SAMPLES, resident_ops
from dispatch import limits
from dispatch.views_cases import SORTS
from dispatch.vocab import CATEGORIES, CHANNELS, INCIDENT_STATES, UNIT_STATUSES

__all__ = ["OPERATIONS", "Op", "Param", "document", "sample_path"]


CASE_FILTER = (  # the case list and its exports (console.api.schemas_cases)
    *PERIOD[:1], _p("to", "string", "截止日期（含当天）", max_length=10), *AREA,
    _p("unit", "integer", "处置力量编号（曾派往的案件）", minimum=1, maximum=2**31 - 1),
    CATEGORY,
    _p("state", "string", "状态：open 在办、done 已办结，或单个状态",
       enum=("open", "done", *INCIDENT_STATES)),
    _p("channel", "string", "来源渠道", enum=tuple(CHANNELS)),
    _p("q", "string", "关键词：案件编号（前缀）、标题、地址", max_length=limits.CASE_QUERY),
    _p("sort", "string", "排序（- 为倒序，默认 -reported_at）",
       enum=tuple(k for key in SORTS for k in (key, f"-{key}"))))
INC = "/api/v1/incidents/{incident_id}"
UNIT = "/api/v1/units/{unit_id}"
O311 = "/open311/v2"

OPERATIONS: tuple[Op, ...] = (
    Op("get", "/api/v1/health", "健康检查：数据库、PostGIS 与辖区规模", "系统", public=True),
    Op("post", "/api/v1/auth/token", "用户名和密码换取访问令牌（限速）", "账号", body=s.TokenIn,
       public=True),
    Op("get", "/api/v1/auth/me", "当前调用者的角色与辖区", "账号"),
    Op("post", "/api/v1/auth/logout", "注销当前令牌", "账号"),
    Op("get", "/api/v1/layers/{name}.geojson", "地图图层（GeoJSON，按辖区过滤）", "地图",
       query=(_p("state", "string", "案件图层：open 或 all", enum=("open", "all")),
              _p("days", "integer", "案件图层：最近天数", minimum=1, maximum=3660),
              _p("minutes", "number", "覆盖图层：分钟数", minimum=1, maximum=120),
              _p("merge", "string", "道路图层：class 时按道路等级合并为底图线（少量要素）",
                 enum=("class",))),
       media=GEO),
    Op("get", "/api/v1/locate", "坐标定位到 街道›社区›网格›微网格›警格", "地理",
       query=(LON, LAT, CRS)),
    Op("get", "/api/v1/addresses", "标准地址分页", "地理",
       query=(_p("limit", "integer", "条数", minimum=1, maximum=1000),
              _p("offset", "integer", "偏移", minimum=0, maximum=10**9))),
    Op("get", "/api/v1/geocode", "地址解析：按相似度排序的候选", "地理",
       query=(_p("q", "string", "地址文本", required=True, max_length=200),
              _p("limit", "integer", "候选数", minimum=1, maximum=20))),
    Op("get", "/api/v1/reverse", "逆地址解析：坐标到最近的标准地址", "地理", query=(LON, LAT, CRS)),
    Op("get", "/api/v1/route", "路网行程时间与距离", "地理",
       query=(_p("from_lon", "number", "起点经度", required=True, minimum=-180, maximum=180),
              _p("from_lat", "number", "起点纬度", required=True, minimum=-90, maximum=90),
              _p("to_lon", "number", "终点经度", required=True, minimum=-180, maximum=180),
              _p("to_lat", "number", "终点纬度", required=True, minimum=-90, maximum=90),
              CRS, _p("profile", "string", "drive 或 walk", enum=("drive", "walk")))),
    Op("get", "/api/v1/incidents", "案件查询：筛选、排序、分页与总数（按辖区，按读者遮蔽）", "案件",
       query=(*CASE_FILTER, LIMIT, _p("offset", "integer", "起始位置（默认 0）", minimum=0,
                                      maximum=limits.CASE_OFFSET))),
    Op("post", "/api/v1/incidents", "受理案件（地址或坐标），返回定位、疑似重复与风险", "案件",
       body=s.IncidentIn, ok=201, extra={"also": {"200": "同一来源同一外部编号已受理：返回原案件"}}),
    Op("get", INC, "案件详情与全部审计记录", "案件"),
    Op("get", f"{INC}/recommendations", "推荐处置力量（路网到达时间与理由，含警格+网格）", "案件",
       query=(_p("limit", "integer", "推荐数", minimum=1, maximum=50),)),
    Op("post", f"{INC}/assign", "派单（并发安全：冲突返回 409 并说明被谁抢先）", "案件",
       body=s.AssignIn),
    Op("post", f"{INC}/transitions", "状态流转（签收、到场、调解、办结须有依据、上报…）", "案件",
       body=s.TransitionIn),
    Op("post", f"{INC}/followup", "回访：满意度、协议履行、回访方式、走访邻里（均须填写）", "案件",
       body=s.FollowUpIn),
    Op("post", f"{INC}/priority", "确认或保持紧急程度（风险研判建议，留痕）", "案件",
       body=s.PriorityIn),
    Op("post", f"{INC}/links", "确认重复、关联或合并到另一案件", "案件", body=s.LinkIn),
    Op("post", f"{INC}/supervise", "督办（黄牌/红牌）", "案件", body=s.SuperviseIn),
    Op("post", f"{INC}/locate", "人工定位仅有地址的案件", "案件", body=s.LocateIn),
    Op("post", f"{INC}/unmask", "查看当事人完整信息（留痕）", "案件", body=s.UnmaskIn),
    Op("post", f"{INC}/whistle", "街道吹哨：召集部门限时报到", "案件", body=s.WhistleIn),
    Op("post", f"{INC}/whistle/report", "部门报到", "案件", body=s.ReportInIn),
    Op("post", f"{INC}/consultations", "会商：参会人员与结论", "案件", body=s.ConsultationIn,
       ok=201),
    *record_ops(Op, Param),  # the mediator's record (console.api.openapi_record)
    *outbox_ops(Op, Param),  # notifications, webhooks (console.api.openapi_outbox)
    Op("get", "/api/v1/units", "处置力量列表", "力量",
       query=(_p("status", "string", "状态", enum=tuple(UNIT_STATUSES)),)),
    Op("get", f"{UNIT}/tasks", "某单位的待办任务", "力量"),
    Op("post", f"{UNIT}/position", "上报位置（任意坐标系；旧于已有位置只入轨迹，重复上报只记一次）", "力量",
       body=s.PositionIn),
    Op("post", f"{UNIT}/status", "设置单位状态", "力量", body=s.UnitStatusIn),
    Op("get", "/api/v1/events", "领域事件流（Server-Sent Events，每条 data: 一行 JSON）", "实时",
       media="text/event-stream"),
    Op("get", "/api/v1/stats/overview", "大屏总览指标", "统计", query=SCOPE),
    Op("get", "/api/v1/stats/trend", "30 天趋势", "统计", query=SCOPE),
    Op("get", "/api/v1/stats/categories", "类别构成", "统计", query=SCOPE),
    Op("get", "/api/v1/stats/ranking", "下级区域排名", "统计", query=SCOPE),
    Op("get", "/api/v1/stats/streets", "街道排名", "统计", query=SCOPE),
    Op("get", "/api/v1/stats/wall", "大屏全部数据", "统计", query=SCOPE),
    Op("get", "/api/v1/stats/definitions", "指标口径", "统计"),
    *analysis_ops(),  # 研判: analyses, period figures, people, reports (openapi_analysis)
    Op("get", "/api/v1/stats/hub", "统计推送状态", "统计"),
    Op("get", "/api/v1/stats/{which}.geojson", "热力、超期、案件点（GeoJSON）", "统计",
       query=SCOPE, media=GEO),
    Op("get", "/api/v1/desk/snapshot", "值班台快照：队列与力量", "值班台"),
    Op("get", "/api/v1/desk/hub", "值班台推送状态", "值班台"),
    Op("post", "/api/v1/desk/precheck", "受理前预检：定位、疑似重复、风险", "值班台",
       body=s.PrecheckIn),
    Op("get", "/api/v1/map/heat.geojson", "历史纠纷热力（格网计数）", "地图",
       query=(_p("days", "integer", "最近天数", minimum=1, maximum=3660),
              _p("cell", "integer", "格网边长（米）", minimum=50, maximum=5000)), media=GEO),
    Op("get", "/api/v1/map/incidents.geojson", "在办案件点（含超期标记，按辖区）", "地图",
       media=GEO),
    Op("get", "/api/v1/map/tile-shift", "GCJ-02 瓦片的像素偏移", "地图",
       query=(_p("z", "integer", "缩放级", minimum=0, maximum=22),
              _p("x", "integer", "瓦片列", minimum=0, maximum=2**22 - 1),
              _p("y", "integer", "瓦片行", minimum=0, maximum=2**22 - 1))),
    Op("get", "/api/v1/export/case/{case_id}.html", "导出案件离线地图（HTML）", "导出",
       media="text/html"),
    Op("get", "/api/v1/export/street/{street_id}.html", "导出街道离线地图（HTML）", "导出",
       media="text/html"),
    Op("get", "/api/v1/export/view.html", "导出当前视野离线地图（HTML）", "导出",
       query=(_p("bbox", "string", "west,south,east,north", max_length=100),),
       media="text/html"),
    Op("get", "/api/v1/export/wall.png", "大屏截图（PNG）", "导出", media="image/png"),
    *(Op("get", f"/api/v1/export/incidents.{ext}", f"导出筛选后的案件列表（{label}；与列表同样"
         f"遮蔽，超过 {limits.EXPORT_ROWS:,} 件拒绝，导出留痕）", "导出", query=CASE_FILTER,
         media=media) for ext, label, media in (
        ("csv", "CSV，UTF-8 BOM", "text/csv"),
        ("xlsx", "Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    Op("get", "/api/v1/admin/policy", "派单与时限策略（管理员）", "管理"),
    Op("post", "/api/v1/admin/policy", "修改策略（管理员，留痕）", "管理", body=s.PolicyIn),
    Op("post", "/api/v1/admin/import/{kind}",
       "导入区划、路网、地址库、服务场所或力量名册（multipart 上传；留痕）", "管理",
       form=True, extra={"multipart": True, "fields": {
           "file": "文件（路网、地址库、服务场所、名册）", "bundle": "区划压缩包",
           "streets": "街道图层", "communities": "社区图层", "grids": "网格图层",
           "micro_grids": "微网格图层", "police_grids": "警格图层",
           "crs": "坐标系 wgs84/gcj02/bd09", "force": "1 覆盖", "dry_run": "1 仅校验，不写入"}}),
    Op("get", "/api/v1/admin/replica", "只读副本状态：读取去向、延迟秒数与字节（管理员）", "管理"),
    Op("get", "/api/v1/admin/units", "力量名册（管理员）", "管理",
       query=(_p("status", "string", "状态", enum=tuple(UNIT_STATUSES)),
              _p("type", "string", "类型", max_length=30),
              _p("street", "string", "街道编号", max_length=12),
              _p("q", "string", "姓名或编号", max_length=60))),
    Op("post", "/api/v1/admin/units/{unit_id}", "修改单位（状态、容量、专长、语言、班次）", "管理",
       body=s.AdminUnitIn),
    Op("get", "/api/v1/admin/audit", "审计日志检索（管理员；个人信息已遮蔽，最新在前，游标分页）",
       "管理", query=(*AUDIT_FILTER, _p("limit", "integer", "每页条数（默认 100）", minimum=1,
                                      maximum=500),
                    _p("cursor", "string", "上一页返回的 next", max_length=40))),
    Op("get", "/api/v1/admin/audit.csv", "导出审计日志 CSV（UTF-8 BOM，最多 10 万行，导出留痕）",
       "管理", query=AUDIT_FILTER, media="text/csv"),
    Op("get", "/api/v1/admin/accounts", "账号列表（含角色、辖区与选择用的区县/街道/社区）", "账号"),
    Op("post", "/api/v1/admin/accounts", "创建账号（不填密码则生成临时密码，仅返回一次；首次登录须改密）",
       "账号", body=sa.AccountIn, ok=201),
    Op("patch", "/api/v1/admin/accounts/{account_id}", "修改账号的姓名、角色、辖区或绑定单位（留痕）",
       "账号", body=sa.AccountEditIn),
    Op("post", "/api/v1/admin/accounts/{account_id}/{account_act}",
       "停用、启用账号，或重置密码（下次登录须改密；临时密码仅返回一次）", "账号",
       body=sa.PasswordResetIn),
    Op("get", "/api/v1/admin/api-keys", "接入密钥列表（不含密钥本身）", "账号"),
    Op("post", "/api/v1/admin/api-keys", "签发接入密钥（权限范围、可限定区县或街道；密钥仅返回一次）",
       "账号", body=sa.ApiKeyIn, ok=201),
    Op("post", "/api/v1/admin/api-keys/{key_id}/revoke", "吊销接入密钥（立即失效，留痕）", "账号"),
    Op("post", "/api/v1/auth/password", "修改本人密码（重置后须先调用此接口）", "账号",
       body=sa.PasswordChangeIn),
    Op("get", f"{O311}/services.{{format}}", "Open311：服务（纠纷类别）列表", "Open311",
       public=True),
    Op("get", f"{O311}/services/{{service_code}}.{{format}}", "Open311：服务定义", "Open311",
       public=True),
    Op("get", f"{O311}/requests.{{format}}",
       "Open311：本接入方提交的诉求（不带密钥：仅凭受理时返回的 token 查询）", "Open311",
       query=(_p("api_key", "string", "接入密钥", max_length=200),
              _p("service_request_id", "string",
                 "案件编号（逗号分隔；不带密钥时为 token）", max_length=400),
              _p("token", "string", "受理时返回的查询码（逗号分隔，至多 10 个）", max_length=400),
              _p("service_code", "string", "类别（逗号分隔）", max_length=200),
              _p("start_date", "string", "起始时间（W3C）", max_length=40),
              _p("end_date", "string", "截止时间（W3C）", max_length=40),
              _p("status", "string", "open 或 closed", enum=("open", "closed")))),
    Op("post", f"{O311}/requests.{{format}}", "Open311：提交诉求（表单编码）", "Open311",
       ok=201, form=True, public=True,
       extra={"fields": {"api_key": "接入密钥", "service_code": "纠纷类别",
                         "lat": "纬度（WGS-84）", "long": "经度（WGS-84）",
                         "address_string": "地址", "description": "描述",
                         "first_name": "名", "last_name": "姓", "phone": "电话",
                         "media_url": "照片：data: 地址（base64）；http(s) 地址只记为链接",
                         "attribute[external_id]": "接入方自己的工单编号：再次提交返回原案件（200）",
                         "attribute[external_source]": "来源平台（默认为接入密钥名称）"},
              "also": {"200": "同一来源同一外部编号已受理：返回原案件编号"}}),
    Op("get", f"{O311}/requests/{{service_request_id}}.{{format}}",
       "Open311：一条诉求（带密钥按案件编号；不带密钥按 token）", "Open311",
       query=(_p("api_key", "string", "接入密钥", max_length=200),)),
    Op("get", f"{O311}/tokens/{{token}}.{{format}}", "Open311：查询码对应的案件编号", "Open311",
       public=True),
    *resident_ops(Op, Param),  # 扫码说事 (console.api.openapi_resident)
)

_PATH_PARAMS: dict[str, dict[str, Any]] = {
    "incident_id": {"type": "integer", "minimum": 1, "maximum": 999_999_999},
    "unit_id": {"type": "integer", "minimum": 1, "maximum": 999_999_999},
    "name": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,40}$"},
    "which": {"type": "string", "enum": ["heat", "overdue", "cases"]},
    "format": {"type": "string", "enum": ["json", "xml"]},
    "case_id": {"type": "integer", "minimum": 1, "maximum": 999_999_999},
    "street_id": {"type": "integer", "minimum": 1, "maximum": 999_999_999},
    "kind": {"type": "string", "enum": ["areas", "roads", "units", "addresses", "facilities"]},
    "account_id": {"type": "integer", "minimum": 1, "maximum": 999_999_999},
    "account_act": {"type": "string", "enum": ["deactivate", "activate", "reset-password"]},
    "key_id": {"type": "integer", "minimum": 1, "maximum": 999_999_999},
    "service_code": {"type": "string", "enum": list(CATEGORIES)},
    "service_request_id": {"type": "string", "pattern": "^[0-9A-Za-z-]{1,40}$"},
    "token": {"type": "string", "pattern": "^[0-9A-Za-z-]{12,32}$"},
    "report_id": {"type": "integer", "minimum": 1, "maximum": 999_999_999},
    **RECORD_PATH_PARAMS, **RESIDENT_PATH_PARAMS, **OUTBOX_PATH_PARAMS,
}

ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["code", "message"], "properties": {
        "code": {"type": "string", "description": "稳定的错误代码"},
        "message": {"type": "string", "description": "中文说明（点名出错字段）"},
        "field": {"type": "string"}}}}}


def _operation(op: Op, components: dict[str, Any]) -> dict[str, Any]:
    params = [{"name": n, "in": "path", "required": True, "schema": sch}
              for n, sch in _PATH_PARAMS.items() if "{" + n + "}" in op.path]
    params += [{"name": q.name, "in": "query", "required": q.required,
                "description": q.description, "schema": q.schema()} for q in op.query]
    answer: dict[str, Any] = {}
    if op.response is not None:
        answer = _component(op.response, components)
    out: dict[str, Any] = {
        "summary": op.summary, "tags": [op.tag], "operationId": _op_id(op),
        "parameters": params,
        "responses": {str(op.ok): {"description": "成功",
                                   "content": {op.media: {"schema": answer}}},
                      "4XX": {"description": "请求有误或无权限（中文说明）",
                              "content": {"application/json": {"schema": {
                                  "$ref": "#/components/schemas/Error"}}}}},
    }
    if op.body is not None:
        out["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": _component(op.body, components)}}}
    elif op.form:
        fields = op.extra.get("fields", {})
        multipart = bool(op.extra.get("multipart"))
        out["requestBody"] = {"required": True, "content": {
            ("multipart/form-data" if multipart else "application/x-www-form-urlencoded"): {
                "schema": {
                "type": "object",
                "required": [] if multipart else ["api_key", "service_code"],
                "properties": {k: {"type": "string", "description": v, "maxLength": 400}
                               for k, v in fields.items()}}}}}
    for code, desc in op.extra.get("also", {}).items():
        out["responses"][code] = {"description": desc, "content": {op.media: {"schema": {}}}}
    if op.public:
        out["security"] = []
    return out


def _component(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    """``model`` (and the models it uses) among the components; its reference. Answers are
    documented as serialised (a field's alias, e.g. ``from``)."""
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}",
                                     mode="serialization" if model.__name__.endswith("Out")
                                     else "validation", by_alias=True)
    for name, sub in schema.pop("$defs", {}).items():
        components[name] = sub
    components[model.__name__] = schema
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _op_id(op: Op) -> str:
    words = [w.strip("{}").replace(".", "_") for w in op.path.split("/") if w][2:]
    return op.method + "_" + "_".join(words)


def document(*, version: str = "1") -> dict[str, Any]:
    """The whole document; components hold the boundary models and the error shape."""
    components: dict[str, Any] = {"Error": ERROR}
    paths: dict[str, Any] = {}
    for op in OPERATIONS:
        paths.setdefault(op.path, {})[op.method] = _operation(op, components)
    return {
        "openapi": "3.1.0",
        "info": {"title": "枫桥式矛盾纠纷调处指挥平台 API", "version": version,
                 "description": "受理、定位、推荐、派单、流转、督办、回访、统计与 Open311 接入。"
                                "除标注为公开的接口外，均须登录：Authorization: Bearer <令牌>"
                                "（POST /api/v1/auth/token 获取）或 X-API-Key。" + EXCHANGE_DESCRIPTION},
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}},
        "security": [{"bearer": []}, {"apiKey": []}],
    }


SAMPLES = {**RECORD_SAMPLES, **RESIDENT_SAMPLES, **OUTBOX_SAMPLES, "report_id": "1",
           "account_id": "1", "account_act": "deactivate", "key_id": "1",
           "incident_id": "1", "unit_id": "1", "case_id": "1", "street_id": "1",
           "kind": "areas", "name": "grids", "which": "heat", "format": "json",
           "service_code": "family", "service_request_id": "2026-000001",
           "token": "0123456789abcdef0123456789abcdef"}


def sample_path(path: str) -> str:
    """The path with a plausible value in each parameter (for the route-drift test)."""
    for name, value in SAMPLES.items():
        path = path.replace("{" + name + "}", value)
    return path
