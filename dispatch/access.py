"""Who may do what, where: roles, API-key scopes, jurisdiction and the masking decision.

Pure rules, no database. A :class:`Principal` is the authenticated caller (an account or an
API key); the console asks :func:`may` before a command, :func:`sees_incident` /
:func:`sees_unit` before showing a record, :func:`scope_of` for the filter of a list, and
:func:`masks_incident` whether personal data must be masked for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

ROLES: dict[str, str] = {
    "admin": "系统管理员",
    "duty": "市级值班长",
    "dispatcher": "街道调度员",
    "field": "网格员/外勤",
    "leader": "领导（只读）",
}

# What each action is called where a refusal names it.
ACTIONS: dict[str, str] = {
    "read": "查看",
    "incident.create": "登记案件",
    "incident.locate": "定位案件",
    "incident.assign": "派单",
    "incident.transition": "变更案件状态",
    "incident.followup": "回访",
    "incident.supervise": "督办",
    "incident.recommend": "查看派单推荐",
    "incident.unmask": "查看完整个人信息",
    "wall": "查看大屏与统计",
    "incident.extend": "审批延期",
    "unit.position": "上报位置",
    "unit.status": "变更单位状态",
    "desk": "使用值班台",
    "simulate": "运行模拟",
    "admin": "管理账号与审计",
}

_DISPATCH = frozenset({"read", "incident.create", "incident.locate", "incident.assign",
                       "incident.transition", "incident.followup", "incident.supervise",
                       "incident.recommend", "incident.unmask", "unit.position", "unit.status",
                       "desk", "wall", "incident.extend"})
ROLE_ACTIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(ACTIONS),
    "duty": _DISPATCH | {"simulate"},
    "dispatcher": _DISPATCH,
    "field": frozenset({"read", "incident.create", "incident.transition", "incident.followup",
                        "unit.position", "unit.status"}),
    "leader": frozenset({"read", "incident.unmask", "wall"}),
}

# Scopes an integration's API key may hold, and what each allows. ``open311`` is the face of
# the GeoReport v2 endpoints (a key without it is refused there); ``admin`` opens the admin API
# (accounts, keys, imports) to a provisioning script. A key never unmasks parties.
SCOPES: dict[str, frozenset[str]] = {
    "open311": frozenset({"read", "incident.create"}),
    "device": frozenset({"unit.position", "unit.status"}),
    "read": frozenset({"read", "wall"}),
    "dispatch": _DISPATCH - {"incident.unmask"},
    "admin": frozenset({"read", "admin"}),
}
SCOPE_LABELS: dict[str, str] = {
    "open311": "Open311 诉求接入（提交与查询本方诉求）",
    "device": "终端上报（位置与单位状态）",
    "read": "只读（案件、力量、统计）",
    "dispatch": "调度（登记、定位、派单、流转，不含查看完整个人信息）",
    "admin": "管理（账号、密钥、导入、策略、审计）",
}

# The jurisdiction levels an account or key may be given, widest first.
LEVELS: dict[str, str] = {"city": "全市", "district": "区县", "street": "街道",
                          "community": "社区", "grid": "网格"}

# The faces (path prefixes) each scope of an API key reaches; a key reaches the union of its
# scopes' faces and gets 403 elsewhere. An Open311 key is for the Open311 face only: through
# /api/v1 it would read every case of its street with its audit trail, the staff and exports.
KEY_FACES: dict[str, tuple[str, ...]] = {
    "open311": ("/open311/",),
    "device": ("/api/v1/units/", "/api/v1/auth/me"),
    "read": ("/api/v1/",),
    "dispatch": ("/api/v1/",),
    "admin": ("/api/v1/admin/", "/api/v1/auth/me"),  # provisioning scripts: the admin API only
}

# The page each role lands on after logging in.
HOME_PAGES: dict[str, str] = {"admin": "/admin", "duty": "/desk", "dispatcher": "/desk",
                              "leader": "/wall", "field": "/field"}


@dataclass(frozen=True, kw_only=True)
class Principal:
    """An authenticated caller: an account with a role, or an API key with scopes."""

    name: str
    kind: str = "account"  # "account" | "api_key"
    role: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    account_id: int | None = None
    key_id: int | None = None
    district_id: int | None = None
    # the streets of ``district_id``, filled by whoever loads the principal from the database
    district_streets: frozenset[int] = field(default_factory=frozenset)
    street_id: int | None = None
    community_id: int | None = None
    grid_id: int | None = None
    unit_id: int | None = None
    display_name: str | None = None
    must_change_password: bool = False

    @property
    def actor(self) -> str:
        """The name written into the audit log (the username, or the key's name)."""
        return self.name[:60]

    @property
    def actions(self) -> frozenset[str]:
        if self.kind == "api_key":
            out: frozenset[str] = frozenset()
            for s in self.scopes:
                out |= SCOPES.get(s, frozenset())
            return out
        return ROLE_ACTIONS.get(self.role or "", frozenset())

    @property
    def whole_territory(self) -> bool:
        return scope_of(self).unrestricted

    def home_page(self) -> str:
        page = HOME_PAGES.get(self.role or "", "/")
        if page == "/field" and self.unit_id is not None:
            return f"/field?unit={self.unit_id}"
        return page

    def as_dict(self) -> dict[str, Any]:
        """What ``GET /auth/me`` tells the caller about itself."""
        out: dict[str, Any] = {"username": self.name, "kind": self.kind, "role": self.role,
                               "role_label": ROLES.get(self.role or "", "接口密钥"),
                               "display_name": self.display_name or self.name,
                               "actions": sorted(self.actions), "home": self.home_page()}
        if self.kind == "api_key":
            out["scopes"] = sorted(self.scopes)
        scope = scope_of(self)
        out["jurisdiction"] = scope.as_dict()
        for k in ("district_id", "street_id", "community_id", "grid_id", "unit_id"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        if self.must_change_password:
            out["must_change_password"] = True
        return out


@dataclass(frozen=True, kw_only=True)
class Scope:
    """The part of the territory a principal sees; all ``None`` means the whole territory.

    Incidents match when they lie in the district's streets / the street / community / grid, or
    (``unit_id``) when that unit is assigned to them, or (``creator``) when the principal
    registered them. :attr:`streets` is the one answer to "which streets": every street filter
    (rules here, SQL in :mod:`dispatch.views`) asks it, so a district is its streets everywhere.
    """

    district_id: int | None = None
    district_streets: frozenset[int] = field(default_factory=frozenset)
    street_id: int | None = None
    community_id: int | None = None
    grid_id: int | None = None
    unit_id: int | None = None
    creator: str | None = None

    @property
    def unrestricted(self) -> bool:
        return (self.district_id is None and self.street_id is None
                and self.community_id is None and self.grid_id is None and self.unit_id is None)

    @property
    def streets(self) -> frozenset[int] | None:
        """The streets this scope is limited to (None: no street limit). A district with no
        streets yields the empty set: nothing, never everything."""
        if self.street_id is not None:
            if self.district_id is not None and self.street_id not in self.district_streets:
                return frozenset()
            return frozenset({self.street_id})
        if self.district_id is not None:
            return self.district_streets
        return None

    def covers_street(self, street_id: Any) -> bool:
        streets = self.streets
        return streets is None or street_id in streets

    @property
    def level(self) -> str:
        if self.unrestricted:
            return "city"
        if self.grid_id is not None or self.unit_id is not None:
            return "grid"
        if self.community_id is not None:
            return "community"
        return "street" if self.street_id is not None else "district"

    def as_dict(self) -> dict[str, Any]:
        if self.unrestricted:
            return {"level": "city", "label": "全市"}
        return {"level": self.level, "label": LEVELS[self.level],
                "district_id": self.district_id, "street_id": self.street_id,
                "community_id": self.community_id, "grid_id": self.grid_id,
                "unit_id": self.unit_id}


def _area(p: Principal) -> dict[str, Any]:
    return {"district_id": p.district_id, "district_streets": p.district_streets,
            "street_id": p.street_id, "community_id": p.community_id}


def scope_of(p: Principal) -> Scope:
    """The jurisdiction a principal's lists and checks are limited to.

    Administrators see the whole territory; duty officers and leaders theirs when they are
    given a district, street or community (a 区级值班长), the whole territory otherwise.
    """
    if p.kind == "api_key":
        return Scope(**_area(p))
    if p.role == "admin":
        return Scope()
    if p.role in ("duty", "leader"):
        return Scope(**_area(p))
    if p.role == "dispatcher":
        return Scope(**_area(p), creator=p.name)
    if p.role == "field":
        # a field account with no grid sees only its own unit's tasks
        return Scope(grid_id=p.grid_id, unit_id=p.unit_id if p.unit_id is not None else -1,
                     creator=p.name)
    return Scope(unit_id=-1)  # unknown role: nothing


def reaches(p: Principal, path: str) -> bool:
    """Whether the principal may use the route at ``path`` at all: accounts reach every face
    (their role decides the rest), an API key only its scopes' faces (:data:`KEY_FACES`)."""
    if p.kind != "api_key":
        return True
    return any(path.startswith(face) for s in p.scopes for face in KEY_FACES.get(s, ()))


def face_refusal(p: Principal, path: str) -> str:
    faces = "、".join(sorted({f for s in p.scopes for f in KEY_FACES.get(s, ())})) or "无"
    return f"权限不足：该接口密钥（{'、'.join(sorted(p.scopes)) or '无权限范围'}）只能用于 {faces}"


def may(p: Principal, action: str) -> bool:
    """Whether the principal's role or scopes allow ``action`` at all (jurisdiction aside)."""
    return action in p.actions


def refusal(p: Principal, action: str) -> str:
    """The Chinese reason a refused caller reads."""
    who = ROLES.get(p.role or "", "该接口密钥") if p.kind == "account" else "该接口密钥"
    return f"权限不足：{who}不能{ACTIONS.get(action, action)}"


def _in_area(scope: Scope, row: Mapping[str, Any], grid_key: str) -> bool:
    if not scope.covers_street(row.get("street_id")):
        return False
    if scope.community_id is not None and row.get("community_id") != scope.community_id:
        return False
    if scope.grid_id is not None and row.get(grid_key) != scope.grid_id:
        return False
    return not (scope.grid_id is None and scope.unit_id is not None
                and scope.streets is None and scope.community_id is None)


def sees_incident(p: Principal, incident: Mapping[str, Any],
                  unit_ids: Iterable[int] = ()) -> bool:
    """Whether ``incident`` (with ``street_id``, ``community_id``, ``grid_id`` and optionally
    ``created_by``) lies in the principal's jurisdiction; ``unit_ids`` are its active units."""
    scope = scope_of(p)
    if scope.unrestricted:
        return True
    if scope.unit_id is not None and scope.unit_id in set(unit_ids):
        return True
    if scope.creator is not None and incident.get("created_by") == scope.creator:
        return True
    return _in_area(scope, incident, "grid_id")


def sees_area(p: Principal, area: Mapping[str, Any]) -> bool:
    """Whether an area (``street_id``, ``community_id``, ``grid_id``; the ids the area and its
    parents have, ``None`` for the levels above it) lies wholly in the principal's jurisdiction:
    what aggregates (statistics, the wall, a street's export) are cut by. A field account
    sees no area as a whole, only its grid's and unit's cases."""
    scope = scope_of(p)
    if scope.unrestricted:
        return True
    if scope.grid_id is None and scope.unit_id is not None:
        return False
    if not scope.covers_street(area.get("street_id")):  # a street, or a district's streets
        return False
    for key, value in (("community_id", scope.community_id), ("grid_id", scope.grid_id)):
        if value is not None and area.get(key) != value:
            return False
    return True


def area_floor(p: Principal) -> dict[str, int]:
    """The widest area a principal's aggregates may cover: ``{}`` for the whole territory,
    else the ids of its street (and community, grid) — where a street's wall opens."""
    scope = scope_of(p)
    if scope.unrestricted:
        return {}
    if scope.street_id is None and scope.district_id is not None:
        # a district has no single area below the city: its readers name one of its streets
        return {"district_id": scope.district_id}
    ids: tuple[tuple[str, int | None], ...] = (
        ("street_id", scope.street_id), ("community_id", scope.community_id),
        ("grid_id", scope.grid_id))
    return {k: v for k, v in ids if v is not None}


def area_filter(p: Principal) -> dict[str, Any]:
    """The SQL area filter of a reader's aggregates (heat, coverage): ``{}`` for the whole
    territory, the ids of its street/community/grid, ``street_ids`` for a district (its
    streets), ``{"street_id": -1}`` (nothing) for a reader with no area of its own."""
    if scope_of(p).unrestricted:
        return {}
    floor: dict[str, Any] = dict(area_floor(p))
    if "district_id" in floor:
        return {"street_ids": sorted(scope_of(p).streets or ()) or [-1]}
    return floor or {"street_id": -1}


def sees_unit(p: Principal, unit: Mapping[str, Any]) -> bool:
    """Whether a unit (``id``, ``street_id``, ``community_id``, ``home_grid_id``/``grid_id``)
    belongs to the principal's jurisdiction; a field account always sees itself."""
    scope = scope_of(p)
    if scope.unrestricted:
        return True
    if scope.unit_id is not None and unit.get("id") == scope.unit_id:
        return True
    grid_key = "home_grid_id" if "home_grid_id" in unit else "grid_id"
    return _in_area(scope, unit, grid_key)


def may_act_on_unit(p: Principal, unit: Mapping[str, Any]) -> bool:
    """Field accounts and devices act for their own unit only; dispatchers within their area."""
    if p.kind == "account" and p.role == "field":
        return unit.get("id") == p.unit_id
    return sees_unit(p, unit)


def masks_incident(p: Principal, incident: Mapping[str, Any],
                   unit_ids: Iterable[int] = ()) -> bool:
    """Whether personal data in this case is masked for the principal (PIPL: need to know).

    Duty officers and dispatchers within their area handle the parties and see them; a field
    unit sees the parties of its own tasks. Leaders, administrators, API keys and everyone
    outside the case's area see masks until they unmask (an audited action).
    """
    if p.kind != "account":
        return True
    if p.role == "duty":
        return False
    if p.role == "dispatcher":
        return not sees_incident(p, incident, unit_ids)
    if p.role == "field":
        return p.unit_id is None or p.unit_id not in set(unit_ids)
    return True


def event_visible(p: Principal, ctx: Mapping[str, Any]) -> bool:
    """Whether a live event with its context (``incident`` and its ``unit_ids``, or ``unit``)
    reaches the principal; events about neither go to whole-territory principals only."""
    if not may(p, "read"):
        return False
    if scope_of(p).unrestricted:
        return True
    incident = ctx.get("incident")
    if incident is not None:
        return sees_incident(p, incident, ctx.get("unit_ids") or ())
    unit = ctx.get("unit")
    if unit is not None:
        return sees_unit(p, unit)
    return False


def masks_staff(p: Principal) -> bool:
    """Whether staff names (units, mediators) in figures are masked for the principal: leaders
    and API keys read figures, not people (PIPL: need to know); duty officers, dispatchers and
    administrators, who manage the staff, see their names."""
    return not (p.kind == "account" and p.role in ("duty", "dispatcher", "admin"))
