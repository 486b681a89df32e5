"""A resident's report (扫码说事) as pure rules: what it must carry, and when a second one from
the same device or phone at the same place is the first one again."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dispatch import limits, vocab
from dispatch.errors import InvalidCommand

_PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,28}$")
PHONE = _PHONE  # what a resident's phone may look like (the SMS check asks it too)
# a wrong, spent or expired SMS code (the resident may clear it and send the phone unverified)
CODE_REFUSED = ("短信验证码（phone_code）错误或已过期，请重新获取；也可清空验证码，"
                "以未验证号码提交")


def normal_phone(phone: str) -> str:
    """One spelling per number: its digits, with a leading + kept (138 0013-8000 is 13800138000),
    so a limit or a code counted per phone cannot be dodged by spacing."""
    s = phone.strip()
    return ("+" if s.startswith("+") else "") + "".join(c for c in s if c.isdigit())


# how the desk shows a report's phone: proved by an SMS code, or recorded as given
PHONE_CHECK = {True: "已验证", False: "未验证"}


def phone_check(phone: str | None, verified: bool) -> str | None:
    """The desk's word for a report's phone (None: no phone given)."""
    return None if not phone else PHONE_CHECK[bool(verified and phone)]


SOURCE = "居民扫码（一码通办）"  # how accepted reports name their origin on the case


@dataclass(frozen=True, kw_only=True)
class Report:
    """The checked report, as stored."""

    category: str
    description: str
    address: str | None
    lon: float | None
    lat: float | None
    place: str | None
    name: str | None
    phone: str | None


def check(*, category: str, description: str, address: str | None, lon: float | None,
          lat: float | None, place: str | None, name: str | None, phone: str | None,
          photos: int) -> Report:
    """The report within its limits, or a refusal naming the field in Chinese."""
    if category not in vocab.CATEGORIES:
        raise InvalidCommand(f"请选择纠纷类别（category）：未知的类别 {category}",
                             field="category")
    what = limits.text(description, "发生了什么", "description", limit=limits.RESIDENT_TEXT,
                       required=True)
    where = limits.text(address, "地址", "address", limit=limits.ADDRESS)
    if (lon is None) != (lat is None):
        raise InvalidCommand("经度与纬度须同时给出（lon/lat）", field="lon")
    for v, f, lo, hi in ((lon, "lon", -180, 180), (lat, "lat", -90, 90)):
        if v is not None and not (math.isfinite(v) and lo <= v <= hi):
            raise InvalidCommand(f"坐标（{f}）超出范围", field=f)
    if lon is None and not where:
        raise InvalidCommand("请在地图上点选位置、使用手机定位或填写地址（address）",
                             field="address")
    who = limits.text(name, "姓名", "name", limit=limits.NAME)
    tel = limits.text(phone, "电话", "phone", limit=limits.PHONE)
    if tel and not _PHONE.match(tel):
        raise InvalidCommand("电话（phone）只能包含数字、空格、短横线和开头的 +", field="phone")
    if photos > limits.RESIDENT_PHOTOS:
        raise InvalidCommand(f"照片（photos）最多 {limits.RESIDENT_PHOTOS} 张", field="photos")
    return Report(category=category, description=what or "", address=where, lon=lon, lat=lat,
                  place=(place or None) and str(place)[:40], name=who, phone=tel)


def bigrams(text: str) -> set[str]:
    s = re.sub(r"\s+", "", text or "")
    return {s[i:i + 2] for i in range(len(s) - 1)} or ({s} if s else set())


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character bigrams (Chinese has no spaces to split words on)."""
    x, y = bigrams(a), bigrams(b)
    return len(x & y) / len(x | y) if x and y else 0.0


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    k = math.pi / 180
    dx = (lon2 - lon1) * k * math.cos((lat1 + lat2) / 2 * k)
    return 6_371_000 * math.hypot(dx, (lat2 - lat1) * k)


def same_place(r: Report, prior: Mapping[str, Any]) -> bool:
    if r.lon is not None and r.lat is not None and prior.get("lon") is not None:
        return metres(r.lon, r.lat, prior["lon"], prior["lat"]) <= limits.RESIDENT_DUP_METRES
    return bool(r.address and prior.get("address") and r.address == prior["address"])


def earlier(r: Report, priors: Iterable[Mapping[str, Any]], *, device: str | None,
            now: datetime) -> Mapping[str, Any] | None:
    """The earlier report this one repeats: same device or phone, same place, similar text,
    within :data:`dispatch.limits.RESIDENT_DUP_HOURS`; None when it is new."""
    since = now - timedelta(hours=limits.RESIDENT_DUP_HOURS)
    for p in priors:
        mine = (device is not None and p.get("device_hash") == device) or (
            r.phone is not None and p.get("phone") == r.phone)
        if (mine and p["submitted_at"] >= since and same_place(r, p)
                and similarity(r.description, p["description"]) >= limits.RESIDENT_DUP_SIMILARITY):
            return p
    return None
