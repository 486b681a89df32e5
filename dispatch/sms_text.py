"""SMS texts per kind of message: the defaults, their placeholders, the check and the filling.

The texts live in the editable policy (``Policy.sms_templates``, edited on /admin and audited
like every policy edit). Each kind has a text with ``{placeholder}`` fields and an optional
gateway template id (the 模板编号 a Chinese SMS platform registers for that text; gateways that
send free text ignore it). The defaults, and what each placeholder carries:

========== ============================================================== ======================
kind       default text                                                   placeholders
========== ============================================================== ======================
task       新任务：案件{code}（{category}），{address}，请及时签收。         code category address
supervise  督办：案件{code}（{category}）已督办，请尽快处置并反馈。           code category address
escalated  上报：案件{code}（{category}）已上报至{level}，请研处。            code category address
                                                                                     level
accepted   您反映的{category}已受理，查询码{ref}。                           ref category
resolved   您反映的{category}已办结，查询码{ref}。如有意见请回复或来电。       ref category
verify     您的验证码为{code}，{minutes}分钟内有效。如非本人操作请忽略。       code minutes
========== ============================================================== ======================

``code`` is the case number (``verify``: the six digits), ``category`` the category's Chinese
name, ``address`` the first 40 characters of the address, ``level`` the level escalated to,
``ref`` the resident's tracking code (else the case number), ``minutes`` the code's lifetime.
A text naming any other placeholder, or using format specs (``{code:>5}``), attribute or index
access, is refused with the field and the placeholder named; so is a text longer than
:data:`dispatch.limits.SMS_TEXT` once filled with placeholders at their longest.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any

from dispatch import limits
from dispatch.errors import InvalidCommand

LABELS = {"task": "新任务", "supervise": "督办", "accepted": "受理", "resolved": "办结",
          "escalated": "上报", "verify": "手机验证码"}
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "task": ("code", "category", "address"), "supervise": ("code", "category", "address"),
    "escalated": ("code", "category", "address", "level"), "accepted": ("ref", "category"),
    "resolved": ("ref", "category"), "verify": ("code", "minutes")}
# what a text must carry to do its job: the code a resident types, the case a unit looks up,
# the tracking code a party follows the case with
REQUIRED = {"verify": "code", "task": "code", "supervise": "code", "escalated": "code",
            "accepted": "ref", "resolved": "ref"}
# the longest a placeholder's value can be: the length check fills each one at this length
WIDEST = {"code": 20, "category": 8, "address": 40, "level": 6, "ref": 20, "minutes": 3}
DEFAULTS: dict[str, dict[str, str]] = {
    "task": {"text": "新任务：案件{code}（{category}），{address}，请及时签收。"},
    "supervise": {"text": "督办：案件{code}（{category}）已督办，请尽快处置并反馈。"},
    "escalated": {"text": "上报：案件{code}（{category}）已上报至{level}，请研处。"},
    "accepted": {"text": "您反映的{category}已受理，查询码{ref}。"},
    "resolved": {"text": "您反映的{category}已办结，查询码{ref}。如有意见请回复或来电。"},
    "verify": {"text": "您的验证码为{code}，{minutes}分钟内有效。如非本人操作请忽略。"},
}


def defaults() -> dict[str, dict[str, str]]:
    """A fresh copy of the default texts (no gateway template ids)."""
    return {k: {"text": v["text"], "gateway_id": ""} for k, v in DEFAULTS.items()}


def fields_of(text: str, where: str) -> list[str]:
    """The placeholders ``text`` names, or a refusal naming ``where`` (a malformed brace)."""
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        raise InvalidCommand(f"短信模板 {where} 的花括号不成对（占位符写作 {{名称}}）",
                             field=where) from None
    out = []
    for _, name, spec, conv in parts:
        if name is None:
            continue
        if spec or conv or not name.isidentifier():
            raise InvalidCommand(f"短信模板 {where} 的占位符 {{{name}}} 写法有误（只可写 {{名称}}）",
                                 field=where)
        out.append(name)
    return out


def check(templates: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Every kind with a known text within the limit; the stored shape, or a refusal."""
    unknown = sorted(set(templates) - set(LABELS))
    if unknown:
        raise InvalidCommand(f"未知的短信模板：{', '.join(unknown)}（可用：{'、'.join(LABELS)}）",
                             field="sms_templates")
    out = defaults()
    for kind, entry in templates.items():
        where = f"sms_templates.{kind}"
        if not isinstance(entry, Mapping) or set(entry) - {"text", "gateway_id"}:
            raise InvalidCommand(f"短信模板 {where} 应为 {{text, gateway_id}}", field=where)
        text = str(entry.get("text", out[kind]["text"]) or "").strip()
        if not text:
            raise InvalidCommand(f"短信模板 {where}（{LABELS[kind]}）的内容不能为空", field=where)
        allowed = PLACEHOLDERS[kind]
        for name in fields_of(text, where):
            if name not in allowed:
                raise InvalidCommand(
                    f"短信模板 {where}（{LABELS[kind]}）中的占位符 {{{name}}} 未知，"
                    f"可用：{'、'.join('{' + a + '}' for a in allowed)}", field=where)
        if REQUIRED[kind] not in fields_of(text, where):
            raise InvalidCommand(f"短信模板 {where}（{LABELS[kind]}）须包含占位符 "
                                 f"{{{REQUIRED[kind]}}}", field=where)
        longest = len(text.format_map({a: "字" * WIDEST[a] for a in allowed}))
        if longest > limits.SMS_TEXT:
            raise InvalidCommand(
                f"短信模板 {where}（{LABELS[kind]}）过长：占位符填满时 {longest} 字，"
                f"上限 {limits.SMS_TEXT} 字", field=where)
        gid = str(entry.get("gateway_id", out[kind]["gateway_id"]) or "").strip()
        if len(gid) > limits.SMS_GATEWAY_ID or not all(c.isalnum() or c in "_-." for c in gid):
            raise InvalidCommand(f"短信模板 {where} 的网关模板编号（gateway_id）须为不超过 "
                                 f"{limits.SMS_GATEWAY_ID} 位的字母、数字、_-.", field=where)
        out[kind] = {"text": text, "gateway_id": gid}
    return out


def fill(templates: Mapping[str, Mapping[str, str]], kind: str, params: Mapping[str, Any]
         ) -> dict[str, Any]:
    """The SMS payload for ``kind``: the filled text, the parameters and the gateway id."""
    entry = templates.get(kind) or DEFAULTS[kind]
    values = {a: str(params.get(a, ""))[:WIDEST[a]] for a in PLACEHOLDERS[kind]}
    out: dict[str, Any] = {"text": entry["text"].format_map(values), "params": values}
    if entry.get("gateway_id"):
        out["template_id"] = entry["gateway_id"]
    return out
