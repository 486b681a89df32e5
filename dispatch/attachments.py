"""Attachments as pure rules: the type sniffed from the bytes (JPEG, PNG, WebP, PDF only),
the size limit, the SHA-256 and a safe file name; a claimed name or type counts for nothing."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from dispatch.errors import InvalidCommand

# The upload route's own body limit derives from this one constant (multipart adds headers).
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024
TYPES: dict[str, str] = {"image/jpeg": "照片（JPEG）", "image/png": "图片（PNG）",
                         "image/webp": "图片（WebP）", "application/pdf": "文档（PDF）"}
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp",
              "application/pdf": "pdf"}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


@dataclass(frozen=True)
class Upload:
    content_type: str
    sha256: str
    size: int
    filename: str


def sniff(content: bytes) -> str | None:
    """The type the bytes themselves declare, or None (HTML, scripts, anything else)."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    return None


def safe_name(name: str | None, content_type: str) -> str:
    """The sender's file name without paths or control characters, ending as its type."""
    base = _UNSAFE.sub("_", (name or "").replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{(stem or '附件')[:100]}.{EXTENSIONS[content_type]}"


def check_upload(content: bytes, filename: str | None) -> Upload:
    """Refuse an empty, oversized or unknown file (422 naming ``file``)."""
    if not content:
        raise InvalidCommand("附件（file）为空", field="file")
    if len(content) > UPLOAD_MAX_BYTES:
        raise InvalidCommand(f"附件（file）超过 {UPLOAD_MAX_BYTES // (1024 * 1024)} MB 上限",
                             field="file")
    kind = sniff(content)
    if kind is None:
        raise InvalidCommand("附件（file）的内容不是 JPEG、PNG、WebP 图片或 PDF 文档"
                             "（按文件内容识别，与扩展名无关）", field="file")
    return Upload(kind, hashlib.sha256(content).hexdigest(), len(content),
                  safe_name(filename, kind))
