"""Masks for personal data (PIPL): names, phone numbers, ID numbers and exact door numbers.

The one owner of masking: pure string functions, :func:`mask_deep` for any record with every
text in it, and :func:`mask_incident` for a case as a face returns it. The decision whether to
mask lives in :mod:`dispatch.access` (``masks_incident``); the console applies both on the way
out (``console.api.auth_scope``), for every face: API, desk, field page, exports, audit.
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


# Keys whose values the system itself writes (codes, states, labels, area and unit names,
# usernames): never party text, left as they are so a masked record stays readable.
SAFE_KEYS = frozenset({
    "code", "other_code", "state", "from_state", "to_state", "action", "entity", "category",
    "channel", "priority_code", "priority_label", "state_label", "kind", "level", "role",
    "street_name", "community_name", "grid_name", "micro_grid_name",
    "police_grid_name", "unit_code", "unit_name", "unit_type_label", "unit_status_label",
    "actor", "opened_by", "assigned_by", "blown_by", "recorded_by", "report_by", "created_by",
    "department", "risk_label", "language", "difficulty", "action_label", "entity_label"})
# Keys that hold one personal value, masked by what they are rather than as free text.
FIELD_MASKS = {"caller_name": mask_name, "caller_phone": mask_phone, "phone": mask_phone,
               "id_number": mask_id_number, "id_card": mask_id_number}
# Keys dropped from a masked record: the raw copies an audit detail may keep.
DROP_KEYS = frozenset({"caller_name_raw"})
_DIGIT = re.compile(r"\d")


def mask_str(value: str, names: Iterable[str] = ()) -> str:
    """:func:`mask_text`, skipped when it could change nothing: every pattern it masks needs a
    digit, and a name must appear (most system text is codes and states)."""
    names = list(names)
    if _DIGIT.search(value) is None and not any(n and n in value for n in names):
        return value
    return mask_text(value, names) or value


def mask_deep(value: Any, names: Iterable[str] = (), key: str = "") -> Any:
    """Every text in ``value`` (a record, its nested lists and dicts) masked: personal fields by
    what they are (:data:`FIELD_MASKS`, ``parties``), every other string as free text with the
    given party names, so a reason, title, note, supervision or audit detail that embeds a
    party's name, phone or door number leaves masked too. The one masker every face uses."""
    names = names if isinstance(names, list) else list(names)
    if isinstance(value, str):
        if key in SAFE_KEYS:
            return value
        masker = FIELD_MASKS.get(key)
        return (masker(value) or "") if masker else mask_str(value, names)
    if isinstance(value, list | tuple):
        if key == "parties":
            return [mask_party(p) if isinstance(p, dict) else mask_deep(p, names)
                    for p in value]
        return [mask_deep(v, names) for v in value]
    if isinstance(value, dict):
        return {k: mask_deep(v, names, k) for k, v in value.items() if k not in DROP_KEYS}
    return value


def mask_incident(record: dict[str, Any], names: Iterable[str] = ()) -> dict[str, Any]:
    """A case (detail, list row, task or desk row) with its personal data masked; ``masked`` is
    set. Every text in it, however deep (title, description, address, audit trail,
    supervisions, links' reasons, whistles, consultations, follow-ups), goes through
    :func:`mask_deep` with the case's party names (and ``names``, when the record does not
    carry its parties)."""
    all_names = sorted({*party_names(record), *(n for n in names if n)}, key=len, reverse=True)
    out = mask_deep({k: v for k, v in record.items() if k != "masked"}, all_names)
    out["masked"] = True
    return out


def mask_fields(record: dict[str, Any], keys: Iterable[str],
                names: Iterable[str] = ()) -> dict[str, Any]:
    """A row the system built itself (a desk queue row, a map marker) whose only texts derived
    from the parties are ``keys`` (a title, an address): those masked as :func:`mask_deep`
    would, the rest left alone — 2,000 desk rows a delivery cost ~1 s through the deep walk."""
    names = list(names)
    out = dict(record)
    for k in keys:
        if isinstance(out.get(k), str):
            out[k] = mask_str(out[k], names)
    out["masked"] = True
    return out
