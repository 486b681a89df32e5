"""/openapi.json and a plain, offline docs page rendered from it at /api/docs (no CDN, no JS)."""

from __future__ import annotations

import html
import json
from typing import Any

from tornado.web import RequestHandler

from console.api.openapi import document

_CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC",sans-serif;margin:0;color:#1f2937;
background:#f8fafc}
header{background:#0f172a;color:#fff;padding:16px 28px}header h1{margin:0;font-size:22px}
main{max-width:1100px;margin:0 auto;padding:16px 28px 60px}
h2{border-bottom:2px solid #cbd5e1;padding-bottom:4px;margin-top:32px}
.op{background:#fff;border:1px solid #e2e8f0;border-radius:6px;margin:10px 0;padding:10px 14px}
.m{display:inline-block;min-width:52px;font-weight:700;border-radius:4px;padding:1px 6px;
color:#fff;text-align:center;margin-right:8px}.get{background:#2563eb}.post{background:#16a34a}
code{font-family:"Noto Sans Mono",monospace}.pub{color:#b45309;font-size:12px;margin-left:8px}
table{border-collapse:collapse;margin-top:6px;font-size:13px;width:100%}
td,th{border-top:1px solid #e2e8f0;padding:3px 6px;text-align:left;vertical-align:top}
th{color:#475569;font-weight:600}
"""


def _type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(str(v) for v in schema["enum"])
    if "anyOf" in schema:
        return " 或 ".join(_type(s) for s in schema["anyOf"])
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"[{_type(schema.get('items', {}))}]"
    if "const" in schema:
        return str(schema["const"])
    return str(schema.get("type", "任意"))


def _limits(schema: dict[str, Any]) -> str:
    parts = []
    for key, label in (("minimum", "≥"), ("maximum", "≤"), ("maxLength", "最长"),
                       ("minLength", "最短"), ("maxItems", "最多项"), ("minItems", "最少项")):
        if key in schema:
            parts.append(f"{label} {schema[key]}")
    if "default" in schema:
        parts.append(f"默认 {json.dumps(schema['default'], ensure_ascii=False)}")
    return "，".join(parts)


def _rows(rows: list[tuple[str, str, str, str]]) -> str:
    if not rows:
        return ""
    head = "<tr><th>名称</th><th>类型</th><th>约束</th><th>说明</th></tr>"
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                   for r in rows)
    return f"<table>{head}{body}</table>"


def _body_rows(schema: dict[str, Any], comps: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    if "$ref" in schema:
        schema = comps[schema["$ref"].rsplit("/", 1)[-1]]
    required = set(schema.get("required", []))
    return [(name + (" *" if name in required else ""), _type(sub), _limits(sub),
             str(sub.get("description", "")))
            for name, sub in schema.get("properties", {}).items()]


def render(doc: dict[str, Any]) -> str:
    """The whole page, every text escaped."""
    comps = doc["components"]["schemas"]
    by_tag: dict[str, list[str]] = {}
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            rows = [(p["name"] + (" *" if p.get("required") else ""), _type(p["schema"]),
                     _limits(p["schema"]), str(p.get("description", "")) or
                     ("路径参数" if p["in"] == "path" else "")) for p in op["parameters"]]
            block = [f"<div class='op'><span class='m {method}'>{method.upper()}</span>"
                     f"<code>{html.escape(path)}</code> — {html.escape(op['summary'])}"
                     + ("<span class='pub'>公开</span>" if op.get("security") == [] else "")]
            block.append(_rows(rows))
            body = op.get("requestBody")
            if body:
                media, spec = next(iter(body["content"].items()))
                block.append(f"<div>请求体（{html.escape(media)}）：</div>")
                block.append(_rows(_body_rows(spec["schema"], comps)))
            block.append("</div>")
            by_tag.setdefault(op["tags"][0], []).append("".join(block))
    sections = "".join(f"<h2>{html.escape(tag)}</h2>{''.join(ops)}" for tag, ops in by_tag.items())
    intro = html.escape(doc["info"]["description"])
    return ("<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>"
            f"<title>{html.escape(doc['info']['title'])}</title><style>{_CSS}</style></head>"
            f"<body><header><h1>{html.escape(doc['info']['title'])}</h1></header><main>"
            f"<p>{intro}</p><p>机器可读文档：<a href='/openapi.json'>/openapi.json</a>"
            "（OpenAPI 3.1）。带 * 的字段必填。错误统一为 "
            "<code>{\"error\": {\"code\", \"message\", \"field\"}}</code>，message 为中文。</p>"
            f"{sections}</main></body></html>")


class OpenApiHandler(RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(document(), ensure_ascii=False))


class DocsHandler(RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(render(document()))


def docs_routes() -> list[tuple[str, type, dict[str, Any]]]:
    return [(r"/openapi\.json", OpenApiHandler, {}), (r"/api/docs/?", DocsHandler, {})]
