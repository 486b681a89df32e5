"""The OpenAPI operations of the mediator's record (五步, sessions, agreement, 司法确认,
attachments, 延期, per-mediator record), merged into :mod:`console.api.openapi`'s table."""

from __future__ import annotations

from typing import Any

from console.api import schemas_record as sr

INC = "/api/v1/incidents/{incident_id}"


def record_ops(Op: Any, Param: Any) -> tuple[Any, ...]:
    """The operations, built with the table's own ``Op`` and ``Param`` types."""

    def q(name: str, kind: str, desc: str, **kw: Any) -> Any:
        return Param(name, kind, desc, **kw)

    return (
        Op("get", f"{INC}/record", "调解档案：五步记录、调解安排、协议书、司法确认、附件、延期", "调解档案"),
        Op("post", f"{INC}/steps", "记录五步之一（听、查、议、调、定）", "调解档案", body=sr.StepIn,
           ok=201),
        Op("post", f"{INC}/sessions", "安排调解（调解室冲突检测；面对面/背对背；参加人员）", "调解档案",
           body=sr.SessionIn, ok=201),
        Op("post", f"{INC}/sessions/{{session_id}}/cancel", "取消调解安排", "调解档案",
           body=sr.CancelIn, ok=201),
        Op("post", f"{INC}/agreement", "制作调解协议书（更正即新版本，旧版保留）", "调解档案",
           body=sr.AgreementIn, ok=201),
        Op("get", f"{INC}/agreement.pdf", "调解协议书 PDF（最新版或指定版本）", "调解档案",
           query=(q("version", "integer", "版本号", minimum=1, maximum=999),),
           media="application/pdf"),
        Op("post", f"{INC}/judicial", "司法确认：已申请、已确认、不予确认", "调解档案",
           body=sr.JudicialIn, ok=201),
        Op("post", f"{INC}/attachments", "上传附件（JPEG/PNG/WebP/PDF，按内容识别，multipart）",
           "调解档案", ok=201, form=True,
           extra={"multipart": True, "fields": {"file": "附件文件（单个）"}}),
        Op("get", "/api/v1/attachments/{attachment_id}", "读取附件（仅限可查看当事人信息者）",
           "调解档案", media="application/octet-stream"),
        Op("post", f"{INC}/extensions", "申请延期（天数与理由）", "调解档案", body=sr.ExtensionIn,
           ok=201),
        Op("post", f"{INC}/extensions/{{extension_id}}/decision", "上级审批延期（批准则办结时限顺延）",
           "调解档案", body=sr.DecisionIn, ok=201),
        Op("get", "/api/v1/mediators/record", "调解员个人档案：办理、成功、满意度、超期、延期", "调解档案",
           query=(q("days", "integer", "统计天数（默认 30）", minimum=1, maximum=366),
                  q("unit", "integer", "单位编号", minimum=1, maximum=2**31 - 1),
                  q("type", "string", "力量类型", max_length=30))),
    )


_ID = {"type": "integer", "minimum": 1, "maximum": 999_999_999}
RECORD_PATH_PARAMS: dict[str, dict[str, Any]] = {"session_id": _ID, "extension_id": _ID,
                                                 "attachment_id": _ID}
RECORD_SAMPLES = {"session_id": "1", "extension_id": "1", "attachment_id": "1"}
