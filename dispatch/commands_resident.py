"""Commands of resident reports (扫码说事): submit, the desk's accept or reject, and what the
resident does on /track (add information, rate the result)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Photo:
    content: bytes
    filename: str | None = None


@dataclass(frozen=True, kw_only=True)
class SubmitResidentReport:
    """A resident's report (待审核 until a dispatcher decides); ``device`` is the hash of the
    browser's device cookie (the duplicate check tells the same device its earlier code)."""

    category: str
    description: str
    address: str | None = None
    lon: float | None = None
    lat: float | None = None
    place: str | None = None  # the poster's place (?at=community:12 / room:3)
    name: str | None = None
    phone: str | None = None
    photos: tuple[Photo, ...] = ()
    device: str | None = None
    # an SMS code the resident API has checked: spent with the report (the phone is then
    # verified); a report refused keeps it usable
    phone_code: str | None = None


@dataclass(frozen=True, kw_only=True)
class AcceptResidentReport:
    """受理: the report enters the normal intake as a case (channel ``app``)."""

    report_id: int
    actor: str
    category: str | None = None  # the dispatcher may correct the resident's choice
    priority: str = "normal"
    # the place the dispatcher picked or confirmed (WGS-84): required for an address-only report
    lon: float | None = None
    lat: float | None = None


@dataclass(frozen=True, kw_only=True)
class RejectResidentReport:
    """不予受理, with the reason the resident reads on /track."""

    report_id: int
    actor: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class AddResidentInfo:
    """补充情况 from /track (appended to the report and, once accepted, to the case's audit)."""

    code: str
    text: str


@dataclass(frozen=True, kw_only=True)
class RateResident:
    """The resident's own rating of the result (1-5), once the case is done; never the
    officer's 回访 record."""

    code: str
    rating: int
    note: str | None = None
