"""How a body that fails its model is refused: the first fault as a Chinese 422 naming its field."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from dispatch.errors import InvalidCommand

M = TypeVar("M", bound=BaseModel)

_MESSAGES = {
    "missing": "缺少必填字段",
    "string_type": "须为字符串",
    "int_type": "须为整数", "int_parsing": "须为整数", "int_from_float": "须为整数",
    "float_type": "须为数字", "float_parsing": "须为数字", "finite_number": "须为有限数字",
    "bool_type": "须为 true 或 false", "bool_parsing": "须为 true 或 false",
    "list_type": "须为列表", "dict_type": "须为 JSON 对象", "model_type": "须为 JSON 对象",
    "model_attributes_type": "须为 JSON 对象",
}


def _message(err: Any) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    if kind == "value_error":
        return str(ctx.get("error", "取值无效"))
    if kind == "literal_error":
        return "取值无效，可选：" + str(ctx.get('expected', '')).replace(" or ", ", ")
    if kind == "string_too_long":
        return f"过长（上限 {ctx.get('max_length')} 字）"
    if kind == "string_too_short":
        return "不能为空"
    if kind == "too_long":
        return f"过多（上限 {ctx.get('max_length')} 项）"
    if kind == "too_short":
        return f"过少（至少 {ctx.get('min_length')} 项）"
    if kind in ("greater_than_equal", "greater_than"):
        return f"须不小于 {_number(ctx.get('ge', ctx.get('gt')))}"
    if kind in ("less_than_equal", "less_than"):
        return f"须不大于 {_number(ctx.get('le', ctx.get('lt')))}"
    return "取值无效"


def _number(value: Any) -> Any:
    """A bound as people write it: 168, not 168.0."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def refuse_nul(value: Any, where: str = "") -> None:
    """PostgreSQL text cannot hold NUL; a body carrying one is refused, naming the field."""
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidCommand(f"{where or 'body'}：含有不允许的空字符（NUL）",
                                 field=(where or "body").split(".")[0])
    elif isinstance(value, dict):
        for k, v in value.items():
            refuse_nul(str(k), where or "body")
            refuse_nul(v, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            refuse_nul(v, f"{where}.{i}")


def parse_body(model: type[M], raw: Any) -> M:
    """Validate a decoded JSON body; the first problem becomes a 422 naming its field."""
    if not isinstance(raw, dict):
        raise InvalidCommand("请求体须为 JSON 对象", field="body")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        loc = [str(p) for p in first["loc"]]
        field = loc[0] if loc else "body"
        where = ".".join(loc) if loc else "body"
        label = field_label(model, field)
        said = f"{label}（{where}）" if label else where
        raise InvalidCommand(f"{said}：{_message(first)}", field=field) from None


# Chinese names of fields whose model gives no description of its own.
FIELD_LABELS = {"reason": "理由", "note": "说明", "level": "级别", "name": "名称",
                "address": "地址", "to": "目标状态", "outcome": "办结结果",
                "unit_ids": "处置单位", "priority": "紧急程度", "category": "纠纷类别",
                "channel": "受理渠道", "parties": "当事人", "lon": "经度", "lat": "纬度",
                "status": "状态", "departments": "部门", "participants": "参会人员",
                "password": "密码", "username": "用户名", "role": "角色",
                "description": "情况描述", "title": "标题", "difficulty": "难易程度",
                "crs": "坐标系", "auto_dispatch": "自动派单", "language": "语言",
                "phone": "电话", "reassign": "改派", "expected_state": "预期状态",
                "body": "请求体", "other_id": "关联案件", "kind": "类型",
                "accuracy_m": "定位精度", "at": "定位时间", "seq": "序号",
                "unit_id": "处置单位编号", "department": "部门", "outcome_text": "结论",
                "limit": "数量", "street": "街道编号", "offset": "起始位置"}


def field_label(model: type[BaseModel], field: str) -> str | None:
    """The field's Chinese name: the model's description (up to a first space or colon)."""
    info = model.model_fields.get(field)
    desc = (info.description or "") if info is not None else ""
    for cut in ("：", " ", "（", "("):
        desc = desc.split(cut)[0]
    return desc or FIELD_LABELS.get(field)
