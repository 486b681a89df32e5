"""Bodies of the webhook administration API (/api/v1/admin/webhooks)."""

from __future__ import annotations

from typing import Annotated, TypeAlias

from pydantic import Field, field_validator

from console.api.schemas import Body, check_in, enum_schema
from dispatch import limits
from dispatch.webhooks import CASE_EVENT_TYPES

EventType: TypeAlias = Annotated[str, check_in(CASE_EVENT_TYPES, "事件类型"),
                                 enum_schema(CASE_EVENT_TYPES, "事件类型")]
AreaId = Annotated[int | None, Field(default=None, ge=1, le=limits.ID_MAX)]


class WebhookIn(Body):
    """订阅：事件类型（不选为全部）与区域（不选为全辖区）；source 为来源平台（如 12345）时，
    只推送来自该平台的案件的状态与结果（工单回传格式），不看事件类型。"""

    name: str = Field(min_length=1, max_length=limits.WEBHOOK_NAME, description="订阅名称（接收方）")
    url: str = Field(min_length=8, max_length=limits.WEBHOOK_URL,
                     description="接收地址（http 或 https 协议）")
    event_types: list[EventType] = Field(default_factory=list, max_length=len(CASE_EVENT_TYPES),
                                         description="事件类型")
    district_id: AreaId = Field(default=None, description="限定区县")
    street_id: AreaId = Field(default=None, description="限定街道")
    source: str | None = Field(default=None, min_length=1, max_length=limits.EXTERNAL_SOURCE,
                               description="来源平台：回传该平台转来的案件（如 12345）")
    trusted: bool = Field(default=False, description="可信平台：推送内容含当事人姓名与电话")

    @field_validator("url")
    @classmethod
    def _http(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")) or any(c.isspace() for c in v):
            raise ValueError("接收地址须以 http:// 或 https:// 开头，且不含空白")
        return v


class SupervisorIn(Body):
    """督办人：选一个账号（姓名默认取其显示名）或直接填写姓名；手机号与电子邮箱至少一项。"""

    username: str | None = Field(default=None, max_length=limits.USERNAME, description="账号")
    name: str | None = Field(default=None, max_length=limits.NAME, description="姓名")
    phone: str | None = Field(default=None, max_length=limits.PHONE, description="手机号")
    email: str | None = Field(default=None, max_length=limits.EMAIL, description="电子邮箱")
    street_id: AreaId = Field(default=None, description="只接收该街道的上报（不填为全辖区）")


class SupervisorsIn(Body):
    """督办人名单（整体替换）：案件上报时按名单发送短信与邮件。"""

    people: list[SupervisorIn] = Field(max_length=limits.SUPERVISORS, description="督办人")
    reason: str | None = Field(default=None, max_length=limits.REASON, description="修改原因")
