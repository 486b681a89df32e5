"""Request bodies of the account and API-key administration (and of a password change)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from console.api.schemas import Body, check_in, enum_schema
from dispatch import limits, passwords
from dispatch.access import ROLES, SCOPES

Role = Annotated[str, check_in(ROLES, "角色"), enum_schema(ROLES, "角色")]
KeyScope = Annotated[str, check_in(SCOPES, "权限范围"), enum_schema(SCOPES, "权限范围")]
AreaId = Annotated[int | None, Field(default=None, ge=1, le=limits.ID_MAX)]


class _Area(Body):
    district_id: AreaId = Field(default=None, description="区县编号")
    street_id: AreaId = Field(default=None, description="街道编号")
    community_id: AreaId = Field(default=None, description="社区编号")
    grid_id: AreaId = Field(default=None, description="网格编号（网格员/外勤）")
    unit_id: AreaId = Field(default=None, description="绑定的单位（网格员/外勤必填）")


class AccountIn(_Area):
    username: str = Field(min_length=limits.USERNAME_MIN, max_length=limits.USERNAME,
                          description="用户名（字母、数字、_.-）")
    role: Role
    display_name: str | None = Field(default=None, max_length=limits.NAME, description="姓名")
    password: str | None = Field(default=None, max_length=passwords.MAX_LENGTH,
                                 description="初始密码（不填则生成临时密码，仅显示一次）")


class AccountEditIn(_Area):
    role: Role | None = None
    display_name: str | None = Field(default=None, max_length=limits.NAME)


class PasswordResetIn(Body):
    password: str | None = Field(default=None, max_length=passwords.MAX_LENGTH,
                                 description="新的临时密码（不填则生成，仅显示一次）")


class PasswordChangeIn(Body):
    current_password: str = Field(min_length=1, max_length=passwords.MAX_INPUT,
                                  description="当前密码")
    new_password: str = Field(min_length=1, max_length=passwords.MAX_INPUT,
                              description="新密码（至少 10 位，不含用户名，不在常用密码名单中）")


class ApiKeyIn(Body):
    name: str = Field(min_length=1, max_length=limits.KEY_NAME, description="密钥名称（接入方）")
    scopes: list[KeyScope] = Field(min_length=1, max_length=len(SCOPES), description="权限范围")
    district_id: AreaId = Field(default=None, description="限定区县")
    street_id: AreaId = Field(default=None, description="限定街道")
