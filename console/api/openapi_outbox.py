"""The OpenAPI operations of notifications, webhooks and the 12345 exchange (issue 17), merged
into :mod:`console.api.openapi`'s table; :data:`EXCHANGE_DESCRIPTION` documents what goes back."""

from __future__ import annotations

from typing import Any

from console.api.schemas_webhooks import SupervisorsIn, WebhookIn

ADMIN = "/api/v1/admin"
HOOK = f"{ADMIN}/webhooks/{{hook_id}}"

PATH_PARAMS: dict[str, dict[str, Any]] = {
    "hook_id": {"type": "integer", "minimum": 1, "maximum": 999_999_999},
    "row_id": {"type": "integer", "minimum": 1, "maximum": 999_999_999_999_999},
    "hook_act": {"type": "string", "enum": ["disable", "enable"]},
}
SAMPLES = {"hook_id": "1", "row_id": "1", "hook_act": "disable"}

EXCHANGE_DESCRIPTION = (
    "Webhook：每次投递为 JSON POST，头部 X-FQ-Timestamp（Unix 秒）、X-FQ-Signature"
    "（sha256=HMAC-SHA256(订阅密钥, 时间戳 + \".\" + 请求体) 的十六进制）、X-FQ-Delivery（幂等键："
    "重试时不变，接收方据此去重）、X-FQ-Event（事件类型）。普通订阅的请求体为 {event, case, "
    "occurred_at}，case 只含编号、类别、状态、层级、街道与紧急程度；标记为可信平台的订阅另含当事人"
    "姓名与电话。至少投递一次、按指数退避重试；同一案件发往同一接收地址的投递按产生顺序逐条送出"
    "（前一条送达或最终失败后才送下一条，故不会先收到办结再收到受理），不同案件之间不保证顺序。"
    "12345 工单回传（订阅的 source 与案件的 external_source 相同）：{externalId 来源平台工单编号, "
    "caseCode 本平台案件编号, stateCode 状态代码（10 已受理、20 已派发、21 已签收、30 办理中、"
    "31 已上报、40 已办结、50 已回访、60 已归档）, stateName 状态名称, resultText 办理结果（办结后："
    "先是结果类别：调解成功、转诉讼、转仲裁、撤回、调解不成，其后依次为“办理结果：”办结记录的说明、"
    "“书面协议：”协议条款或“口头协议：”口头协议内容、“转交：”接收机关，各段以“；”分隔，至多 1000 字；"
    "订阅未标记为可信平台时，其中当事人姓名、电话、身份证号与门牌号按脱敏规则遮盖（如 张*、"
    "138****0001）；办结之前为 null）, handledAt 办理时间（ISO 8601）, "
    "handlingUnit 承办单位（派往该案的力量，以“、”分隔）, eventType 事件类型}。"
    "POST /api/v1/incidents 带 external_source 与 external_id：同一来源同一编号再次提交返回原案件"
    "（200，existing=true），不新建。")


def outbox_ops(Op: Any, Param: Any) -> tuple[Any, ...]:
    """The operations, built with the table's own ``Op`` and ``Param`` types."""
    return (
        Op("get", f"{ADMIN}/outbox", "通知发件箱：按渠道与状态计数、未配置的渠道、最近的投递记录",
           "通知与 Webhook",
           query=(Param("state", "string", "状态", enum=("pending", "delivered", "failed",
                                                          "skipped", "cancelled")),
                  Param("limit", "integer", "条数上限", minimum=1, maximum=500))),
        Op("post", f"{ADMIN}/outbox/{{row_id}}/retry", "重发一条失败或未发送的通知（记入审计）",
           "通知与 Webhook"),
        Op("get", f"{ADMIN}/webhooks", "Webhook 订阅列表（不含密钥）与可选事件类型",
           "通知与 Webhook"),
        Op("post", f"{ADMIN}/webhooks", "新建 Webhook 订阅：密钥只在此答复中出现一次",
           "通知与 Webhook", body=WebhookIn, ok=201),
        Op("delete", HOOK, "删除订阅（待发送的投递取消，投递记录保留）", "通知与 Webhook"),
        Op("post", f"{HOOK}/{{hook_act}}", "停用或启用订阅", "通知与 Webhook"),
        Op("get", f"{HOOK}/deliveries", "订阅的投递记录（最新在前）", "通知与 Webhook"),
        Op("get", f"{ADMIN}/supervisors", "督办人名单（案件上报时通知），及可选的账号与街道",
           "通知与 Webhook"),
        Op("post", f"{ADMIN}/supervisors", "整体替换督办人名单（校验并记入审计）",
           "通知与 Webhook", body=SupervisorsIn),
    )
