"""A resident's side of 扫码说事 over HTTP, shared by the resident tests and the triage bench: a
real small PNG, and a report form with its proof-of-work challenge fetched and solved."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import requests

from dispatch import challenge

R = "/api/v1/resident"
DESCRIPTION = "楼上装修每天早上六点开始电钻，沟通无果"


def png() -> bytes:
    """A real 2×2 PNG (red), made here."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def solved_form(base: str, s: requests.Session, **fields: str) -> dict[str, str]:
    """The report's form fields (a neighbour dispute unless ``fields`` say otherwise) with a
    fresh challenge solved, as the resident's phone sends them."""
    ch = s.post(f"{base}{R}/challenge", timeout=30)
    assert ch.status_code == 201, ch.text
    c = ch.json()
    return {"category": "neighbour", "description": DESCRIPTION, "nonce": c["nonce"],
            "answer": challenge.solve(c["nonce"], c["bits"]), **fields}


def photo_parts(n: int) -> list[tuple[str, Any]] | None:
    """``n`` photo parts of a multipart report (None: none)."""
    return [("photo", (f"现场{i}.png", png(), "image/png")) for i in range(n)] or None


def report(base: str, session: requests.Session | None = None, *, photos: int = 0,
           **fields: str) -> requests.Response:
    """POST a report with ``photos`` photos (challenge solved first)."""
    s = session or requests.Session()
    form = solved_form(base, s, **fields)
    return s.post(f"{base}{R}/reports", data=form, files=photo_parts(photos), timeout=60)
