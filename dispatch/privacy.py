"""Masks for personal data (PIPL): names, phone numbers, ID numbers and exact door numbers.

Pure string functions and one record-level mask for a case as the API returns it; the
decision whether to mask lives in :mod:`dispatch.access`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

MASK = "*"
_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)(0\d{2,3})[- ]?(\d{7,8})(?!\d)")
_ID = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3})([0-9Xx])(?![0-9A-Za-z])")
# A door, building, unit or room number: the digits before 号/栋/幢/单元/室/楼/弄.
_DOOR = re.compile(r"\d+(?:[-－]\d+)*(?=\s*(?:号|栋|幢|单元|室|楼|弄|户))")

# Fields of a case that hold personal data, by how they are masked.
NAME_FIELDS = ("caller_name",)
PHONE_FIELDS = ("caller_phone",)
TEXT_FIELDS = ("description", "note")
ADDRESS_FIELDS = ("address",)


def mask_name(name: str | None) -> str | None:
    """``张三丰`` → ``张**``: the family name stays, the length does not show."""
    if not name:
        return name
    name = name.strip()
    if not name:
        return name
    # compound surnames (欧阳, 司马 …) keep only their first character too
    return name[0] + MASK * 2


def mask_phone(phone: str | None) -> str | None:
    """``13812341234`` → ``138****1234``; a landline keeps its area code and last two digits."""
    if not phone:
        return phone
    digits = re.sub(r"\D", "", str(phone))
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    if len(digits) == 11 and digits.startswith("1"):
        return f"{digits[:3]}{MASK * 4}{digits[-4:]}"
    if len(digits) >= 7:
        return f"{digits[:3]}{MASK * (len(digits) - 5)}{digits[-2:]}"
    return MASK * max(len(digits), 4)


def mask_id_number(value: str | None) -> str | None:
    """An 18-character resident ID keeps its first and last characters only."""
    if not value:
        return value
    v = str(value).strip()
    if len(v) <= 2:
        return MASK * len(v)
    return v[0] + MASK * (len(v) - 2) + v[-1]


def mask_address(address: str | None) -> str | None:
    """``天山路128号3栋501室`` → ``天山路*号*栋*室``: the road and compound stay, doors go."""
    if not address:
        return address
    return _DOOR.sub(MASK, address)


def mask_text(text: str | None, names: Iterable[str] = ()) -> str | None:
    """Free text with phones, ID numbers, door numbers and the given names masked."""
    if not text:
        return text
    out = _ID.sub(lambda m: mask_id_number(m.group(0)) or "", text)
    out = _PHONE.sub(lambda m: f"{m.group(1)}{MASK * 4}{m.group(3)}", out)
    out = _LANDLINE.sub(lambda m: f"{m.group(1)}{MASK * len(m.group(2))}", out)
    out = _DOOR.sub(MASK, out)
    # longest first, so 张三丰 is not left as 张**丰 by 张三
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 2},
                       key=len, reverse=True):
        out = out.replace(name, mask_name(name) or "")
    return out


def mask_party(party: dict[str, Any]) -> dict[str, Any]:
    out = dict(party)
    if "name" in out:
        out["name"] = mask_name(out.get("name"))
    if "phone" in out:
        out["phone"] = mask_phone(out.get("phone"))
    for k in ("id_number", "id_card"):
        if k in out:
            out[k] = mask_id_number(out.get(k))
    if "address" in out:
        out["address"] = mask_address(out.get("address"))
    return out


def party_names(record: dict[str, Any]) -> list[str]:
    parties = record.get("parties") or []
    names = [str(p.get("name") or "") for p in parties if isinstance(p, dict)]
    if record.get("caller_name"):
        names.append(str(record["caller_name"]))
    return [n for n in names if n]


def mask_incident(record: dict[str, Any]) -> dict[str, Any]:
    """A case (detail, list row or task) with its personal data masked; ``masked`` is set.

    Notes written into the audit trail and follow-ups are free text, so they go through the
    same text mask with the case's party names.
    """
    names = party_names(record)
    out = dict(record)
    for k in NAME_FIELDS:
        if k in out:
            out[k] = mask_name(out[k])
    for k in PHONE_FIELDS:
        if k in out:
            out[k] = mask_phone(out[k])
    for k in ADDRESS_FIELDS:
        if k in out:
            out[k] = mask_address(out[k])
    for k in ("description", "title"):
        if k in out and isinstance(out[k], str):
            out[k] = mask_text(out[k], names)
    if isinstance(out.get("parties"), list):
        out["parties"] = [mask_party(p) if isinstance(p, dict) else p for p in out["parties"]]
    for k in ("audit", "followups", "closures"):
        if isinstance(out.get(k), list):
            out[k] = [_mask_row(r, names) for r in out[k]]
    out["masked"] = True
    return out


def _mask_row(row: Any, names: list[str]) -> Any:
    if not isinstance(row, dict):
        return row
    out = dict(row)
    for k in ("reason", "note", "spot_reason", "oral_terms"):
        if isinstance(out.get(k), str):
            out[k] = mask_text(out[k], names)
    if isinstance(out.get("detail"), dict):
        out["detail"] = {k: (mask_text(v, names) if isinstance(v, str) else v)
                         for k, v in out["detail"].items()
                         if k not in ("parties", "caller_name", "caller_phone")}
    return out
